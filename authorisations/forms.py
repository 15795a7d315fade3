"""Authorisation forms: validation only; writes go through authorisations.services."""

from __future__ import annotations

from django import forms

from authorisations.models import Authorisation
from patients.forms import DateInput
from scheduling.forms import PlausibleDatesMixin


class AuthorisationForm(PlausibleDatesMixin, forms.ModelForm):
    class Meta:
        model = Authorisation
        fields = list(Authorisation.EDITABLE_FIELDS)
        widgets = {
            "valid_from": DateInput(),
            "valid_to": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"units_authorised": "Doses or units authorised"}

    def clean(self):
        cleaned = super().clean()
        valid_from, valid_to = cleaned.get("valid_from"), cleaned.get("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.add_error("valid_to", "The last day covered cannot be before the first.")
        return cleaned
