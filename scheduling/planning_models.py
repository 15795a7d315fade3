"""Re-optimisation proposals: moves computed by the level-loading model, waiting for a scheduler's decision."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from infusion_center import formats


class ReoptimisationProposal(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Computing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    first_day = models.DateField(help_text="First day whose bookings may move.")
    last_day = models.DateField(help_text="Last day of the weeks looked at.")
    min_days_ahead = models.PositiveSmallIntegerField(help_text="Bookings this close to today never move.")
    peak_before = models.PositiveSmallIntegerField(null=True, blank=True)
    peak_after = models.PositiveSmallIntegerField(null=True, blank=True)
    daily_peaks = models.JSONField(default=dict, blank=True, help_text="Day -> [peak before, peak after].")
    movable_count = models.PositiveIntegerField(default=0)
    solver_status = models.CharField(max_length=20, blank=True)
    solve_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Re-optimisation {formats.datetime(self.created_at)} ({self.get_status_display()})"


class ProposedMove(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        REFUSED = "refused", "Refused"

    proposal = models.ForeignKey(ReoptimisationProposal, on_delete=models.CASCADE, related_name="moves")
    position = models.PositiveIntegerField(
        default=0, help_text="Moves are accepted in this order (one may free a chair for another)."
    )
    appointment = models.ForeignKey("scheduling.Appointment", on_delete=models.CASCADE, related_name="+")
    from_chair = models.ForeignKey("scheduling.Chair", on_delete=models.CASCADE, related_name="+")
    from_start = models.DateTimeField()
    to_chair = models.ForeignKey("scheduling.Chair", on_delete=models.CASCADE, related_name="+")
    to_start = models.DateTimeField()
    from_day_peak = models.JSONField(default=list, help_text="[before, after] on the day the dose leaves.")
    to_day_peak = models.JSONField(default=list, help_text="[before, after] on the day the dose goes to.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    refusal = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "appointment"], name="move_one_per_appointment"),
        ]

    def __str__(self) -> str:
        return f"Move appointment {self.appointment_id} to {formats.day_month_time(self.to_start)}"


class PlanningSnapshot(models.Model):
    """The six-month forecast as the refresh task (scheduling.tasks.forecast_refresh) last worked it out: the
    ceiling slot search plans against and what the forecast page shows, read by every web process and worker.

    Both are pickles of the engine's dataclasses (scheduling.engine.forecast.Ceiling and
    scheduling.selectors.planning.ForecastSummary): slot search needs the ceiling as those very objects (tens of
    thousands of reservations and holds at a large center), and pickle rebuilds them in one C call with no codec to
    keep in step with their fields. Only the task writes them, from the center's own rows, never from input.
    """

    computed_at = models.DateTimeField(db_index=True)
    for_date = models.DateField(help_text="The forecast's first day: it is used on that day only.")
    seconds = models.FloatField(help_text="How long the forecast took to work out.")
    ceiling = models.BinaryField()
    summary = models.BinaryField()

    class Meta:
        ordering = ["-computed_at", "-id"]

    def __str__(self) -> str:
        return f"Forecast of {formats.datetime(self.computed_at)}"
