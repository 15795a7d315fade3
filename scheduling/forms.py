"""Scheduling forms: validation and coercion only. Writes go through scheduling.services."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from infusion_center import formats
from infusion_center.validators import within_plausible_years
from patients.forms import DateInput
from scheduling import models
from scheduling.selectors.worklist import DEFAULT_DUE_WITHIN


class DateTimeLocalInput(forms.DateTimeInput):
    """A date and time typed in the center's convention ("07/12/2026 14:30"); ISO 8601 is accepted too."""

    input_type = "text"

    def __init__(self, attrs=None, **kwargs):
        placeholder = f"{formats.date_placeholder()} {formats.time_placeholder()}"
        attrs = {"placeholder": placeholder, "autocomplete": "off", **(attrs or {})}
        kwargs.setdefault("format", formats.datetime_input_formats()[0])
        super().__init__(attrs=attrs, **kwargs)


class TimeInput(forms.TimeInput):
    """A time of day typed as hh:mm in the center's clock (a browser's time picker may show AM/PM)."""

    input_type = "text"

    def __init__(self, attrs=None, **kwargs):
        attrs = {"placeholder": formats.time_placeholder(), "autocomplete": "off", **(attrs or {})}
        kwargs.setdefault("format", formats.time_input_formats()[0])
        super().__init__(attrs=attrs, **kwargs)


def _now_local() -> datetime.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class PlausibleDatesMixin:
    """Model forms: every date and time field refuses values more than ten years from today."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                field.validators.append(within_plausible_years)


class DayForm(forms.Form):
    day = forms.DateField(label="Day", required=False, widget=DateInput(), validators=[within_plausible_years])


class PlanStartForm(PlausibleDatesMixin, forms.ModelForm):
    class Meta:
        model = models.TreatmentPlan
        fields = ["drug", "start_date", "course_days", "preferred_chair", "notes"]
        widgets = {"start_date": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"drug": "Only drugs in use at the center are listed."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["drug"].queryset = models.Drug.objects.filter(is_active=True).order_by("name")
        self.fields["preferred_chair"].queryset = models.Chair.objects.filter(is_active=True)
        self.fields["start_date"].initial = timezone.localdate()


class SlotSearchForm(forms.Form):
    TIME_OF_DAY = [("", "Any time"), ("morning", "Morning"), ("afternoon", "Afternoon")]
    WEEKDAYS = [("", "Any day"), *[(str(value), label) for value, label in models.OpeningHours.Weekday.choices]]

    date_from = forms.DateField(label="From", required=False, widget=DateInput(), validators=[within_plausible_years])
    date_to = forms.DateField(label="To", required=False, widget=DateInput(), validators=[within_plausible_years])
    chair = forms.ModelChoiceField(queryset=models.Chair.objects.none(), required=False, empty_label="Any chair")
    time_of_day = forms.ChoiceField(label="Time of day", choices=TIME_OF_DAY, required=False)
    weekday = forms.TypedChoiceField(label="Weekday", choices=WEEKDAYS, required=False, coerce=int, empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = models.Chair.objects.filter(is_active=True)

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", "The end of the range is before its start.")
        return cleaned


class SlotPickForm(forms.Form):
    """A slot chosen from the search results (hidden fields on each result's button)."""

    chair_id = forms.IntegerField(min_value=1)
    premed_start = forms.DateTimeField(
        input_formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M"],
        validators=[within_plausible_years],
    )
    reason = forms.CharField(max_length=200, required=False, label="Reason for the move")


class MaintenanceForm(forms.Form):
    count = forms.IntegerField(
        label="Number of doses", min_value=1, max_value=12, initial=2, help_text="Booked all together, or none."
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": "E.g. patient unwell, asked to move"}),
        help_text="Kept with the appointment; the patient is told the booking is cancelled.",
    )
    whole_course = forms.BooleanField(
        required=False, label="Cancel every remaining day of the course (one email to the patient)"
    )


def _exact_if_now(value: datetime.datetime | None) -> datetime.datetime | None:
    """A time typed as the current minute means now: keep the exact moment."""
    if value is not None and value == _now_local():
        return timezone.now()
    return value


class VisitTimeForm(forms.Form):
    at = forms.DateTimeField(
        label="Time",
        widget=DateTimeLocalInput(),
        initial=_now_local,
        help_text="Now, unless you record it later.",
        validators=[within_plausible_years],
    )

    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the step comes earlier than the visit's clock allows; kept with your name.",
    )
    fit_for_discharge = forms.BooleanField(
        label="I confirm the patient is fit for discharge after the reaction", required=False
    )

    def clean_at(self):
        return _exact_if_now(self.cleaned_data["at"])


