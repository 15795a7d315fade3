"""The pharmacy's preparation of each dose: released to mix, in preparation, ready, given or wasted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from scheduling.models import Appointment


class Preparation(models.Model):
    """One preparation of an appointment's dose. A wasted one may be followed by another; the latest counts.

    An appointment with no preparation yet is "to prepare".
    """

    class Status(models.TextChoices):
        TO_PREPARE = "to_prepare", "To prepare"
        RELEASED = "released", "Released to mix"
        IN_PREPARATION = "in_preparation", "In preparation"
        READY = "ready", "Ready"
        GIVEN = "given", "Given"
        WASTED = "wasted", "Wasted"

    # A dose made and not (yet) given or wasted: a cancelled visit with one of these must be dealt with.
    OPEN_STATUSES = (Status.RELEASED, Status.IN_PREPARATION, Status.READY)

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="preparations")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.RELEASED)
    dose_mg = models.DecimalField(max_digits=8, decimal_places=2, help_text="The dose prepared, in mg.")
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    given_at = models.DateTimeField(null=True, blank=True)
    wasted_at = models.DateTimeField(null=True, blank=True)
    waste_reason = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["appointment", "id"]
        indexes = [models.Index(fields=["status", "wasted_at"], name="preparation_waste_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="wasted") | (Q(wasted_at__isnull=False) & ~Q(waste_reason="")),
                name="preparation_waste_has_reason",
            ),
            models.UniqueConstraint(
                fields=["appointment"],
                condition=~Q(status="wasted"),
                name="preparation_one_live_per_appointment",
            ),
        ]
        permissions = [
            ("prepare_dose", "Can release, prepare, finish and waste doses in the pharmacy"),
            ("view_waste_report", "Can view the pharmacy waste report"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} · {self.dose_mg.normalize():f} mg"
