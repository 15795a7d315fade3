"""Creates a realistic demo infusion center: chairs, hours, staff logins, about 40 patients on all eight
therapies with their past doses, screenings and reactions, two weeks of booked appointments and the
patients' reminder emails (planned by the same hooks as a real booking or discharge, sent by the worker).

Idempotent: when the demo patients exist it changes nothing (unless --reset). Deterministic for a
given --seed and day. Chair time comes from the drug catalogue through the protocol engine.
"""

from __future__ import annotations

import datetime
import itertools
import random
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from infusion_center import roles
from integrations.demo import demo_integration
from patients.models import CheckKind, EmergencyContact, Patient, Screening
from replies.demo import demo_replies, demo_replies_delete
from scheduling import models
from scheduling.catalogue import drug_specs
from scheduling.demo.attention import demo_needs_attention
from scheduling.demo.infusion_day import build_infusion_day
from scheduling.demo.planning import demo_reoptimisation
from scheduling.engine.capacity import Booking as HeldChair
from scheduling.engine.capacity import Center, DayProfile
from scheduling.engine.protocol import DrugSpec, PhaseSpec, chair_time, dose_mg
from scheduling.reminders.services import reminders_on_booked, reminders_on_discharged
from scheduling.selectors.center import center_for_range, center_tz
from scheduling.services.next_dose import next_doses_refresh
from scheduling.services.planning_refresh import forecast_refresh

MRN_PREFIX = "DEMO-"
CHAIR_COUNT = 12
HORIZON_DAYS = 14
OPENS, CLOSES = datetime.time(7, 0), datetime.time(19, 0)
NURSES, SETUP_MINUTES, PATIENTS_PER_NURSE = 3, 15, 4
GRID_MINUTES = 15
DEMO_SPAN = datetime.timedelta(days=6 * 365)
DEMO_NOTE = "Demo data"

DEMO_USERS = [
    # username, first name, last name, role
    ("demo-scheduler", "Sam", "Rivera", roles.SCHEDULER),
    ("demo-nurse", "Nora", "Bennett", roles.NURSE),
    ("demo-chargenurse", "Cora", "Okafor", roles.CHARGE_NURSE),
    ("demo-drugadmin", "Priya", "Shah", roles.DRUG_ADMIN),
    ("demo-manager", "Morgan", "Lee", roles.MANAGER),
    ("demo-pharmacy", "Paul", "Okoro", roles.PHARMACY),
]

FEMALE_NAMES = [
    "Emily", "Sarah", "Jessica", "Laura", "Megan", "Rachel", "Hannah", "Olivia", "Grace", "Chloe",
    "Maria", "Sofia", "Aisha", "Mei", "Fatima", "Ingrid", "Claire", "Naomi", "Rosa", "Julia",
    "Anna", "Leah", "Priyanka", "Yuki", "Amara", "Elena", "Nadia", "Beth",
]  # fmt: skip
MALE_NAMES = [
    "James", "Daniel", "Michael", "David", "Thomas", "Marcus", "Samuel", "Omar", "Lucas", "Ethan",
    "Kenji", "Rahul", "Andre", "Patrick", "Victor", "Noah",
]  # fmt: skip
LAST_NAMES = [
    "Anderson", "Brooks", "Carter", "Delgado", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Johnson",
    "Kowalski", "Lambert", "Mitchell", "Nguyen", "Okafor", "Patel", "Quinn", "Ramirez", "Schneider", "Thompson",
    "Underwood", "Vasquez", "Walsh", "Xu", "Young", "Zimmerman", "Bauer", "Chen", "Doyle", "Eriksen",
    "Foster", "Gallagher", "Haddad", "Iqbal", "Jensen", "Kim", "Lindqvist", "Moreau", "Novak", "O'Brien",
    "Park", "Rossi",
]  # fmt: skip
RELATIONSHIPS = ["Spouse", "Partner", "Parent", "Sibling", "Adult child", "Friend"]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]
STREETS = ["Maple Avenue", "Oak Street", "Riverside Drive", "Elm Court", "Harbor Road", "Cedar Lane", "Mill Street"]
ALLERGIES = ["", "", "", "Penicillin (rash)", "Sulfa drugs", "Latex", "Shellfish", "Codeine (nausea)"]
MEDICATIONS = [
    "Vitamin D 2,000 IU daily",
    "Baclofen 10 mg three times daily",
    "Gabapentin 300 mg at night",
    "Modafinil 100 mg mornings",
    "Oxybutynin 5 mg twice daily",
    "Sertraline 50 mg daily",
    "Dalfampridine 10 mg twice daily",
]
CONDITIONS = ["", "", "", "Hypertension", "Type 2 diabetes", "Asthma", "Hypothyroidism", "Migraine"]
REACTION_SYMPTOMS = {
    models.InfusionReaction.Severity.MILD: (
        "Itching and flushing on the forearms",
        "Infusion paused 15 min; resolved.",
    ),
    models.InfusionReaction.Severity.MODERATE: (
        "Throat irritation, rash on the chest, heart rate 112",
        "Rate halved and held 30 min; diphenhydramine 25 mg IV; resolved.",
    ),
    models.InfusionReaction.Severity.SEVERE: (
        "Wheeze, shortness of breath, blood pressure 88/52",
        "Infusion stopped; treated per protocol; restarted at half rate after resolution.",
    ),
}


