"""The drug catalogue, the center's resources, treatment plans and appointments."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from infusion_center import formats, links
from patients.models import CheckKind, Patient

# ---------------------------------------------------------------------------
# Drug catalogue (kept by the drug admin; every change is in the history)
# ---------------------------------------------------------------------------


class Drug(models.Model):
    class Route(models.TextChoices):
        IV = "IV", "Intravenous infusion"
        SC = "SC", "Subcutaneous injection"

    name = models.CharField(max_length=80, unique=True, help_text="As staff know it, e.g. 'Ocrevus (IV)'.")
    brand_name = models.CharField(max_length=80)
    generic_name = models.CharField(max_length=120)
    ingredient = models.CharField(
        "active ingredient",
        max_length=80,
        blank=True,
        help_text=(
            "Drugs with the same active ingredient share one dose history per patient (e.g. natalizumab: Tysabri "
            "and Tyruko). Empty: the drug has a history of its own."
        ),
    )
    route = models.CharField(max_length=2, choices=Route.choices, default=Route.IV)
    safety_program = models.CharField(
        max_length=200, blank=True, help_text="REMS or other safety programme the center must follow, if any."
    )
    is_anti_cd20 = models.BooleanField(
        "anti-CD20 therapy", default=False, help_text="Ocrelizumab, ublituximab: hepatitis B and infection checks."
    )
    reaction_window_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long after an infusion reactions can still occur (after-visit messages)."
    )
    stroke_warning_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days after dosing during which patients are told stroke warning signs."
    )
    min_gap_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Minimum days between full doses: a dose is never booked earlier. Phases may override it.",
    )
    cumulative_limit_mg_m2 = models.DecimalField(
        "lifetime cumulative limit (mg/m²)",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Lifetime maximum, tracked per patient from body surface area.",
    )
    reaction_restarts_observation = models.BooleanField(
        default=True,
        help_text="A reaction during the visit restarts the observation from the reaction's time.",
    )
    needs_prior_authorisation = models.BooleanField(
        default=False, help_text="Every dose needs an insurance authorisation covering its date (and units)."
    )
    pharmacy_prepared = models.BooleanField(
        default=True, help_text="Doses go through the pharmacy queue; the infusion starts only once the dose is ready."
    )
    mix_after_check_in = models.BooleanField(
        "mix only after check-in and checks",
        default=False,
        help_text="Expensive doses: released to mix only once the patient is checked in and the blocking checks pass.",
    )
    colour = models.CharField(max_length=7, default="#3b6fb6", help_text="Colour used on the chair board (#rrggbb).")
    is_active = models.BooleanField(default=True, help_text="Inactive drugs cannot start new plans.")
    notes = models.TextField(blank=True, help_text="Sources, conflicts and the defaults chosen.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegimenPhase(models.Model):
    """One step of a drug's dosing schedule, in order. The last phase may repeat (maintenance)."""

    class DoseUnit(models.TextChoices):
        MG = "mg", "mg"
        MG_PER_M2 = "mg/m2", "mg/m² (times body surface area)"

    class Anchor(models.TextChoices):
        PREVIOUS_DOSE = "previous", "the previous dose actually given (the last day of a course)"
        FIRST_DOSE = "first", "the first dose of the plan (first day)"

    class ShortInfusionRule(models.TextChoices):
        NONE = "", "No shorter option"
        NO_PRIOR_SERIOUS_REACTION = "no_serious_reaction", "No prior serious infusion reaction to this drug"

    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveSmallIntegerField(help_text="Position in the regimen, starting at 1.")
    name = models.CharField(max_length=80, help_text="E.g. 'Initial dose, infusion 1' or 'Maintenance'.")
    dose_amount = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    dose_unit = models.CharField(max_length=5, choices=DoseUnit.choices, default=DoseUnit.MG)

    infusion_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    short_infusion_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Optional shorter infusion for eligible patients."
    )
    short_infusion_rule = models.CharField(
        max_length=30, choices=ShortInfusionRule.choices, blank=True, default=ShortInfusionRule.NONE
    )

    observation_minutes = models.PositiveIntegerField(default=0, help_text="Observation after the end of the infusion.")
    reduced_observation_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Observation from the infusion number below on, for patients without any prior reaction.",
    )
    reduced_observation_from_infusion = models.PositiveIntegerField(
        null=True, blank=True, help_text="Infusion number (counting all doses of this drug) where it applies."
    )

    interval_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Target days after the anchor dose. Empty for the first phase."
    )
    interval_anchor = models.CharField(
        max_length=10,
        choices=Anchor.choices,
        default=Anchor.PREVIOUS_DOSE,
        help_text="What the first dose of this phase counts from; repeats count from the previous dose.",
    )
    window_early_days = models.PositiveIntegerField(
        default=0, help_text="Days before the target still acceptable (never before the minimum gap)."
    )
    window_late_days = models.PositiveIntegerField(
        default=7, help_text="Days after the target before the dose counts as late."
    )
    min_gap_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minimum days after the previous dose; empty uses the drug's minimum gap."
    )
    repeats = models.BooleanField(default=False, help_text="Maintenance: this phase repeats until the plan ends.")
    consecutive_days = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(14)], help_text="Days in a row for a course."
    )
    consecutive_days_max = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Upper bound when the prescriber may extend the course (e.g. 3-5 days)."
    )
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["drug", "order"]
        constraints = [
            models.UniqueConstraint(fields=["drug", "order"], name="phase_unique_order_per_drug"),
            models.CheckConstraint(
                condition=Q(short_infusion_minutes__isnull=True) | Q(short_infusion_minutes__lt=F("infusion_minutes")),
                name="phase_short_infusion_shorter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug.name}: {self.name}"

    @property
    def dose_label(self) -> str:
        amount = self.dose_amount.normalize()
        return f"{amount:f} {self.get_dose_unit_display() if self.dose_unit == self.DoseUnit.MG else 'mg/m²'}"


class Premedication(models.Model):
    phase = models.ForeignKey(RegimenPhase, on_delete=models.CASCADE, related_name="premedications")
    drug_name = models.CharField(max_length=120)
    dose = models.CharField(max_length=60, blank=True, help_text="As written on the order, e.g. '100 mg'.")
    route = models.CharField(max_length=20, blank=True, help_text="IV, PO, ...")
    minutes_before = models.PositiveIntegerField(
        default=30, help_text="Given this many minutes before the infusion starts (the chair time lead)."
    )
    required = models.BooleanField(default=True, help_text="Optional ones do not lengthen the chair time.")
    only_on_course_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Only on the first N days of a course (e.g. Lemtrada steroids, days 1-3)."
    )
    notes = models.CharField(max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["phase", "-required", "-minutes_before", "id"]

    def __str__(self) -> str:
        parts = [self.drug_name, self.dose, self.route]
        return " ".join(p for p in parts if p)


class ScreeningRequirement(models.Model):
    """A safety check a drug requires: which check, when, whether it blocks or warns, whether booking waits on it."""

    class When(models.TextChoices):
        FIRST_DOSE = "first", "Before the first dose"
        BASELINE = "baseline", "At baseline: before the first dose and the first day of each later course"
        EVERY_DOSE = "every", "Before every dose"
        MONTHLY = "monthly", "Monthly while on treatment (from the second dose)"
        PERIODIC = "periodic", "At a set interval while on treatment (from the second dose; the interval is the age)"

    # How old a monthly result may be when the requirement says nothing else.
    MONTHLY_DAYS = 31

    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="screening_requirements")
    kind = models.ForeignKey(
        CheckKind,
        on_delete=models.PROTECT,
        to_field="code",
        db_column="kind",
        related_name="requirements",
        verbose_name="check",
    )
    when = models.CharField(max_length=8, choices=When.choices)
    max_age_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Must have been taken within this many days; empty uses its own validity (monthly: 31 days).",
    )
    blocking = models.BooleanField(
        default=True, help_text="Missing or not cleared blocks the infusion (a charge nurse may override); else warns."
    )
    gates_booking = models.BooleanField(
        "booking is gated too",
        default=False,
        help_text="A dose cannot be booked without a current result that clears the check (e.g. mitoxantrone echo).",
    )
    reproductive_potential_only = models.BooleanField(
        default=False, help_text="Only for patients of reproductive potential (pregnancy tests)."
    )
    min_value = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Numeric checks: a stricter threshold for this drug; empty uses the check's own.",
    )
    notes = models.CharField(max_length=255, blank=True, help_text="The source of the requirement.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["drug", "when", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["drug", "kind", "when"], name="screening_requirement_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.drug.name}: {self.kind.name} ({self.get_when_display().lower()})"


