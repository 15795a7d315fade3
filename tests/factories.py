"""factory_boy factories for the domain. Drugs come from the seeded catalogue (see `drug` helpers)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory

from infusion_center import roles
from patients.models import CheckKind, EmergencyContact, Patient, Screening
from scheduling.catalogue import drug_spec, drugs_with_protocol
from scheduling.engine.protocol import UNIT_MG_PER_M2, chair_time
from scheduling.models import (
    Appointment,
    Chair,
    Closure,
    Drug,
    InfusionReaction,
    NurseStaffing,
    OpeningHours,
    OutsideDose,
    PremedicationGiven,
    Reminder,
    TreatmentPlan,
    VisitNote,
)

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@center.example")
    password = factory.django.Password(PASSWORD)


def staff(role: str | None, username: str | None = None, **kwargs):
    """A member of staff in one role (infusion_center.roles; None for a signed-in user with no role), with admin
    access when the role works there. The same username gives the same user, so a persona can be asked for twice."""
    user = UserFactory(username=username or (role or "nobody").lower().replace(" ", "_"), **kwargs)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if role in roles.STAFF_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


class PatientFactory(DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(1985, 4, 12)
    sex = Patient.Sex.FEMALE
    email = factory.LazyAttribute(lambda p: f"{p.mrn.lower()}@patients.example")
    phone = "+1 555 010 1234"
    reminder_consent = True
    ms_type = Patient.MSType.RRMS
    height_cm = Decimal("170.0")
    weight_kg = Decimal("68.0")


class EmergencyContactFactory(DjangoModelFactory):
    class Meta:
        model = EmergencyContact

    patient = factory.SubFactory(PatientFactory)
    name = factory.Faker("name")
    relationship = "Partner"
    phone = "+1 555 010 9999"


# A clearing answer of each seeded qualitative check, for tests that only need "done and fine".
CLEARING_ANSWER = {
    "hep_b": "negative",
    "jcv": "negative",
    "infection": "none",
    "pregnancy": "negative",
    "rems": "authorised",
    "preinfusion_questions": "no_concerns",
}


class ScreeningFactory(DjangoModelFactory):
    """A result of a seeded check; `kind` may be given by code and `result` defaults to a clearing answer."""

    class Meta:
        model = Screening

    patient = factory.SubFactory(PatientFactory)
    kind = "hep_b"
    taken_on = factory.LazyFunction(datetime.date.today)
    valid_days = 365

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        kind = kwargs["kind"]
        if not isinstance(kind, CheckKind):
            kind = kwargs["kind"] = CheckKind.objects.get(code=kind)
        if "result" not in kwargs:
            if kind.is_numeric:
                kwargs["result"] = ""
                kwargs.setdefault("value", kind.threshold + 10)
            else:
                clearing = [a.code for a in kind.answers.all() if a.outcome == "clears"]
                kwargs["result"] = CLEARING_ANSWER.get(kind.code, clearing[0] if clearing else "")
        return kwargs


# What a first anti-CD20 dose asks for beyond the before-every-dose checks (hepatitis B blocks; the rest warn).
ANTI_CD20_FIRST_DOSE_CHECKS = ("hep_b", "immunoglobulins", "liver_tests", "vaccinations")


def clear_first_dose_checks(patient, *, taken_on: datetime.date | None = None, codes=ANTI_CD20_FIRST_DOSE_CHECKS):
    """Clearing results, valid for a year, of each first-dose check of an anti-CD20 therapy."""
    return [
        ScreeningFactory(patient=patient, kind=code, taken_on=taken_on or datetime.date.today(), valid_days=365)
        for code in codes
    ]


class ChairFactory(DjangoModelFactory):
    class Meta:
        model = Chair

    name = factory.Sequence(lambda n: f"Chair {n + 1}")
    position = factory.Sequence(lambda n: n)


class OpeningHoursFactory(DjangoModelFactory):
    class Meta:
        model = OpeningHours
        django_get_or_create = ("weekday",)

    weekday = 0
    opens_at = datetime.time(7, 0)
    closes_at = datetime.time(19, 0)
    nurses_on_duty = 3
    setup_minutes = 15
    patients_per_nurse = 4


class TreatmentPlanFactory(DjangoModelFactory):
    class Meta:
        model = TreatmentPlan

    patient = factory.SubFactory(PatientFactory)
    drug = factory.LazyFunction(lambda: Drug.objects.get(name="Ocrevus (IV)"))
    start_date = factory.LazyFunction(datetime.date.today)


def seeded_drug(name: str) -> Drug:
    """One of the eight seeded therapies, by its name in the catalogue."""
    return Drug.objects.get(name=name)


EVERY_DAY = range(7)
WEEKDAYS = range(5)  # Monday to Friday, as the demo center opens


def opening_hours(
    days=EVERY_DAY, opens: datetime.time = datetime.time(7, 0), closes: datetime.time = datetime.time(19, 0), **kw
) -> list[OpeningHours]:
    """The center's opening hours on each weekday of `days` (0 is Monday); `kw` sets the staffing of those days."""
    return [OpeningHoursFactory(weekday=day, opens_at=opens, closes_at=closes, **kw) for day in days]


class ClosureFactory(DjangoModelFactory):
    """A closure of one chair (chair=None closes the whole center) for one day."""

    class Meta:
        model = Closure

    chair = factory.SubFactory(ChairFactory)
    starts_on = factory.LazyFunction(datetime.date.today)
    ends_on = factory.LazyAttribute(lambda c: c.starts_on)
    reason = "Maintenance"


class NurseStaffingFactory(DjangoModelFactory):
    class Meta:
        model = NurseStaffing
        django_get_or_create = ("date",)

    date = factory.LazyFunction(datetime.date.today)
    nurses_on_duty = 2
    setup_minutes = 15
    patients_per_nurse = 4