@dataclass(frozen=True)
class DemoPatient:
    """One patient's place in the regimen: how many courses were given and when the next one is due."""

    drug: str
    courses_given: int
    next_due_in_days: int  # 0: booked for the next open day; negative: overdue (left unbooked for the worklist)
    ms_type: str = Patient.MSType.RRMS
    course_days: int | None = None  # prescribed days for a course with a range
    reaction: tuple[int, str] | None = None  # (infusion number, severity)
    short_infusion: bool = True  # the prescriber allows the shorter option where the label does
    book: bool = True
    plan_status: str = models.TreatmentPlan.Status.ACTIVE
    screening_issue: tuple[str, str] | None = None  # (kind, "missing" | "expired" | "expiring" | "low")
    given_last_open_day: bool = False  # the last dose was given on the center's last open day before today


OCR, ZUN, TYS, TYR = "Ocrevus (IV)", "Ocrevus Zunovo (SC)", "Tysabri", "Tyruko"
LEM, BRI, MITO, MP = "Lemtrada", "Briumvi", "Mitoxantrone", "IV methylprednisolone (relapse)"
SEVERE, MODERATE, MILD = (
    models.InfusionReaction.Severity.SEVERE,
    models.InfusionReaction.Severity.MODERATE,
    models.InfusionReaction.Severity.MILD,
)
PPMS, SPMS = Patient.MSType.PPMS, Patient.MSType.SPMS

ROSTER = [
    DemoPatient(OCR, 0, 3, screening_issue=("hep_b", "missing")),
    DemoPatient(OCR, 1, 0),
    DemoPatient(OCR, 2, 6, ms_type=PPMS),
    DemoPatient(OCR, 4, 1, reaction=(1, SEVERE)),
    DemoPatient(OCR, 5, 0, short_infusion=False),
    DemoPatient(OCR, 3, 0),
    DemoPatient(OCR, 6, 12, ms_type=PPMS),
    DemoPatient(OCR, 3, 30),
    DemoPatient(OCR, 4, -9, book=False),
    DemoPatient(OCR, 7, 45),
    DemoPatient(ZUN, 0, 0),
    DemoPatient(ZUN, 1, 2),
    DemoPatient(ZUN, 3, 0),
    DemoPatient(ZUN, 2, 60),
    DemoPatient(TYS, 2, 1),
    DemoPatient(TYS, 5, 2, reaction=(4, MILD)),
    DemoPatient(TYS, 11, 0, screening_issue=("jcv", "expiring")),
    DemoPatient(TYS, 12, 0),
    DemoPatient(TYS, 20, 7, screening_issue=("rems", "expired")),
    DemoPatient(TYS, 30, 9, screening_issue=("jcv", "expired")),
    DemoPatient(TYS, 15, 0, screening_issue=("rems", "expiring")),
    DemoPatient(TYS, 8, 0),
    DemoPatient(TYS, 25, -6, book=False),
    DemoPatient(TYR, 0, 0),
    DemoPatient(TYR, 3, 0),
    DemoPatient(TYR, 14, 12),
    DemoPatient(LEM, 0, 7),
    DemoPatient(LEM, 1, 10, screening_issue=("cbc", "expiring")),
    DemoPatient(BRI, 0, 2),
    DemoPatient(BRI, 1, 0),
    DemoPatient(BRI, 2, 0),
    DemoPatient(BRI, 4, 11, reaction=(2, MODERATE)),
    DemoPatient(BRI, 3, 40),
    DemoPatient(MITO, 4, 5, ms_type=SPMS),
    DemoPatient(MITO, 10, 8, ms_type=SPMS, screening_issue=("lvef", "low")),
    DemoPatient(MITO, 11, 12, ms_type=SPMS),  # the next dose would pass the lifetime limit
    DemoPatient(MP, 0, 1, course_days=3),
    DemoPatient(MP, 0, 3, course_days=5),
    DemoPatient(MP, 1, -30, course_days=3, book=False, plan_status=models.TreatmentPlan.Status.COMPLETED),
    DemoPatient(MP, 1, -75, course_days=5, book=False, plan_status=models.TreatmentPlan.Status.COMPLETED),
    # Seen on the last open day: their after-visit emails (what to watch for, a check-in) go out now.
    DemoPatient(TYS, 9, 0, book=False, given_last_open_day=True),
    DemoPatient(ZUN, 2, 0, book=False, given_last_open_day=True),
]


@dataclass
class Course:
    phase: PhaseSpec
    days: list[datetime.date]


@dataclass
class Booking:
    """An appointment being laid out: chair time from the engine, chair and start from the placer."""

    phase: PhaseSpec
    infusion_number: int
    course_day: int
    course_id: uuid.UUID | None
    day: datetime.date
    premed: int
    infusion: int
    observation: int
    short: bool
    chair: models.Chair | None = None
    start: datetime.datetime | None = None

    @property
    def total(self) -> int:
        return self.premed + self.infusion + self.observation


