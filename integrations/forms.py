from __future__ import annotations

from django import forms
from django.conf import settings

from integrations.imports.columns import CSV_KINDS, FHIR, KIND_LABELS

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class ImportUploadForm(forms.Form):
    """Up to one file of each kind; at least one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in (*CSV_KINDS, FHIR):
            self.fields[kind] = forms.FileField(label=KIND_LABELS[kind], required=False)

    def clean(self):
        data = super().clean()
        files = {}
        for kind in (*CSV_KINDS, FHIR):
            upload = data.get(kind)
            if not upload:
                continue
            if upload.size > MAX_UPLOAD_BYTES:
                self.add_error(kind, "The file is larger than 20 MB: split it into several imports.")
                continue
            try:
                files[kind] = (upload.name, upload.read().decode("utf-8-sig"))
            except UnicodeDecodeError:
                self.add_error(kind, "The file is not UTF-8 text: save it as CSV UTF-8 (or JSON) and try again.")
        if not files and not self.errors:
            raise forms.ValidationError("Choose at least one file to import.")
        data["files"] = files
        return data


class FhirClientForm(forms.Form):
    name = forms.CharField(max_length=255, help_text="The system that will read the API, e.g. 'Hospital EHR'.")
    scopes = forms.MultipleChoiceField(
        choices=[(s, f"{s} - {d}") for s, d in settings.OAUTH2_PROVIDER["SCOPES"].items()],
        widget=forms.CheckboxSelectMultiple,
    )
