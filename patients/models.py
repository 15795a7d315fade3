"""Patients: identity, contact, clinical profile and screening results."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from infusion_center import formats, links


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

    # The fields staff enter, in the groups the forms show them (the app's form and the admin's)
    IDENTITY_FIELDS = ("mrn", "first_name", "last_name", "date_of_birth", "sex", "reproductive_potential")
    CONTACT_FIELDS = ("email", "phone", "address", "reminder_consent")
    CLINICAL_FIELDS = (
        "ms_type",
        "height_cm",
        "weight_kg",
        "fluid_restriction",
        "allergies",
        "current_medications",
        "conditions",
        "notes",
    )

    class Meta:
        ordering = ["last_name", "first_name", "mrn"]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="patient_name_idx"),
            models.Index(fields=["date_of_birth"], name="patient_birth_date_idx"),  # search by date of birth
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.mrn})"

    def get_absolute_url(self) -> str:
        return links.link("patients:patient-detail", self.pk)  # a list links every row: reversed once per process

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


class CheckKind(models.Model):
    """A safety check a drug can require: a test, an examination or an authorisation, with its typed result.

    Kept by the drug admin in Django admin (with history). Drug requirements name a check by its code.
    """

    class ResultType(models.TextChoices):
        QUALITATIVE = "qualitative", "Qualitative: one of the check's own answers"
        NUMERIC = "numeric", "Numeric: a measured value with its unit"

    class Comparison(models.TextChoices):
        AT_LEAST = "at_least", "at least (≥)"
        AT_MOST = "at_most", "at most (≤)"

    code = models.SlugField(
        max_length=30, unique=True, help_text="Stable key used by drug requirements, e.g. 'hep_b'. Fixed once saved."
    )
    name = models.CharField(max_length=120, unique=True, help_text="As staff know it, e.g. 'Hepatitis B screening'.")
    result_type = models.CharField(max_length=12, choices=ResultType.choices, default=ResultType.QUALITATIVE)
    unit = models.CharField(max_length=20, blank=True, help_text="Numeric checks: the unit, e.g. '%' or '/mm³'.")
    threshold = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True, help_text="Numeric checks: the value that clears it."
    )
    threshold_comparison = models.CharField(
        max_length=8,
        choices=Comparison.choices,
        default=Comparison.AT_LEAST,
        help_text="Numeric checks: a value clears the check when it is at least / at most the threshold.",
    )
    threshold_hard_stop = models.BooleanField(
        "outside the threshold is a hard stop",
        default=False,
        help_text="Numeric checks: a value that does not clear blocks the dose and nobody can override it.",
    )
    threshold_advice = models.CharField(
        max_length=255, blank=True, help_text="Numeric checks: said when a value does not clear, e.g. 'do not dose'."
    )
    default_validity_days = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="How long a result stays valid unless the nurse says otherwise."
    )
    is_active = models.BooleanField(default=True, help_text="Inactive checks cannot be recorded any more.")
    notes = models.TextField(blank=True, help_text="Sources and what the answers mean.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "safety check"
        constraints = [
            models.CheckConstraint(
                condition=Q(result_type="qualitative") | Q(threshold__isnull=False),
                name="checkkind_numeric_has_threshold",
                violation_error_message="A numeric check needs a threshold.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_numeric(self) -> bool:
        return self.result_type == self.ResultType.NUMERIC

    @property
    def threshold_text(self) -> str:
        """E.g. '≥ 50 %'; empty for a qualitative check."""
        if not self.is_numeric or self.threshold is None:
            return ""
        sign = "≥" if self.threshold_comparison == self.Comparison.AT_LEAST else "≤"
        return f"{sign} {self.threshold.normalize():,f} {self.unit}".strip()

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.is_numeric and self.threshold is None:
            raise ValidationError({"threshold": "A numeric check needs the threshold that clears it."})


class CheckAnswer(models.Model):
    """One allowed answer of a qualitative check, and what it means for a dose."""

    class Outcome(models.TextChoices):
        CLEARS = "clears", "Clears the check"
        CLEARS_WITH_WARNING = "clears_warning", "Clears the check, with a warning to review"
        NOT_CLEARED = "not_cleared", "Does not clear: blocks or warns as the drug's requirement says"
        HARD_STOP = "hard_stop", "Hard stop: blocks the dose and nobody can override it"

    NOT_CLEARING = (Outcome.NOT_CLEARED, Outcome.HARD_STOP)

    check_kind = models.ForeignKey(CheckKind, on_delete=models.CASCADE, related_name="answers")
    code = models.SlugField(max_length=30, help_text="Stable key stored with each result. Fixed once saved.")
    label = models.CharField(max_length=80)
    outcome = models.CharField(max_length=14, choices=Outcome.choices)
    advice = models.CharField(
        max_length=255, blank=True, help_text="Said with this answer, e.g. 'delay the infusion until it has resolved'."
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the screening form.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["check_kind", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["check_kind", "code"], name="checkanswer_code_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class Screening(models.Model):
    """One result of a safety check for a patient: an answer of the check, or a measured value."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="screenings")
    kind = models.ForeignKey(
        CheckKind,
        on_delete=models.PROTECT,
        to_field="code",
        db_column="kind",
        related_name="screenings",
        verbose_name="check",
    )
    taken_on = models.DateField(help_text="The date the sample was taken or the authorisation issued.")
    result = models.CharField(
        max_length=30, blank=True, help_text="Qualitative checks: the code of one of the check's answers."
    )
    value = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Numeric checks: the measured value, in the check's unit (qualitative ones may add an index).",
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
        return f"{self.kind.name}: {self.result_text} on {formats.date(self.taken_on)}"

    @property
    def answer(self) -> CheckAnswer | None:
        """The check's answer this result names (None for a numeric check or an answer no longer in the catalogue)."""
        if self.kind.is_numeric:
            return None
        return next((a for a in self.kind.answers.all() if a.code == self.result), None)

    @property
    def result_text(self) -> str:
        if self.kind.is_numeric:
            if self.value is None:
                return "no value"
            return f"{self.value.normalize():,f} {self.kind.unit}".strip()
        answer = self.answer
        return answer.label if answer is not None else f"'{self.result}' (not an answer of this check)"

    @property
    def outcome(self) -> str:
        """What the result means for its check (a CheckAnswer.Outcome), judged by the readiness engine."""
        from scheduling.catalogue import check_spec
        from scheduling.engine.readiness import ScreeningResult, judge

        result = ScreeningResult(self.kind_id, self.taken_on, self.result, self.valid_until, self.value)
        verdict = judge(check_spec(self.kind), result)
        if verdict.hard_stop:
            return CheckAnswer.Outcome.HARD_STOP
        if not verdict.clears:
            return CheckAnswer.Outcome.NOT_CLEARED
        return CheckAnswer.Outcome.CLEARS_WITH_WARNING if verdict.sentence else CheckAnswer.Outcome.CLEARS

    @property
    def valid_until(self) -> datetime.date:
        """The last day on which the result still counts."""
        return self.taken_on + datetime.timedelta(days=self.valid_days)

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.taken_on <= day <= self.valid_until

    def clean(self) -> None:
        """A result must be of the check's own type: one of its answers, or a number in its unit."""
        from django.core.exceptions import ValidationError

        if not self.kind_id:
            return
        kind = self.kind
        if not kind.is_active and self._state.adding:
            raise ValidationError({"kind": f"{kind.name} is no longer recorded (inactive in the catalogue)."})
        if kind.is_numeric:
            if self.value is None:
                raise ValidationError({"value": f"Enter the measured {kind.name} value in {kind.unit or 'its unit'}."})
            if self.result:
                raise ValidationError({"result": f"{kind.name} is a measured value, not an answer."})
            return
        codes = [a.code for a in kind.answers.all()]
        if self.result not in codes:
            labels = ", ".join(a.label for a in kind.answers.all())
            raise ValidationError({"result": f"{kind.name} can only be: {labels}."})


class PatientAccess(models.Model):
    """One view of a patient's record: who looked, when, at which page, from which address.

    The patient is kept by id without a database constraint, so the log outlives a deleted record.
    """

    # No index of their own: the (patient, time) and (user, time) indexes below lead with them, and a board view
    # writes a hundred rows, each into every index.
    patient = models.ForeignKey(
        Patient, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, null=True, related_name="+"
    )
    user = models.ForeignKey("auth.User", on_delete=models.SET_NULL, db_index=False, null=True, related_name="+")
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