# ---------------------------------------------------------------------------
# The center: chairs, hours, closures, staffing
# ---------------------------------------------------------------------------


class Chair(models.Model):
    name = models.CharField(max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the chair board.")
    is_active = models.BooleanField(default=True)
    notes = models.CharField(max_length=200, blank=True, help_text="E.g. 'recliner near the nurses' station'.")
    history = HistoricalRecords()  # also the chair board cache's change marker (scheduling.board.cache)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """Weekly hours and the usual staffing for that weekday."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, unique=True)
    opens_at = models.TimeField()
    closes_at = models.TimeField()
    nurses_on_duty = models.PositiveSmallIntegerField(default=3)
    setup_minutes = models.PositiveSmallIntegerField(default=15, help_text="Minutes a nurse needs to set up one start.")
    patients_per_nurse = models.PositiveSmallIntegerField(
        default=4, help_text="Patients one nurse may monitor at once."
    )
    history = HistoricalRecords()  # also the chair board cache's change marker (scheduling.board.cache)

    class Meta:
        ordering = ["weekday"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="hours_close_after_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {formats.time_range(self.opens_at, self.closes_at)}"


class Closure(models.Model):
    """Whole days when the center (chair empty) or one chair is closed."""

    chair = models.ForeignKey(
        Chair,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        help_text="Empty closes the whole center.",
    )
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Last closed day (inclusive).")
    reason = models.CharField(max_length=200)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="closure_ends_after_start"),
        ]

    def __str__(self) -> str:
        where = self.chair.name if self.chair_id else "Center"
        return f"{where} closed {formats.date_range(self.starts_on, self.ends_on)}: {self.reason}"


