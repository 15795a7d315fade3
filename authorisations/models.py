"""Insurance authorisations of a treatment plan: the payer's approval to give its doses in a date range."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from infusion_center import formats
from scheduling.models import TreatmentPlan


class Authorisation(models.Model):
    class Unit(models.TextChoices):
        DOSES = "doses", "Doses (each infusion day)"
        MG = "mg", "mg of the drug"

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="authorisations")
    payer = models.CharField(max_length=120, help_text="The insurer or payer, e.g. 'Blue Shield PPO'.")
    member_id = models.CharField("member id", max_length=60, help_text="The patient's member number with the payer.")
    number = models.CharField("authorisation number", max_length=60)
    valid_from = models.DateField()
    valid_to = models.DateField(help_text="Last day covered (inclusive).")
    units_authorised = models.DecimalField(
        max_digits=9, decimal_places=2, validators=[MinValueValidator(1)], help_text="How many doses or mg."
    )
    unit = models.CharField(max_length=5, choices=Unit.choices, default=Unit.DOSES)
    document_reference = models.CharField(
        max_length=200, blank=True, help_text="Where the approval letter is filed, e.g. a document id in the EHR."
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    # what a scheduler enters and may correct (the form's fields; the service's writes)
    EDITABLE_FIELDS = (
        "payer",
        "member_id",
        "number",
        "valid_from",
        "valid_to",
        "units_authorised",
        "unit",
        "document_reference",
        "notes",
    )

    class Meta:
        ordering = ["plan", "valid_from", "id"]
        indexes = [models.Index(fields=["valid_to"], name="authorisation_valid_to_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")), name="authorisation_dates_ordered"),
            models.CheckConstraint(condition=Q(units_authorised__gt=0), name="authorisation_units_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payer} {self.number} ({formats.date_range(self.valid_from, self.valid_to)})"

    @property
    def units_label(self) -> str:
        amount = f"{self.units_authorised.normalize():f}"
        return f"{amount} mg" if self.unit == self.Unit.MG else f"{amount} dose{'s' if amount != '1' else ''}"
