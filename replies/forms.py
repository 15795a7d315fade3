"""Forms: they only validate (the services decide)."""

from __future__ import annotations

from django import forms

from replies.models import WEEKDAY_NAMES, AfterVisitAnswer, CallAttempt
from scheduling.models import InfusionReaction

WEEKDAY_CHOICES = [(str(n), name) for n, name in enumerate(WEEKDAY_NAMES)]


class PatientCancelForm(forms.Form):
    reason = forms.CharField(
        label="Why are you cancelling? (optional)",
        required=False,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 200}),
        help_text="For example: I have a fever, or I cannot get a ride.",
    )


class AnotherTimeForm(forms.Form):
    weekdays = forms.MultipleChoiceField(
        label="Which days can you come?",
        choices=WEEKDAY_CHOICES[:6],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave them all empty if any day suits you.",
    )
    note = forms.CharField(
        label="Anything else we should know? (optional)",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
    )


class SymptomsForm(forms.Form):
    symptoms = forms.MultipleChoiceField(
        label="What do you notice?", required=False, widget=forms.CheckboxSelectMultiple
    )
    other = forms.CharField(label="Anything else, in your own words", required=False, max_length=300)
    started = forms.ChoiceField(label="When did it start?", choices=AfterVisitAnswer.Started.choices)
    callback_phone = forms.CharField(
        label="A phone number where a nurse can call you back", max_length=40, min_length=5
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        self.fields["symptoms"].choices = [(str(o.pk), o.label) for o in options]

    def clean(self):
        data = super().clean()
        if not data.get("symptoms") and not data.get("other"):
            raise forms.ValidationError("Tick at least one symptom, or describe it in your own words.")
        return data


SMALL_SELECT = {"class": "form-select form-select-sm"}


class CallForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome", choices=CallAttempt.Outcome.choices, widget=forms.Select(attrs=SMALL_SELECT)
    )
    weekdays = forms.MultipleChoiceField(
        label="Days they can come", choices=WEEKDAY_CHOICES[:6], required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label="Note", required=False, max_length=255)


class HandledForm(forms.Form):
    note = forms.CharField(label="Note", required=False, max_length=255)


class FollowUpForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome", choices=AfterVisitAnswer.Outcome.choices, widget=forms.Select(attrs=SMALL_SELECT)
    )
    severity = forms.ChoiceField(
        label="Severity (for a reaction)",
        choices=[("", "—"), *InfusionReaction.Severity.choices],
        required=False,
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    note = forms.CharField(label="What was said or done", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("outcome") == AfterVisitAnswer.Outcome.REACTION and not data.get("severity"):
            self.add_error("severity", "Choose the severity of the reaction.")
        return data


class WaitlistForm(forms.Form):
    weekdays = forms.MultipleChoiceField(
        label="Days the patient can come",
        choices=WEEKDAY_CHOICES[:6],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any day.",
    )
    note = forms.CharField(label="Note", required=False, max_length=255)
