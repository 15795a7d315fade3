"""The form a nurse fills in for a dose given elsewhere (validation only; the write is in services.outside_doses)."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from patients.forms import DateInput
from scheduling.models import Drug, OutsideDose, RegimenPhase


class OutsideDoseForm(forms.ModelForm):
    class Meta:
        model = OutsideDose
        fields = ["drug", "phase", "given_on", "days", "dose_mg", "dose_mg_per_m2", "source"]
        widgets = {"given_on": DateInput()}
        labels = {"phase": "Step of the regimen", "given_on": "Given on (first day)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["drug"].queryset = Drug.objects.order_by("name")
        self.fields["phase"].queryset = RegimenPhase.objects.select_related("drug").order_by("drug__name", "order")
        self.fields["phase"].label_from_instance = lambda phase: f"{phase.drug.name}: {phase.name} ({phase.dose_label})"
        self.fields["dose_mg_per_m2"].help_text = "Required for a drug dosed by body surface area (e.g. mitoxantrone)."

    def clean_given_on(self):
        given_on = self.cleaned_data["given_on"]
        today = timezone.localdate()
        if given_on > today:
            raise forms.ValidationError("A dose given elsewhere is in the past: the date cannot be after today.")
        if given_on < today - datetime.timedelta(days=365 * 30):
            raise forms.ValidationError("Enter the date the dose was given (it is more than 30 years ago).")
        return given_on

    def clean(self):
        data = super().clean()
        drug, phase = data.get("drug"), data.get("phase")
        if drug and phase and phase.drug_id != drug.pk:
            self.add_error("phase", f"Choose a step of the {drug.name} regimen.")
        if phase and phase.dose_unit == RegimenPhase.DoseUnit.MG_PER_M2 and data.get("dose_mg_per_m2") is None:
            self.add_error("dose_mg_per_m2", f"{phase.drug.name} is dosed by body surface area: give the mg/m².")
        days = data.get("days")
        if phase and days:
            upper = phase.consecutive_days_max or phase.consecutive_days
            if not phase.consecutive_days <= days <= upper:
                allowed = (
                    f"{phase.consecutive_days}"
                    if upper == phase.consecutive_days
                    else f"{phase.consecutive_days}-{upper}"
                )
                self.add_error("days", f"{phase.name} is given over {allowed} day(s).")
        return data