class NurseStaffing(models.Model):
    """Staffing for one date, overriding the weekday's usual staffing."""

    date = models.DateField(unique=True)
    nurses_on_duty = models.PositiveSmallIntegerField()
    setup_minutes = models.PositiveSmallIntegerField(default=15)
    patients_per_nurse = models.PositiveSmallIntegerField(default=4)
    notes = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        verbose_name_plural = "nurse staffing"

    def __str__(self) -> str:
        return f"{formats.date(self.date)}: {formats.count(self.nurses_on_duty, 'nurse')}"


# ---------------------------------------------------------------------------
# Treatment plans and appointments
# ---------------------------------------------------------------------------


class TreatmentPlan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="plans")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="plans")
    start_date = models.DateField(help_text="The date the first dose is due.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    course_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Prescribed days for a course with a range (e.g. 3-5 days)."
    )
    preferred_chair = models.ForeignKey(Chair, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        # the admin list's order (newest first, the id breaking ties), read backwards: no sort of every plan
        indexes = [models.Index(fields=["created_at", "id"], name="plan_created_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "drug"], condition=Q(status="active"), name="plan_one_active_per_drug"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient.full_name} on {self.drug.name}"


class Appointment(models.Model):
    """A patient's chair time for one dose: premedication, infusion and observation."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CHECKED_IN = "checked_in", "Checked in"
        PREMEDICATED = "premedicated", "Premedicated"
        INFUSING = "infusing", "Infusing"
        OBSERVING = "observing", "Observing"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"
        CANCELLED = "cancelled", "Cancelled"

    # Statuses that hold the chair and the patient's time; the database's no-overlap rule covers these.
    ACTIVE_STATUSES = (
        Status.SCHEDULED,
        Status.CHECKED_IN,
        Status.PREMEDICATED,
        Status.INFUSING,
        Status.OBSERVING,
        Status.COMPLETED,
    )
    # A dose counts as given once the infusion has started.
    GIVEN_STATUSES = (Status.INFUSING, Status.OBSERVING, Status.COMPLETED)

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="appointments")
    phase = models.ForeignKey(RegimenPhase, on_delete=models.PROTECT, related_name="appointments")
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="appointments")

    infusion_number = models.PositiveIntegerField(help_text="Counting every dose of this drug for the patient.")
    course_day = models.PositiveSmallIntegerField(default=1, help_text="Day within a multi-day course.")
    course_id = models.UUIDField(null=True, blank=True, help_text="Links the days of one course.")
    dose_mg = models.DecimalField(max_digits=8, decimal_places=2)
    short_infusion = models.BooleanField(default=False)

    premed_start = models.DateTimeField(help_text="Arrival: premedication starts.")
    infusion_start = models.DateTimeField()
    infusion_end = models.DateTimeField()
    observation_end = models.DateTimeField(help_text="The chair is free from here.")

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    premedicated_at = models.DateTimeField(null=True, blank=True)
    infusion_started_at = models.DateTimeField(null=True, blank=True)
    infusion_ended_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)
    reschedule_reason = models.CharField(max_length=255, blank=True, help_text="Why it was last moved.")
    rescheduled_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rescheduled_to"
    )
    ics_sequence = models.PositiveIntegerField(default=0, help_text="Calendar revision sent to the patient.")
    uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    notes = models.TextField(blank=True)
    # Set by scheduling.services.derive when the booking no longer fits what happened since it was made.
    attention_reason = models.TextField(blank=True, help_text="Why the booking needs attention; empty when it fits.")
    attention_acceptable = models.BooleanField(default=False, help_text="A scheduler may accept it after review.")
    attention_since = models.DateTimeField(null=True, blank=True)
    attention_accepted_at = models.DateTimeField(null=True, blank=True)
    attention_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["premed_start"]
        indexes = [
            # covering: the reports' totals per chair and drug read the index alone (selectors/reports.py)
            models.Index(
                fields=["premed_start"],
                include=["phase", "chair", "status", "observation_end"],
                name="appt_premed_start_cover_idx",
            ),
            models.Index(fields=["chair", "premed_start"], name="appt_chair_start_idx"),
            models.Index(fields=["patient", "premed_start"], name="appt_patient_start_idx"),
            models.Index(fields=["plan", "status"], name="appt_plan_status_idx"),
            models.Index(fields=["status", "premed_start"], name="appt_status_start_idx"),  # admin's status filter
            # the follow-up queue's visits discharged in the last days (replies/selectors.py): a range, not a scan
            models.Index(fields=["discharged_at"], condition=Q(status="completed"), name="appt_discharged_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(premed_start__lte=F("infusion_start"))
                & Q(infusion_start__lt=F("infusion_end"))
                & Q(infusion_end__lte=F("observation_end")),
                name="appt_times_ordered",
                violation_error_message="The appointment's times are out of order.",
            ),
            models.CheckConstraint(condition=Q(course_day__gte=1), name="appt_course_day_positive"),
        ]
        permissions = [
            ("perform_visit", "Can run the visit workflow (check in, premedicate, infuse, discharge)"),
            ("override_readiness", "Can start an infusion despite a blocking readiness problem, with a reason"),
            ("view_reports", "Can view utilisation, load, no-show and reaction reports"),
        ]
        # On PostgreSQL, migration 0002 adds exclusion constraints: no two active appointments
        # overlap on one chair (appt_no_chair_overlap) or for one patient (appt_no_patient_overlap).

    def __str__(self) -> str:
        return f"{self.patient.full_name} - {self.phase.drug.name} - {self.premed_start:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return links.link("scheduling:appointment-detail", self.pk)  # a list links every row: reversed once per process

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def needs_attention(self) -> bool:
        return bool(self.attention_reason) and self.attention_accepted_at is None

    @property
    def chair_minutes(self) -> int:
        return int((self.observation_end - self.premed_start).total_seconds() // 60)

    @property
    def local_date(self) -> datetime.date:
        from django.utils import timezone

        return timezone.localtime(self.premed_start).date()


class OutsideDose(models.Model):
    """A dose given elsewhere (before the patient came, or at another site): part of the patient's dose history."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outside_doses")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="outside_doses")
    phase = models.ForeignKey(
        RegimenPhase, on_delete=models.PROTECT, related_name="+", help_text="The step of the regimen it was."
    )
    given_on = models.DateField(help_text="The (first) day it was given.")
    days = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(14)], help_text="Days of a course."
    )
    dose_mg = models.DecimalField("dose (mg)", max_digits=8, decimal_places=2, validators=[MinValueValidator(0)])
    dose_mg_per_m2 = models.DecimalField(
        "dose (mg/m²)",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="For drugs dosed by body surface area (lifetime limit).",
    )
    source = models.CharField(max_length=200, help_text="Where it was given and the record it comes from.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-given_on"]

    def __str__(self) -> str:
        return f"{self.drug.name} {self.dose_mg.normalize():f} mg on {formats.date(self.given_on)} ({self.source})"


class PremedicationGiven(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="premedications_given")
    premedication = models.ForeignKey(Premedication, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField()
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["given_at"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "premedication"], name="premed_given_once"),
        ]


