"""Patient forms: validation only. Writes go through patients.services."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from infusion_center.validators import within_plausible_years
from patients.models import EmergencyContact, Patient, Screening


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
SCREENING_MAX_VALID_DAYS = 3650  # ten years; longer would overflow the expiry date arithmetic at the extreme


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Search patients",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "Name or MRN", "type": "search", "autofocus": True}),
    )


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "mrn",
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "reproductive_potential",
            "email",
            "phone",
            "address",
            "reminder_consent",
            "ms_type",
            "height_cm",
            "weight_kg",
            "fluid_restriction",
            "allergies",
            "current_medications",
            "conditions",
            "notes",
        ]
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


class ScreeningForm(forms.ModelForm):
    valid_days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=SCREENING_MAX_VALID_DAYS,
        required=False,
        help_text="Leave empty to use the usual validity of this kind of result.",
    )

    class Meta:
        model = Screening
        fields = ["kind", "taken_on", "result", "value", "valid_days", "notes"]
        widgets = {"taken_on": DateInput()}

    def clean_taken_on(self):
        value = self.cleaned_data["taken_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError("A result cannot be dated in the future.")
        within_plausible_years(value)
        return value
