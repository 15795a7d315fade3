"""Which nurse looks after which chair on a day: the day list prints per nurse from it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from infusion_center import formats
from scheduling.models import Chair


class ChairAssignment(models.Model):
    date = models.DateField()
    chair = models.ForeignKey(Chair, on_delete=models.CASCADE, related_name="assignments")
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chair_assignments")
    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "chair__position", "chair__name"]
        constraints = [models.UniqueConstraint(fields=["date", "chair"], name="assignment_one_nurse_per_chair_day")]

    def __str__(self) -> str:
        return (
            f"{self.chair.name} on {formats.date(self.date)}: {self.nurse.get_full_name() or self.nurse.get_username()}"
        )