class PremedicationForm(forms.Form):
    premedication = forms.ModelChoiceField(queryset=models.Premedication.objects.none(), empty_label=None)
    given_at = forms.DateTimeField(
        label="Given at", widget=DateTimeLocalInput(), initial=_now_local, validators=[within_plausible_years]
    )

    def __init__(self, *args, appointment=None, **kwargs):
        super().__init__(*args, **kwargs)
        if appointment is not None:
            self.fields["premedication"].queryset = models.Premedication.objects.filter(phase_id=appointment.phase_id)


class OverrideForm(forms.Form):
    override_reason = forms.CharField(
        label="Reason for starting despite the problem",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        help_text="Kept in the audit trail with your name.",
    )


class ReactionForm(PlausibleDatesMixin, forms.ModelForm):
    class Meta:
        model = models.InfusionReaction
        fields = ["occurred_at", "severity", "symptoms", "action_taken"]
        widgets = {
            "occurred_at": DateTimeLocalInput(),
            "symptoms": forms.Textarea(attrs={"rows": 2}),
            "action_taken": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"occurred_at": "Started at"}
        help_texts = {"severity": "Severe or life-threatening reactions rule out shortened infusions from now on."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = _now_local


REPORT_MAX_DAYS = 731  # two years, a leap day included


class ReportRangeForm(forms.Form):
    date_from = forms.DateField(label="From", required=False, widget=DateInput(), validators=[within_plausible_years])
    date_to = forms.DateField(label="To", required=False, widget=DateInput(), validators=[within_plausible_years])

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to:
            if date_to < date_from:
                self.add_error("date_to", "The end of the range is before its start.")
            elif (date_to - date_from).days > REPORT_MAX_DAYS:
                self.add_error("date_to", "Choose at most two years: the end is more than two years after the start.")
        return cleaned


# ---- Manager forms (chairs, hours, closures, staffing) ----


class ChairForm(forms.ModelForm):
    class Meta:
        model = models.Chair
        fields = ["name", "position", "is_active", "notes"]


class OpeningHoursForm(forms.ModelForm):
    class Meta:
        model = models.OpeningHours
        fields = ["weekday", "opens_at", "closes_at", "nurses_on_duty", "setup_minutes", "patients_per_nurse"]
        widgets = {
            "opens_at": TimeInput(),
            "closes_at": TimeInput(),
        }

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "Closing time must be after opening time.")
        return cleaned


class ClosureForm(PlausibleDatesMixin, forms.ModelForm):
    class Meta:
        model = models.Closure
        fields = ["chair", "starts_on", "ends_on", "reason"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The last closed day is before the first.")
        return cleaned


class NurseStaffingForm(PlausibleDatesMixin, forms.ModelForm):
    class Meta:
        model = models.NurseStaffing
        fields = ["date", "nurses_on_duty", "setup_minutes", "patients_per_nurse", "notes"]
        widgets = {"date": DateInput()}


DUE_WITHIN_CHOICES = [(7, "7 days"), (14, "14 days"), (30, "30 days"), (60, "60 days"), (90, "90 days")]
READINESS_CHOICES = [
    ("", "Any readiness"),
    ("ready", "Ready"),
    ("warnings", "Ready, with warnings"),
    ("blocked", "Blocked"),
]


class WorklistFilterForm(forms.Form):
    drug = forms.ModelChoiceField(queryset=models.Drug.objects.order_by("name"), required=False, empty_label="Any drug")
    due_within = forms.TypedChoiceField(
        label="Due within", choices=DUE_WITHIN_CHOICES, coerce=int, required=False, empty_value=DEFAULT_DUE_WITHIN
    )
    overdue = forms.BooleanField(label="Overdue only", required=False)
    readiness = forms.ChoiceField(choices=READINESS_CHOICES, required=False)
