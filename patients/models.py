"""Patients: identity, contact, clinical profile and screening results."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Patient(models.Model):
    class MSType(models.TextChoices):
        CIS = "CIS", "Clinically isolated syndrome (CIS)"
        RRMS = "RRMS", "Relapsing-remitting MS (RRMS)"
        SPMS = "SPMS", "Secondary progressive MS (SPMS)"
        PPMS = "PPMS", "Primary progressive MS (PPMS)"

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "X", "Other / not stated"

    mrn = models.CharField("MRN", max_length=32, unique=True, help_text="Medical record number, unique in the center.")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.OTHER)
    reproductive_potential = models.BooleanField(
        default=False, help_text="Pregnancy tests apply where a drug requires them."
    )

    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    reminder_consent = models.BooleanField(default=False, help_text="The patient agreed to receive appointment emails.")
    reminders_opted_out_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the patient unsubscribed from reminder emails."
    )

    ms_type = models.CharField("MS type", max_length=4, choices=MSType.choices, default=MSType.RRMS)
    allergies = models.TextField(blank=True)
    current_medications = models.TextField(blank=True)
    conditions = models.TextField(blank=True, help_text="Other conditions, e.g. diabetes or heart disease.")
    height_cm = models.DecimalField(
        "height (cm)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("40")), MaxValueValidator(Decimal("250"))],
    )
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("20")), MaxValueValidator(Decimal("350"))],
    )
    fluid_restriction = models.BooleanField(
        default=False, help_text="On a fluid restriction: hydration advice tells them to ask their clinician."
    )
    notes = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "mrn"]
        indexes = [models.Index(fields=["last_name", "first_name"], name="patient_name_idx")]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.mrn})"

    def get_absolute_url(self) -> str:
        return reverse("patients:patient-detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def body_surface_area(self) -> Decimal | None:
        return body_surface_area(self.height_cm, self.weight_kg)

    @property
    def can_receive_reminders(self) -> bool:
        return bool(self.reminder_consent and self.email and self.reminders_opted_out_at is None)


def body_surface_area(height_cm: Decimal | float | None, weight_kg: Decimal | float | None) -> Decimal | None:
    """Mosteller: BSA (m2) = sqrt(height cm x weight kg / 3600), to two decimals."""
    if not height_cm or not weight_kg:
        return None
    value = math.sqrt(float(height_cm) * float(weight_kg) / 3600)
    return Decimal(str(round(value, 2)))


class EmergencyContact(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="emergency_contacts")
    name = models.CharField(max_length=150)
    relationship = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=40)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})" if self.relationship else self.name


class ScreeningKind(models.TextChoices):
    HEPATITIS_B = "hep_b", "Hepatitis B screening"
    JCV_ANTIBODY = "jcv", "JCV antibody"
    LVEF = "lvef", "LVEF (echocardiogram)"
    ACTIVE_INFECTION = "infection", "Active-infection check"
    PREGNANCY = "pregnancy", "Pregnancy test"
    REMS_AUTHORISATION = "rems", "REMS / TOUCH authorisation"
    LEMTRADA_LABS = "lemtrada_labs", "Lemtrada monthly labs"


# How long each result stays valid unless the person recording it says otherwise.
DEFAULT_VALIDITY_DAYS: dict[str, int] = {
    ScreeningKind.HEPATITIS_B: 365,
    ScreeningKind.JCV_ANTIBODY: 182,
    ScreeningKind.LVEF: 90,
    ScreeningKind.ACTIVE_INFECTION: 3,
    ScreeningKind.PREGNANCY: 7,
    ScreeningKind.REMS_AUTHORISATION: 182,
    ScreeningKind.LEMTRADA_LABS: 31,
}


class Screening(models.Model):
    """One result of a test or authorisation that gates a dose."""

    class Result(models.TextChoices):
        NEGATIVE = "negative", "Negative"
        POSITIVE = "positive", "Positive"
        NORMAL = "normal", "Normal / acceptable"
        ABNORMAL = "abnormal", "Abnormal"
        AUTHORISED = "authorised", "Authorised"
        NOT_AUTHORISED = "not_authorised", "Not authorised"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="screenings")
    kind = models.CharField(max_length=20, choices=ScreeningKind.choices)
    taken_on = models.DateField(help_text="The date the sample was taken or the authorisation issued.")
    result = models.CharField(max_length=20, choices=Result.choices)
    value = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="A measured value where there is one: JCV antibody index, LVEF %.",
    )
    valid_days = models.PositiveIntegerField(help_text="How many days the result stays valid after it was taken.")
    notes = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-taken_on", "-id"]
        indexes = [models.Index(fields=["patient", "kind", "-taken_on"], name="screening_latest_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(valid_days__gte=1), name="screening_valid_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_result_display()} on {self.taken_on:%d %b %Y}"

    @property
    def valid_until(self) -> datetime.date:
        """The last day on which the result still counts."""
        return self.taken_on + datetime.timedelta(days=self.valid_days)

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.taken_on <= day <= self.valid_until


class PatientAccess(models.Model):
    """One view of a patient's record: who looked, when, at which page, from which address.

    The patient is kept by id without a database constraint, so the log outlives a deleted record.
    """

    patient = models.ForeignKey(Patient, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+")
    user = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, related_name="+")
    username = models.CharField(max_length=150, help_text="The user's name at the time, kept if the user is deleted.")
    accessed_at = models.DateTimeField(default=timezone.now)
    path = models.CharField(max_length=500)
    view_name = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-accessed_at", "-id"]
        verbose_name = "patient record access"
        verbose_name_plural = "patient record accesses"
        indexes = [
            models.Index(fields=["-accessed_at"], name="access_time_idx"),
            models.Index(fields=["patient", "-accessed_at"], name="access_patient_idx"),
            models.Index(fields=["user", "-accessed_at"], name="access_user_idx"),
        ]
        permissions = [("view_audit", "Can view the change history and the patient access log")]

    def __str__(self) -> str:
        return f"{self.username} viewed patient {self.patient_id} at {self.accessed_at:%Y-%m-%d %H:%M}"