def _open_days(day: datetime.date, count: int, closed: set[datetime.date]) -> bool:
    return all(
        (day + datetime.timedelta(days=i)).weekday() < 5 and (day + datetime.timedelta(days=i)) not in closed
        for i in range(count)
    )


def first_open_course_start(target: datetime.date, count: int, closed: set[datetime.date]) -> datetime.date:
    """The first day on or after `target` when `count` consecutive days are all open weekdays."""
    day = target
    while not _open_days(day, count, closed):
        day += datetime.timedelta(days=1)
    return day


def regimen_courses(
    spec: DrugSpec, start: datetime.date, count: int, *, course_days: int | None, closed: set[datetime.date]
) -> list[Course]:
    """Up to `count` courses of the regimen from `start`, each counted from the dose actually given."""
    courses: list[Course] = []
    phase_index = 0
    first_day: datetime.date | None = None
    while len(courses) < count and phase_index < len(spec.phases):
        phase = spec.phases[phase_index]
        if not courses:
            target = start
        else:
            new_phase = courses[-1].phase.order != phase.order
            anchor = first_day if (new_phase and phase.interval_anchor == "first") else courses[-1].days[-1]
            target = anchor + datetime.timedelta(days=phase.interval_days or 0)
        days_in_course = phase.consecutive_days
        if phase.consecutive_days_max and course_days:
            days_in_course = max(phase.consecutive_days, min(course_days, phase.consecutive_days_max))
        begin = first_open_course_start(target, days_in_course, closed)
        courses.append(Course(phase, [begin + datetime.timedelta(days=i) for i in range(days_in_course)]))
        first_day = first_day or begin
        if not phase.repeats:
            phase_index += 1
    return courses


