"""What patients answer back from their emails, and the staff queues those answers feed.

- `Confirmation`: one per appointment once anyone answered (patient link or the front desk's call).
- `CallAttempt`: the front desk calling a patient who gets no emails, with the outcome.
- `AnotherTimeRequest`: "ask for another time" with preferred weekdays, for the schedulers' queue.
- `SymptomOption` and `DrugAdvice`: per-drug catalogue data (the drug admin edits them).
- `AfterVisitAnswer`: "I'm fine" / "I have symptoms" after a visit, or the nurse's call for a patient who did not
  answer, with the nurse's outcome.
- `WaitlistEntry`, `FreedTime`, `WaitlistOffer`: patients who want an earlier time, chair time freed by a
  cancellation or a move, and the emailed offers the first to accept gets.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from scheduling.models import Appointment, Chair, Drug, InfusionReaction, TreatmentPlan

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekdays_label(days: str) -> str:
    """'0,2' -> 'Monday, Wednesday'; '' -> 'any day'."""
    numbers = [int(d) for d in days.split(",") if d.strip().isdigit() and 0 <= int(d) <= 6]
    return ", ".join(WEEKDAY_NAMES[n] for n in sorted(set(numbers))) or "any day"


def weekday_set(days: str) -> set[int]:
    return {int(d) for d in days.split(",") if d.strip().isdigit() and 0 <= int(d) <= 6}


class Channel(models.TextChoices):
    EMAIL_LINK = "email_link", "Patient, from the email link"
    PHONE = "phone", "Front desk, by phone"
    STAFF = "staff", "Staff"


# ---------------------------------------------------------------------------
# Confirm / cancel / another time
# ---------------------------------------------------------------------------


class Confirmation(models.Model):
    """The patient's answer about one booked visit. It counts for the calendar revision it was given for:
    a visit moved since (higher ics_sequence) is unconfirmed again."""

    class Answer(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled by the patient"
        ANOTHER_TIME = "another_time", "Asked for another time"

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="confirmation")
    answer = models.CharField(max_length=20, choices=Answer.choices)
    sequence = models.PositiveIntegerField(help_text="The appointment's calendar revision the answer was given for.")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    answered_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()  # also the chair board cache's change marker

    def __str__(self) -> str:
        return f"{self.get_answer_display()} (appointment {self.appointment_id})"

    def holds_for(self, appointment: Appointment) -> bool:
        return self.sequence == appointment.ics_sequence


class CallAttempt(models.Model):
    """The front desk's call to a patient who cannot confirm by email."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed: coming"
        ANOTHER_TIME = "another_time", "Wants another time"
        CANCELLED = "cancelled", "Not coming: cancel"
        NO_ANSWER = "no_answer", "No answer"
        LEFT_MESSAGE = "left_message", "Left a message"
        WRONG_NUMBER = "wrong_number", "Wrong or missing number"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="call_attempts")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.CharField(max_length=255, blank=True)
    called_at = models.DateTimeField()
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-called_at", "-id"]


class AnotherTimeRequest(models.Model):
    """A patient asking to move a visit, with the weekdays they can come; the schedulers' queue."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="another_time_requests")
    weekdays = models.CharField(max_length=20, blank=True, help_text="Comma-separated weekday numbers, 0 = Monday.")
    note = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    requested_at = models.DateTimeField()
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_note = models.CharField(max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"], condition=Q(handled_at__isnull=True), name="another_time_one_open"
            ),
        ]

    @property
    def weekdays_label(self) -> str:
        return weekdays_label(self.weekdays)


# ---------------------------------------------------------------------------
# Per-drug catalogue data for the after-visit answer
# ---------------------------------------------------------------------------


class SymptomOption(models.Model):
    """One symptom a patient can tick after a visit with this drug. Urgent ones put the answer first in the
    nurses' queue and the patient is told to call the emergency number."""

    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="symptom_options")
    label = models.CharField(max_length=120, help_text="In the patient's words, e.g. 'Itchy skin, a rash or hives'.")
    urgent = models.BooleanField(default=False, help_text="An urgent sign: call the emergency number at once.")
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["drug", "-urgent", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["drug", "label"], name="symptom_option_unique_label")]

    def __str__(self) -> str:
        return f"{self.drug.name}: {self.label}{' (urgent)' if self.urgent else ''}"


