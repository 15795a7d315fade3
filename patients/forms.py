"""Patient forms: validation only. Writes go through patients.services."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from infusion_center import formats
from infusion_center.validators import within_plausible_years
from patients.models import CheckKind, EmergencyContact, Patient


class DateInput(forms.DateInput):
    """A text input in the center's day order (a browser's date picker follows its own locale, e.g. mm/dd/yyyy)."""

    input_type = "text"

    def __init__(self, attrs=None, **kwargs):
        attrs = {"placeholder": formats.date_placeholder(), "autocomplete": "off", **(attrs or {})}
        kwargs.setdefault("format", formats.date_input_formats()[0])
        super().__init__(attrs=attrs, **kwargs)


EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
SCREENING_MAX_VALID_DAYS = 3650  # ten years; longer would overflow the expiry date arithmetic at the extreme


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Search patients",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": "Name, date of birth, phone or MRN", "type": "search", "autofocus": True}
        ),
    )


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [*Patient.IDENTITY_FIELDS, *Patient.CONTACT_FIELDS, *Patient.CLINICAL_FIELDS]
        widgets = {
            "date_of_birth": DateInput(),
            "address": forms.Textarea(attrs={"rows": 2}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "current_medications": forms.Textarea(attrs={"rows": 2}),
            "conditions": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"email": "Reminder emails go here when the patient has agreed to them."}

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value and value > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if value and value < EARLIEST_BIRTH_DATE:
            raise forms.ValidationError(f"Check the date of birth: it is before {EARLIEST_BIRTH_DATE:%Y}.")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reminder_consent") and not cleaned.get("email"):
            self.add_error("email", "An email address is needed to send the reminders the patient agreed to.")
        return cleaned


EmergencyContactFormSet = forms.inlineformset_factory(
    Patient,
    EmergencyContact,
    fields=["name", "relationship", "phone"],
    extra=1,
    can_delete=True,
    max_num=5,
    validate_max=True,  # enforced on the server, not only by the number of blank rows shown
    absolute_max=5,  # and never more forms built from a POST than that
)


def active_checks():
    return CheckKind.objects.filter(is_active=True).prefetch_related("answers").order_by("name")


class CheckChoiceForm(forms.Form):
    """First step of recording a result: which safety check (the form then offers only that check's answers)."""

    kind = forms.ModelChoiceField(
        label="Safety check",
        queryset=CheckKind.objects.filter(is_active=True).order_by("name"),
        to_field_name="code",
        empty_label="Choose a check",
        error_messages={"invalid_choice": "Choose a safety check from the list."},
    )


class ScreeningForm(forms.Form):
    """A result of one safety check, typed by the check: one of its own answers, or a number in its unit."""

    kind = forms.CharField(widget=forms.HiddenInput)
    taken_on = forms.DateField(label="Taken on", widget=DateInput())
    valid_days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=SCREENING_MAX_VALID_DAYS,
        required=False,
    )
    notes = forms.CharField(max_length=255, required=False)

    def __init__(self, *args, check: CheckKind, **kwargs):
        super().__init__(*args, **kwargs)
        self.check_kind = check
        self.fields["kind"].initial = check.code
        self.fields["valid_days"].help_text = f"Leave empty for the usual {check.default_validity_days} days."
        if check.is_numeric:
            self.fields["value"] = forms.DecimalField(
                label=f"{check.name} ({check.unit})" if check.unit else check.name,
                max_digits=9,
                decimal_places=2,
                min_value=0,
                help_text=f"Clears the check when {check.threshold_text}.",
                error_messages={
                    "required": f"Enter the measured value in {check.unit or 'its unit'}.",
                    "invalid": f"Enter the measured value as a number in {check.unit or 'its unit'}.",
                },
            )
        else:
            answers = list(check.answers.all())
            labels = ", ".join(a.label for a in answers)
            self.fields["result"] = forms.ChoiceField(
                label="Result",
                choices=[(a.code, a.label) for a in answers],
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Choose the result: {labels}.",
                    "invalid_choice": f"{check.name} can only be: {labels}.",
                },
            )
        self.order_fields(["kind", "taken_on", "result", "value", "valid_days", "notes"])

    def clean_kind(self):
        if self.cleaned_data["kind"] != self.check_kind.code:
            raise forms.ValidationError("The check changed while the form was open: choose it again.")
        return self.check_kind

    def clean_taken_on(self):
        value = self.cleaned_data["taken_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError("A result cannot be dated in the future.")
        within_plausible_years(value)
        return value
