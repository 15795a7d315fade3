"""The stored "next dose due" of each active plan: what the worklist lists, read by an indexed query.

It is a cache of the engine's answer (the dose history as it is now), written by `services.next_dose` after every
event that re-derives the patient's bookings, and checked against the engine by the model-based tests.
"""

from __future__ import annotations

from django.db import models


class PlanNextDose(models.Model):
    plan = models.OneToOneField(
        "scheduling.TreatmentPlan", on_delete=models.CASCADE, primary_key=True, related_name="next_dose_due"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    drug = models.ForeignKey("scheduling.Drug", on_delete=models.CASCADE, related_name="+")
    phase = models.ForeignKey("scheduling.RegimenPhase", on_delete=models.CASCADE, related_name="+")
    infusion_number = models.PositiveIntegerField()
    course_days = models.PositiveSmallIntegerField(default=1)
    dose_label = models.CharField(max_length=40, blank=True)
    earliest = models.DateField()
    target = models.DateField()
    latest = models.DateField()
    # The plan's booking still to come (the last one), if any: the plan is booked while the booking's chair time
    # has not ended, so the page needs no refresh when a booking's time goes by.
    booking = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    booked_until = models.DateTimeField(null=True, blank=True)
    # Readiness of the dose if given on its target date (today when overdue), as of `refreshed_at`.
    readiness_status = models.CharField(max_length=10, default="ready")  # ready, warnings or blocked
    readiness = models.JSONField(default=list, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = "plan's next dose due"
        verbose_name_plural = "plans' next doses due"
        indexes = [
            models.Index(fields=["latest", "target", "plan"], name="nextdose_urgency_idx"),
            models.Index(fields=["drug", "latest", "target", "plan"], name="nextdose_drug_urgency_idx"),
            models.Index(fields=["patient"], name="nextdose_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Plan {self.plan_id}: dose {self.infusion_number} due {self.target:%Y-%m-%d}"