class DrugAdvice(models.Model):
    """Drug-specific advice for the patient's emails (e.g. the Lemtrada label's food-safety advice)."""

    drug = models.OneToOneField(Drug, on_delete=models.CASCADE, related_name="patient_advice")
    before_visit = models.TextField(blank=True, help_text="In the preparation email.")
    after_visit = models.TextField(blank=True, help_text="In the after-visit emails.")
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "drug advice"

    def __str__(self) -> str:
        return f"Patient advice for {self.drug.name}"


# ---------------------------------------------------------------------------
# After the visit
# ---------------------------------------------------------------------------


class AfterVisitAnswer(models.Model):
    class Answer(models.TextChoices):
        FINE = "fine", "I'm fine"
        SYMPTOMS = "symptoms", "I have symptoms"
        NO_ANSWER = "no_answer", "No answer by the end of the window"

    class Started(models.TextChoices):
        LAST_HOUR = "last_hour", "In the last hour"
        FEW_HOURS = "few_hours", "A few hours ago"
        TODAY = "earlier_today", "Earlier today"
        YESTERDAY = "yesterday", "Yesterday or before"

    class Outcome(models.TextChoices):
        CALLED = "called", "Called: no action needed"
        ADVISED = "advised", "Advised the patient"
        EMERGENCY = "emergency", "Sent to emergency care"
        REACTION = "reaction", "Recorded as an infusion reaction"
        NOT_REACHED = "not_reached", "Could not reach the patient"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="after_visit_answers")
    answer = models.CharField(max_length=12, choices=Answer.choices)
    symptoms = models.ManyToManyField(SymptomOption, blank=True, related_name="+")
    other_symptoms = models.CharField(max_length=300, blank=True)
    started = models.CharField(max_length=16, choices=Started.choices, blank=True)
    callback_phone = models.CharField(max_length=40, blank=True)
    urgent = models.BooleanField(default=False, help_text="An urgent sign was ticked.")
    answered_at = models.DateTimeField()

    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reaction = models.ForeignKey(InfusionReaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-urgent", "answered_at", "id"]
        indexes = [models.Index(fields=["closed_at", "answer"], name="after_visit_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_answer_display()} after appointment {self.appointment_id}"

    @property
    def needs_follow_up(self) -> bool:
        return self.answer != self.Answer.FINE and self.closed_at is None


# ---------------------------------------------------------------------------
# Waitlist and cancellation fill
# ---------------------------------------------------------------------------


class WaitlistEntry(models.Model):
    """A patient who would take an earlier time for a planned dose: their booked appointment, if any, moves."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        BOOKED = "booked", "Booked an earlier time"
        WITHDRAWN = "withdrawn", "Withdrawn"

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="waitlist_entries")
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        help_text="The booked visit to bring forward; empty for a dose not booked yet.",
    )
    weekdays = models.CharField(max_length=20, blank=True, help_text="Days they can come; empty means any day.")
    note = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.UniqueConstraint(fields=["plan"], condition=Q(status="waiting"), name="waitlist_one_per_plan"),
        ]

    @property
    def weekdays_label(self) -> str:
        return weekdays_label(self.weekdays)


class FreedTime(models.Model):
    """Chair time given back by a cancellation or a move, to be offered to the waitlist."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FILLED = "filled", "Filled"
        CLOSED = "closed", "Closed"

    chair = models.ForeignKey(Chair, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    source = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.CharField(max_length=100)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    filled_by = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]


class WaitlistOffer(models.Model):
    """An emailed offer of a freed time to one waitlisted patient; the first to accept gets it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sent, no answer yet"
        ACCEPTED = "accepted", "Accepted"
        TAKEN = "taken", "Taken by someone else"
        FAILED = "failed", "Could not be booked"

    uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    freed = models.ForeignKey(FreedTime, on_delete=models.CASCADE, related_name="offers")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    chair = models.ForeignKey(Chair, on_delete=models.CASCADE, related_name="+")
    premed_start = models.DateTimeField()
    rank = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # No history: an operational row (like the reminder outbox) claimed with conditional updates; the booking it
    # leads to is in the appointment's history.

    class Meta:
        ordering = ["freed", "rank"]
        constraints = [models.UniqueConstraint(fields=["freed", "entry"], name="offer_once_per_entry")]
