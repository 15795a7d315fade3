"""Forms for correcting a recorded visit step: validation only."""

from __future__ import annotations

from django import forms

from infusion_center.validators import within_plausible_years
from scheduling.forms import DateTimeLocalInput, _now_local

REASON_HELP = "Kept in the appointment's history with your name; the original stays there too."


class TimeCorrectionForm(forms.Form):
    step = forms.ChoiceField(label="Recorded time", choices=())
    new_time = forms.DateTimeField(
        label="Correct time", widget=DateTimeLocalInput(), initial=_now_local, validators=[within_plausible_years]
    )
    reason = forms.CharField(
        label="Reason for the correction",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=REASON_HELP,
    )

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = list(steps)
        self.fields["step"].error_messages["invalid_choice"] = "Choose a recorded time of this visit to correct."


class UndoStepForm(forms.Form):
    reason = forms.CharField(
        label="Reason for undoing it", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), help_text=REASON_HELP
    )