class InfusionReaction(models.Model):
    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"
        LIFE_THREATENING = "life_threatening", "Life-threatening"

    SERIOUS = (Severity.SEVERE, Severity.LIFE_THREATENING)

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="reactions")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="reactions")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="reactions")
    occurred_at = models.DateTimeField()
    severity = models.CharField(max_length=20, choices=Severity.choices)
    symptoms = models.TextField()
    action_taken = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} reaction to {self.drug.name} on {formats.date(self.occurred_at)}"

    @property
    def is_serious(self) -> bool:
        return self.severity in self.SERIOUS


class ReadinessOverride(models.Model):
    """A nurse's recorded decision to start an infusion despite a blocking readiness problem."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="overrides")
    problems = models.TextField(help_text="The blocking problems shown at the time.")
    reason = models.TextField()
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    overridden_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-overridden_at"]


class VisitNote(models.Model):
    """A nurse's recorded reason or confirmation during a visit, shown on the appointment's history."""

    class Kind(models.TextChoices):
        EARLY_START = "early_start", "Started before the premedication lead"
        EARLY_END = "early_end", "Ended before the planned minutes"
        EARLY_DISCHARGE = "early_discharge", "Discharged before the end of observation"
        FIT_FOR_DISCHARGE = "fit_for_discharge", "Fit for discharge after a reaction"
        TIME_CORRECTED = "time_corrected", "Recorded time corrected"
        STEP_UNDONE = "step_undone", "Step undone"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="visit_notes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    step = models.CharField(max_length=200, blank=True, help_text="The step a correction or undo is about.")
    reason = models.TextField()
    previous_time = models.DateTimeField(null=True, blank=True)
    new_time = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason}"


# ---------------------------------------------------------------------------
# Patient reminders: an outbox of emails, one row per appointment and kind
# ---------------------------------------------------------------------------


class Reminder(models.Model):
    """One email to a patient about one appointment. The row is the source of truth; Celery only delivers it."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Booking confirmation"
        UPDATE = "update", "Updated appointment"
        CANCELLATION = "cancellation", "Cancellation"
        PREPARATION = "preparation", "Preparation (a week before)"
        HYDRATION = "hydration", "Hydration (the day before)"
        REACTION_MONITORING = "reaction_monitoring", "Reaction monitoring (at discharge)"
        CHECK_IN = "check_in", "Check-in (after the visit)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"

    # Reminders about a visit still to come; they are pointless once it has started or is cancelled.
    BEFORE_VISIT_KINDS = (Kind.CONFIRMATION, Kind.UPDATE, Kind.PREPARATION, Kind.HYDRATION)
    AFTER_VISIT_KINDS = (Kind.REACTION_MONITORING, Kind.CHECK_IN)

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField(help_text="When the email should go out.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Delivery attempts since it was last armed.")
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Not before this time (retry backoff).")
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the worker queue.")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker started sending it.")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The first failed attempt of the current run of failures (retries stop after a window).",
    )
    skip_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind"], name="reminder_one_per_appointment_kind"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="reminder_status_due_idx"),
            # the outbox: newest due first, all, by status or by kind
            models.Index(fields=["-due_at", "-id"], name="reminder_outbox_idx"),
            models.Index(fields=["status", "-due_at", "-id"], name="reminder_outbox_status_idx"),
            models.Index(fields=["kind", "-due_at", "-id"], name="reminder_outbox_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for appointment {self.appointment_id} ({self.get_status_display()})"

    @property
    def can_retry(self) -> bool:
        return self.status == self.Status.FAILED


from scheduling.planning_models import (  # noqa: E402, F401  (re-optimisation, the stored forecast)
    PlanningSnapshot,
    ProposedMove,
    ReoptimisationProposal,
)
from scheduling.worklist_models import PlanNextDose  # noqa: E402, F401  (the worklist's stored next doses)