class AppointmentFactory(DjangoModelFactory):
    """A booked visit written straight to the table (tests of the booking rules book through
    scheduling.services.booking instead): pass `premed_start` (aware), and `plan`, or `patient` and `drug` (by name);
    `phase_order` picks the regimen step. The chair time is the catalogue's, through the engine, unless
    `premed_minutes`, `infusion_minutes` or `observation_minutes` (or the times themselves) are given.
    `ocrevus_maintenance=True` is a standard-rate Ocrevus maintenance dose (infusion 3, 600 mg, 30 + 210 + 60
    minutes), whatever the plan's drug unless `phase_order` is given too."""

    class Meta:
        model = Appointment

    class Params:
        drug = "Ocrevus (IV)"
        phase_order = 1
        catalogue_time = factory.LazyAttribute(
            lambda a: chair_time(
                next(p for p in drug_spec(drugs_with_protocol().get(pk=a.phase.drug_id)).phases if p.id == a.phase.pk),
                infusion_number=a.infusion_number,
                course_day=a.course_day,
            )
        )
        ocrevus_maintenance = factory.Trait(phase_order=3, infusion_number=3, dose_mg=Decimal("600"))
        # (a trait cannot set another parameter: the maintenance minutes are chosen here)
        premed_minutes = factory.Maybe(
            "ocrevus_maintenance", 30, factory.LazyAttribute(lambda a: a.catalogue_time.premed_minutes)
        )
        infusion_minutes = factory.Maybe(
            "ocrevus_maintenance", 210, factory.LazyAttribute(lambda a: a.catalogue_time.infusion_minutes)
        )
        observation_minutes = factory.Maybe(
            "ocrevus_maintenance", 60, factory.LazyAttribute(lambda a: a.catalogue_time.observation_minutes)
        )

    patient = factory.SubFactory(PatientFactory)
    plan = factory.LazyAttribute(
        lambda a: (
            TreatmentPlan.objects.filter(patient=a.patient, drug__name=a.drug, status="active").first()
            or TreatmentPlanFactory(patient=a.patient, drug=seeded_drug(a.drug))
        )
    )
    phase = factory.LazyAttribute(lambda a: a.plan.drug.phases.get(order=a.phase_order))
    chair = factory.SubFactory(ChairFactory)
    infusion_number = 1
    course_day = 1
    # the dose in mg, as booking works it out: a mg/m² dose times the patient's body surface area when it is known
    dose_mg = factory.LazyAttribute(
        lambda a: (
            (a.phase.dose_amount * a.patient.body_surface_area).quantize(Decimal("0.01"))
            if a.phase.dose_unit == UNIT_MG_PER_M2 and a.patient.body_surface_area
            else a.phase.dose_amount
        )
    )
    premed_start = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    infusion_start = factory.LazyAttribute(lambda a: a.premed_start + datetime.timedelta(minutes=a.premed_minutes))
    infusion_end = factory.LazyAttribute(lambda a: a.infusion_start + datetime.timedelta(minutes=a.infusion_minutes))
    observation_end = factory.LazyAttribute(
        lambda a: a.infusion_end + datetime.timedelta(minutes=a.observation_minutes)
    )
    status = Appointment.Status.SCHEDULED

    @classmethod
    def _generate(cls, strategy, params):
        # the patient of a given plan, rather than a new one
        if "plan" in params and "patient" not in params:
            params = {**params, "patient": params["plan"].patient}
        return super()._generate(strategy, params)


class OutsideDoseFactory(DjangoModelFactory):
    """A dose given elsewhere (the first step of the drug unless `phase` is given)."""

    class Meta:
        model = OutsideDose

    patient = factory.SubFactory(PatientFactory)
    drug = factory.LazyFunction(lambda: seeded_drug("Ocrevus (IV)"))
    phase = factory.LazyAttribute(lambda d: d.drug.phases.order_by("order").first())
    given_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=180))
    days = 1
    dose_mg = factory.LazyAttribute(lambda d: d.phase.dose_amount)
    source = "Records from the referring hospital"
    recorded_by = factory.SubFactory(UserFactory)


class PremedicationGivenFactory(DjangoModelFactory):
    """A premedication of the appointment's phase given (the first one unless `premedication` is given)."""

    class Meta:
        model = PremedicationGiven

    appointment = factory.SubFactory(AppointmentFactory)
    premedication = factory.LazyAttribute(lambda g: g.appointment.phase.premedications.first())
    given_at = factory.LazyAttribute(lambda g: g.appointment.premed_start)
    given_by = factory.SubFactory(UserFactory)


class InfusionReactionFactory(DjangoModelFactory):
    class Meta:
        model = InfusionReaction

    appointment = factory.SubFactory(AppointmentFactory)
    patient = factory.LazyAttribute(lambda r: r.appointment.patient)
    drug = factory.LazyAttribute(lambda r: r.appointment.phase.drug)
    occurred_at = factory.LazyAttribute(lambda r: r.appointment.infusion_start + datetime.timedelta(minutes=30))
    severity = InfusionReaction.Severity.MILD
    symptoms = "Flushing and itching"
    recorded_by = factory.SubFactory(UserFactory)


class VisitNoteFactory(DjangoModelFactory):
    class Meta:
        model = VisitNote

    appointment = factory.SubFactory(AppointmentFactory)
    kind = VisitNote.Kind.EARLY_START
    reason = "Patient needed to leave early"
    recorded_by = factory.SubFactory(UserFactory)


class ReminderFactory(DjangoModelFactory):
    class Meta:
        model = Reminder

    appointment = factory.SubFactory(AppointmentFactory)
    kind = Reminder.Kind.CONFIRMATION
    due_at = factory.LazyFunction(timezone.now)