class Placer:
    """Lays appointments out where the engine's capacity rules say they fit (engine/capacity.py): no overlap per
    chair or per patient, inside opening hours and chair closures, within the nurse caps."""

    def __init__(self, chairs: list[models.Chair], center: Center, rng: random.Random) -> None:
        self.chairs = chairs
        self.center = center  # the rules; the bookings are kept per day here, as they are placed
        self.rng = rng
        self.held: dict[datetime.date, list[tuple[HeldChair, int, int]]] = defaultdict(list)
        self.profiles: dict[datetime.date, DayProfile] = {}

    def reserve(self, *, chair_id: int, patient_id: int, start: datetime.datetime, end: datetime.datetime) -> None:
        day, minute = self.center.local_minute(start)
        span = (day, minute, minute + int((end - start).total_seconds() // 60))
        self.held[day].append((HeldChair(0, chair_id, patient_id, None, None, span), span[1], span[2]))
        self.profiles.pop(day, None)

    def _profile(self, day: datetime.date) -> DayProfile:
        if day not in self.profiles:
            self.profiles[day] = DayProfile(self.center.rules(day), self.held[day], self.center)
        return self.profiles[day]

    def place(
        self, booking: Booking, patient_id: int, prefer: tuple[models.Chair, datetime.time] | None = None
    ) -> bool:
        profile = self._profile(booking.day)
        rules = profile.rules
        if not rules.is_open:
            return False
        length = booking.total
        starts = list(range(rules.opens, rules.closes - length + 1, GRID_MINUTES))
        if not starts:
            return False
        if prefer is not None:
            preferred = prefer[1].hour * 60 + prefer[1].minute
            pivot = min(range(len(starts)), key=lambda i: abs(starts[i] - preferred))
        else:
            # Most patients arrive in the morning; long infusions have few start times left anyway.
            pivot = min(len(starts) - 1, int(self.rng.triangular(0, len(starts), 0)))
        ordered = starts[pivot:] + starts[:pivot]
        chairs = [c for c in self.chairs if c.pk not in rules.closed_chairs]
        if prefer is not None and prefer[0] in chairs:
            chairs.remove(prefer[0])
            chairs.insert(0, prefer[0])
        else:
            self.rng.shuffle(chairs)
        patient_busy = profile.patient_busy.get(patient_id, ())
        for start in ordered:
            end = start + length
            if any(s < end and start < e for s, e in patient_busy) or not profile.nurses_allow(start, end):
                continue
            for chair in chairs:
                if profile.chair_free_starts(chair.pk, length, [start]):
                    booking.chair, booking.start = chair, self.center.aware(booking.day, start)
                    self.reserve(
                        chair_id=chair.pk,
                        patient_id=patient_id,
                        start=booking.start,
                        end=self.center.aware(booking.day, end),
                    )
                    return True
        return False


class DemoCenter:
    """Builds the demo center; the `demo_center` command runs it."""

    def __init__(self, *, stdout, style) -> None:
        self.stdout = stdout
        self.style = style

    def run(self, *, seed: int, reset: bool, password: str | None) -> None:
        missing = {p.drug for p in ROSTER} - set(models.Drug.objects.values_list("name", flat=True))
        if missing:
            raise CommandError(f"The drug catalogue lacks {', '.join(sorted(missing))}: run `manage.py migrate` first.")
        exists = Patient.objects.filter(mrn__startswith=MRN_PREFIX).exists()
        if exists and not reset:
            self.stdout.write("The demo center already exists; nothing changed (use --reset to rebuild it).")
            logins = settings.VAR_DIR / "demo-logins.txt"
            if logins.exists():  # the one place `make run` shows them
                self.stdout.write(logins.read_text().rstrip("\n"))
            return
        with transaction.atomic():
            if exists:
                self._delete_demo()
            logins = self._users(password)
            self._build(random.Random(seed))
            demo_reoptimisation()  # the Plan > Re-optimisation page shows a proposal to review
            demo_integration(manager=get_user_model().objects.get(username="demo-manager"))
            next_doses_refresh()  # the worklist's stored next doses, as of the whole history just written
            forecast_refresh()  # the forecast page and slot search's ceiling from the start, before the beat's first
        self._report_logins(logins)

    # -- users ---------------------------------------------------------------------------------------------------

    def _users(self, password: str | None) -> list[tuple[str, str, str]]:
        User = get_user_model()
        logins = []
        for username, first, last, role in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@infusion-center.example"
            user.is_staff = role in roles.STAFF_ROLES
            user.is_active = True
            secret = password or secrets.token_urlsafe(15)
            user.set_password(secret)
            user.save()
            user.groups.set([Group.objects.get_or_create(name=role)[0]])
            logins.append((role, username, secret))
        return logins

    def _report_logins(self, logins: list[tuple[str, str, str]]) -> None:
        lines = ["Demo logins (role, username, password):"]
        lines += [f"  {role:<12} {username:<16} {secret}" for role, username, secret in logins]
        text = "\n".join(lines) + "\n"
        path = settings.VAR_DIR / "demo-logins.txt"
        path.write_text(text)
        path.chmod(0o600)
        self.stdout.write(self.style.SUCCESS("Demo center created."))
        self.stdout.write(text + f"(also written to {path})")

    # -- reset ---------------------------------------------------------------------------------------------------

    def _delete_demo(self) -> None:
        patients = Patient.objects.filter(mrn__startswith=MRN_PREFIX)
        demo_replies_delete(patients)
        models.InfusionReaction.objects.filter(patient__in=patients).delete()
        models.OutsideDose.objects.filter(patient__in=patients).delete()
        models.Appointment.objects.filter(patient__in=patients).delete()
        models.TreatmentPlan.objects.filter(patient__in=patients).delete()
        patients.delete()
        models.Closure.objects.filter(reason__endswith=f"({DEMO_NOTE})").delete()
        models.NurseStaffing.objects.filter(notes__endswith=f"({DEMO_NOTE})").delete()
        models.Chair.objects.filter(name__in=_chair_names(), appointments__isnull=True).delete()

    # -- the center ----------------------------------------------------------------------------------------------

    def _build(self, rng: random.Random) -> None:
        tz = center_tz()
        today = timezone.localdate()
        chairs = self._center(today)
        closed_days = {
            c.starts_on + datetime.timedelta(days=i)
            for c in models.Closure.objects.filter(chair__isnull=True)
            for i in range((c.ends_on - c.starts_on).days + 1)
        }
        users = {u.username: u for u in get_user_model().objects.filter(username__in=[u[0] for u in DEMO_USERS])}
        scheduler, nurse = users["demo-scheduler"], users["demo-nurse"]
        specs = {spec.name: spec for spec in drug_specs().values()}
        drugs = {d.name: d for d in models.Drug.objects.all()}
        phases = {p.pk: p for d in models.Drug.objects.prefetch_related("phases") for p in d.phases.all()}

        # the rules of every day the demo lays out: years of history back, months of bookings ahead
        rules = center_for_range(today - DEMO_SPAN, today + DEMO_SPAN, with_bookings=False)
        placer = Placer(chairs, rules, rng)
        for appt in models.Appointment.objects.filter(
            status__in=models.Appointment.ACTIVE_STATUSES
        ):  # rows not from the demo
            placer.reserve(
                chair_id=appt.chair_id, patient_id=appt.patient_id, start=appt.premed_start, end=appt.observation_end
            )

        people = self._people(rng, today)
        appointments: list[models.Appointment] = []
        reactions: list[tuple[models.Appointment, str]] = []
        for entry, person in zip(ROSTER, people, strict=True):
            spec = specs[entry.drug]
            courses = self._courses(spec, entry, today, closed_days, rng)
            first_day = courses[0].days[0]
            patient = Patient.objects.create(**person)
            self._contacts(rng, patient)
            plan = models.TreatmentPlan.objects.create(
                patient=patient,
                drug=drugs[entry.drug],
                start_date=first_day,
                status=entry.plan_status,
                course_days=entry.course_days,
                created_by=scheduler,
                notes=DEMO_NOTE,
            )
            bookings = self._bookings(spec, entry, patient, courses, today, rng)
            prefer = None
            for booking in bookings:
                if not placer.place(booking, patient.pk, prefer):
                    raise CommandError(f"No room for {patient} on {booking.day}: the demo center is too full.")
                prefer = (booking.chair, timezone.localtime(booking.start, tz).time())
                appt = self._appointment(booking, patient, plan, phases, scheduler, today, rng)
                appointments.append(appt)
                if entry.reaction and entry.reaction[0] == booking.infusion_number:
                    reactions.append((appt, entry.reaction[1]))
            self._screenings(rng, entry, patient, spec, courses, bookings, today, nurse)

        bulk_create_with_history(appointments, models.Appointment, default_user=scheduler)
        self._premedications_given(appointments, specs, nurse)
        for appt, severity in reactions:
            symptoms, action = REACTION_SYMPTOMS[severity]
            models.InfusionReaction.objects.create(
                appointment=appt,
                patient=appt.patient,
                drug=appt.plan.drug,
                occurred_at=appt.infusion_start + datetime.timedelta(minutes=40),
                severity=severity,
                symptoms=symptoms,
                action_taken=action,
                recorded_by=nurse,
            )
        self._no_shows_and_cancellations(rng, appointments, specs, scheduler)
        self._reminders(appointments, today, tz)
        demo_replies(
            patients=Patient.objects.filter(mrn__startswith=MRN_PREFIX), scheduler=scheduler, nurse=nurse, rng=rng
        )
        build_infusion_day(rng=rng, today=today, users=users)
        demo_needs_attention(today=today, user=scheduler, note=DEMO_NOTE)  # a few bookings in "Needs attention"

    def _center(self, today: datetime.date) -> list[models.Chair]:
        chairs = []
        for position, name in enumerate(_chair_names(), start=1):
            chair, _ = models.Chair.objects.get_or_create(name=name, defaults={"position": position})
            chairs.append(chair)
        for chair in chairs:
            note = {"Chair 1": "Next to the nurses' station", "Chair 12": "Bariatric recliner"}.get(chair.name)
            if note and chair.notes != note:
                chair.notes = note
                chair.save(update_fields=["notes"])
        for weekday in range(5):
            models.OpeningHours.objects.update_or_create(
                weekday=weekday,
                defaults={
                    "opens_at": OPENS,
                    "closes_at": CLOSES,
                    "nurses_on_duty": NURSES,
                    "setup_minutes": SETUP_MINUTES,
                    "patients_per_nurse": PATIENTS_PER_NURSE,
                },
            )
        models.OpeningHours.objects.filter(weekday__gte=5).delete()
        weekdays = [d for d in (today + datetime.timedelta(days=i) for i in range(1, HORIZON_DAYS)) if d.weekday() < 5]
        models.Closure.objects.create(
            chair=chairs[-1],
            starts_on=weekdays[2],
            ends_on=weekdays[2],
            reason=f"Recliner motor repair ({DEMO_NOTE})",
        )
        christmas = datetime.date(today.year if today < datetime.date(today.year, 12, 25) else today.year + 1, 12, 25)
        models.Closure.objects.create(
            starts_on=christmas, ends_on=christmas + datetime.timedelta(days=1), reason=f"Holiday ({DEMO_NOTE})"
        )
        models.NurseStaffing.objects.get_or_create(
            date=weekdays[5],
            defaults={
                "nurses_on_duty": 2,
                "setup_minutes": SETUP_MINUTES,
                "patients_per_nurse": PATIENTS_PER_NURSE,
                "notes": f"One nurse at training ({DEMO_NOTE})",
            },
        )
        return chairs

    # -- patients ------------------------------------------------------------------------------------------------

    def _people(self, rng: random.Random, today: datetime.date) -> list[dict]:
        women, men, surnames = FEMALE_NAMES[:], MALE_NAMES[:], LAST_NAMES[:]
        rng.shuffle(women)
        rng.shuffle(men)
        rng.shuffle(surnames)
        people = []
        for number, entry in enumerate(ROSTER, start=1):
            female = bool(women) and (rng.random() < 0.72 or not men)
            first = women.pop() if female else men.pop()
            last = surnames.pop()
            age = rng.randint(24, 66) if entry.drug != MITO else rng.randint(45, 64)
            born = today - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
            height = Decimal(rng.randint(152, 178) if female else rng.randint(165, 193))
            weight = Decimal(rng.randint(50, 98) if female else rng.randint(64, 112))
            handle = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
            consent = number % 9 != 0
            people.append(
                {
                    "mrn": f"{MRN_PREFIX}{number:04d}",
                    "first_name": first,
                    "last_name": last,
                    "date_of_birth": born,
                    "sex": Patient.Sex.FEMALE if female else Patient.Sex.MALE,
                    "reproductive_potential": female and age < 50,
                    "email": "" if number == 17 else f"{handle}@{rng.choice(EMAIL_DOMAINS)}",
                    "phone": f"+1 555 01{rng.randint(0, 99):02d} {rng.randint(0, 9999):04d}",
                    "address": f"{rng.randint(2, 980)} {rng.choice(STREETS)}, Springfield",
                    "reminder_consent": consent,
                    "reminders_opted_out_at": timezone.now() - datetime.timedelta(days=40) if number == 23 else None,
                    "ms_type": entry.ms_type,
                    "allergies": rng.choice(ALLERGIES),
                    "current_medications": "\n".join(rng.sample(MEDICATIONS, rng.randint(0, 3))),
                    "conditions": "Heart failure (NYHA II)" if number == 12 else rng.choice(CONDITIONS),
                    "fluid_restriction": number == 12,
                    "height_cm": height,
                    "weight_kg": weight,
                    "notes": DEMO_NOTE,
                }
            )
        return people

    def _contacts(self, rng: random.Random, patient: Patient) -> None:
        surnames = LAST_NAMES[:]
        for _ in range(1 if rng.random() < 0.7 else 2):
            relationship = rng.choice(RELATIONSHIPS)
            first = rng.choice(FEMALE_NAMES + MALE_NAMES)
            last = patient.last_name if relationship != "Friend" else rng.choice(surnames)
            EmergencyContact.objects.create(
                patient=patient,
                name=f"{first} {last}",
                relationship=relationship,
                phone=f"+1 555 01{rng.randint(0, 99):02d} {rng.randint(0, 9999):04d}",
            )

    # -- doses ---------------------------------------------------------------------------------------------------

    def _courses(
        self,
        spec: DrugSpec,
        entry: DemoPatient,
        today: datetime.date,
        closed: set[datetime.date],
        rng: random.Random,
    ) -> list[Course]:
        """The patient's courses, shifted by whole weeks so the next one falls due as the roster says."""
        monday = today - datetime.timedelta(days=today.weekday() + 7 * 52 * 4)  # years back
        reference = monday + datetime.timedelta(days=rng.randint(0, 4))  # each patient has their own weekday
        if entry.next_due_in_days == 0 and entry.book:  # due today: every dose on the weekday of the next open day
            reference = monday + datetime.timedelta(days=first_open_course_start(today, 1, closed).weekday())
        if entry.given_last_open_day:  # whole-week intervals keep every dose on the weekday of the last one
            last_open = today - datetime.timedelta(days=1)
            while last_open.weekday() >= 5 or last_open in closed:
                last_open -= datetime.timedelta(days=1)
            reference = monday + datetime.timedelta(days=last_open.weekday())
            courses = regimen_courses(spec, reference, entry.courses_given, course_days=entry.course_days, closed=set())
            shift = last_open - courses[-1].days[-1]
            return [Course(c.phase, [d + shift for d in c.days]) for c in courses]
        wanted = entry.courses_given + (1 if entry.book else 0)
        # Enough courses to cover the booking horizon (an Ocrevus start books infusion 1, maybe infusion 2).
        courses = regimen_courses(spec, reference, wanted + 3, course_days=entry.course_days, closed=set())
        pivot = courses[min(entry.courses_given, len(courses) - 1)]
        target = today + datetime.timedelta(days=entry.next_due_in_days)
        if entry.courses_given >= len(courses):  # the regimen is finished: the last course was next_due_in_days ago
            pivot = courses[-1]
        shift = datetime.timedelta(weeks=round((target - pivot.days[0]).days / 7))
        shifted = [Course(c.phase, [d + shift for d in c.days]) for c in courses]
        if entry.book and entry.courses_given < len(shifted):
            upcoming = shifted[entry.courses_given]
            if upcoming.days[0] < today:  # rounding to whole weeks landed in the past: a week later
                shifted = [Course(c.phase, [d + datetime.timedelta(weeks=1) for d in c.days]) for c in shifted]
            # Future courses avoid center closures; past ones were given on open weekdays already.
            upcoming = shifted[entry.courses_given]
            begin = first_open_course_start(upcoming.days[0], len(upcoming.days), closed)
            delta = begin - upcoming.days[0]
            shifted = shifted[: entry.courses_given] + [
                Course(c.phase, [d + delta for d in c.days]) for c in shifted[entry.courses_given :]
            ]
        return shifted

    def _bookings(
        self,
        spec: DrugSpec,
        entry: DemoPatient,
        patient: Patient,
        courses: list[Course],
        today: datetime.date,
        rng: random.Random,
    ) -> list[Booking]:
        """Past courses (given) and the courses that start within the booking horizon, with engine chair times."""
        horizon_end = today + datetime.timedelta(days=HORIZON_DAYS - 1)
        bookings: list[Booking] = []
        infusion_number = 0
        prior_reaction = prior_serious = False
        for number, course in enumerate(courses):
            given = number < entry.courses_given
            if not given and not (entry.book and course.days[0] <= horizon_end):
                break
            course_id = uuid.UUID(int=rng.getrandbits(128)) if len(course.days) > 1 else None
            for course_day, day in enumerate(course.days, start=1):
                infusion_number += 1
                time = chair_time(
                    course.phase,
                    infusion_number=infusion_number,
                    course_day=course_day,
                    prior_reaction=prior_reaction,
                    prior_serious_reaction=prior_serious,
                    use_short_infusion=entry.short_infusion,
                )
                bookings.append(
                    Booking(
                        phase=course.phase,
                        infusion_number=infusion_number,
                        course_day=course_day,
                        course_id=course_id,
                        day=day,
                        premed=time.premed_minutes,
                        infusion=time.infusion_minutes,
                        observation=time.observation_minutes,
                        short=time.short_infusion,
                    )
                )
                if entry.reaction and entry.reaction[0] == infusion_number:
                    prior_reaction = True
                    prior_serious = entry.reaction[1] in models.InfusionReaction.SERIOUS
        return bookings

    def _appointment(self, booking, patient, plan, phases, scheduler, today, rng) -> models.Appointment:
        premed_start = booking.start
        infusion_start = premed_start + datetime.timedelta(minutes=booking.premed)
        infusion_end = infusion_start + datetime.timedelta(minutes=booking.infusion)
        observation_end = infusion_end + datetime.timedelta(minutes=booking.observation)
        appt = models.Appointment(
            patient=patient,
            plan=plan,
            phase=phases[booking.phase.id],
            chair=booking.chair,
            infusion_number=booking.infusion_number,
            course_day=booking.course_day,
            course_id=booking.course_id,
            dose_mg=dose_mg(booking.phase, patient.body_surface_area),
            short_infusion=booking.short,
            premed_start=premed_start,
            infusion_start=infusion_start,
            infusion_end=infusion_end,
            observation_end=observation_end,
            uid=uuid.UUID(int=rng.getrandbits(128)),
            created_by=scheduler,
        )
        now = timezone.now()
        # patients arrive a little before their premedication starts: the next ones may have checked in already
        if booking.day < today or (booking.day == today and premed_start <= now + datetime.timedelta(minutes=45)):
            self._visit_so_far(appt, booking, now, rng)
        return appt

    def _visit_so_far(
        self, appt: models.Appointment, booking: Booking, now: datetime.datetime, rng: random.Random
    ) -> None:
        """A visit that has begun: each step the nurses recorded up to now (all of them for a finished visit)."""
        late = datetime.timedelta(minutes=rng.choice([0, 0, 5, 10]))
        premeds_given = [
            appt.infusion_start - datetime.timedelta(minutes=p.minutes_before)
            for p in booking.phase.premeds
            if p.required and p.applies_on(appt.course_day)
        ]
        steps = [
            ("checked_in_at", appt.premed_start - datetime.timedelta(minutes=rng.randint(2, 50)), "CHECKED_IN"),
            ("premedicated_at", max(premeds_given, default=None), "PREMEDICATED"),
            ("infusion_started_at", appt.infusion_start + late, "INFUSING"),
            ("infusion_ended_at", appt.infusion_end + late, "OBSERVING"),
            ("discharged_at", appt.observation_end + late, "COMPLETED"),
        ]
        for field_name, moment, status in steps:
            if moment is None:
                continue
            if moment > now:
                break
            setattr(appt, field_name, moment)
            appt.status = getattr(models.Appointment.Status, status)

    def _premedications_given(self, appointments: list[models.Appointment], specs: dict, nurse) -> None:
        phase_specs = {p.id: p for spec in specs.values() for p in spec.phases}
        rows = []
        for appt in appointments:
            if appt.infusion_started_at is None and appt.premedicated_at is None:
                continue
            for premed in phase_specs[appt.phase_id].premeds:
                given_at = appt.infusion_start - datetime.timedelta(minutes=premed.minutes_before)
                if premed.required and premed.applies_on(appt.course_day) and given_at <= timezone.now():
                    rows.append(
                        models.PremedicationGiven(
                            appointment=appt,
                            premedication_id=premed.id,
                            given_at=given_at,
                            given_by=nurse,
                        )
                    )
        bulk_create_with_history(rows, models.PremedicationGiven, default_user=nurse)

    def _no_shows_and_cancellations(self, rng, appointments, specs, scheduler) -> None:
        """A few missed visits (the dose given a week later) and cancelled bookings, for the reports.

        Only where the missed date still respected the minimum gap after the previous dose.
        """
        min_gaps = {p.id: p.min_gap_days or 0 for spec in specs.values() for p in spec.phases}
        by_patient: dict[int, list[models.Appointment]] = {}
        for appt in appointments:
            if appt.status == models.Appointment.Status.COMPLETED:
                by_patient.setdefault(appt.patient_id, []).append(appt)
        candidates = [
            appt
            for visits in by_patient.values()
            for previous, appt in itertools.pairwise(sorted(visits, key=lambda a: a.premed_start))
            if appt.course_id is None
            and previous.course_id is None
            and (appt.premed_start - previous.premed_start).days - 7 >= min_gaps[appt.phase_id]
        ]
        extra = []
        for appt in rng.sample(candidates, 4):
            missed = models.Appointment(
                patient=appt.patient,
                plan=appt.plan,
                phase=appt.phase,
                chair=appt.chair,
                infusion_number=appt.infusion_number,
                dose_mg=appt.dose_mg,
                short_infusion=appt.short_infusion,
                premed_start=appt.premed_start - datetime.timedelta(days=7),
                infusion_start=appt.infusion_start - datetime.timedelta(days=7),
                infusion_end=appt.infusion_end - datetime.timedelta(days=7),
                observation_end=appt.observation_end - datetime.timedelta(days=7),
                uid=uuid.UUID(int=rng.getrandbits(128)),
                created_by=scheduler,
            )
            if len(extra) % 2 == 0:
                missed.status = models.Appointment.Status.NO_SHOW
                missed.no_show_at = missed.premed_start + datetime.timedelta(minutes=30)
            else:
                missed.status = models.Appointment.Status.CANCELLED
                missed.cancelled_at = missed.premed_start - datetime.timedelta(days=2)
                missed.cancel_reason = rng.choice(["Patient unwell (cold)", "Transport fell through"])
            missed.notes = "Re-booked a week later."
            extra.append(missed)
        bulk_create_with_history(extra, models.Appointment, default_user=scheduler)

    # -- reminder emails -----------------------------------------------------------------------------------------

    def _reminders(self, appointments: list[models.Appointment], today: datetime.date, tz: ZoneInfo) -> None:
        """Plan the patients' emails through the same hooks as a real booking and discharge.

        Future bookings get their confirmation (due now), preparation and hydration; visits discharged today or
        yesterday get their reaction-monitoring and check-in emails. The worker sends each one when it is due.
        """
        now = timezone.now()
        since = today - datetime.timedelta(days=1)
        for appt in sorted(appointments, key=lambda a: a.premed_start):
            if appt.status == models.Appointment.Status.SCHEDULED and appt.premed_start > now:
                reminders_on_booked(appointment=appt)
            elif (
                appt.status == models.Appointment.Status.COMPLETED
                and appt.discharged_at is not None
                and timezone.localtime(appt.discharged_at, tz).date() >= since
            ):
                reminders_on_discharged(appointment=appt)

    # -- screenings ----------------------------------------------------------------------------------------------

    def _screenings(self, rng, entry, patient, spec, courses, bookings, today, nurse) -> None:
        """Results for each of the drug's requirements: most valid, a few expiring, expired, missing or too low."""
        first_dose = courses[0].days[0]
        upcoming = [b.day for b in bookings if b.day >= today]
        next_visit = upcoming[0] if upcoming else None
        issue_kind, issue = entry.screening_issue or (None, None)
        past_visits = [b.day for b in bookings if b.day < today]
        whens: dict[str, set[str]] = {}
        checks = {}
        for requirement in spec.requirements:
            if requirement.reproductive_potential_only and not patient.reproductive_potential:
                continue
            whens.setdefault(requirement.kind, set()).add(requirement.when)
            checks[requirement.kind] = requirement.check
        validity_of = dict(CheckKind.objects.filter(code__in=list(whens)).values_list("code", "default_validity_days"))
        rows = []
        for kind, when in whens.items():
            if kind == issue_kind and issue == "missing":
                continue
            validity = validity_of[kind]
            check = checks[kind]
            if when & {"first", "baseline"}:  # taken before the first dose
                taken = min(first_dose, today) - datetime.timedelta(days=rng.randint(14, 40))
                if not when & {"every", "monthly", "periodic"}:
                    if kind == issue_kind and issue == "expired":
                        taken = today - datetime.timedelta(days=validity + rng.randint(5, 30))
                    rows.append(self._result(check, taken, validity, rng, low=False))
                    continue
                if first_dose < today - datetime.timedelta(days=validity):
                    rows.append(self._result(check, taken, validity, rng, low=False))
            if validity <= 7:
                # Checked just before a visit: only visits in the next two days have a current one.
                if next_visit and (next_visit - today).days <= 2:
                    taken = today
                elif past_visits:
                    taken = past_visits[-1]
                else:
                    continue
            elif check.numeric:
                taken = today - datetime.timedelta(days=rng.randint(3, 10))
            else:
                taken = today - datetime.timedelta(days=rng.randint(5, max(6, min(validity, 31) // 4)))
            if kind == issue_kind and issue == "expired":
                taken = today - datetime.timedelta(days=validity + rng.randint(5, 30))
            elif kind == issue_kind and issue == "expiring":
                taken = today - datetime.timedelta(days=validity - rng.randint(2, 6))
            rows.append(self._result(check, taken, validity, rng, low=(kind == issue_kind and issue == "low")))
        for row in rows:
            Screening.objects.create(patient=patient, recorded_by=nurse, notes=DEMO_NOTE, **row)

    def _result(self, check, taken: datetime.date, validity: int, rng: random.Random, *, low: bool) -> dict:
        """A clearing result of the check (JCV sometimes positive; 'low' gives a value below the threshold)."""
        row = {"kind_id": check.code, "taken_on": taken, "valid_days": validity, "result": ""}
        if check.numeric:
            threshold = check.threshold
            row["value"] = (
                (threshold * Decimal("0.94")).quantize(Decimal("1"))
                if low
                else (threshold * Decimal(str(round(rng.uniform(1.1, 1.35), 2)))).quantize(Decimal("1"))
            )
            return row
        if check.code == "jcv" and rng.random() < 0.3:
            row["result"] = "positive"
            row["value"] = Decimal(str(round(rng.uniform(0.9, 2.8), 2)))
            return row
        row["result"] = next(a.code for a in check.answers if a.outcome == "clears")
        if check.code == "jcv":
            row["value"] = Decimal(str(round(rng.uniform(0.05, 0.35), 2)))
        return row


def _chair_names() -> list[str]:
    return [f"Chair {n}" for n in range(1, CHAIR_COUNT + 1)]
