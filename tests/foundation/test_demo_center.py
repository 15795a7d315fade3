"""The demo center: realistic, consistent with each drug's regimen and the center's limits, idempotent."""

import datetime
import io
import itertools
import os
import sqlite3
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from infusion_center import roles
from patients.models import Patient, Screening
from scheduling.catalogue import drug_specs
from scheduling.engine.protocol import chair_time
from scheduling.models import Appointment, Chair, InfusionReaction, OpeningHours, TreatmentPlan
from scheduling.selectors import planning
from tests.clock import local

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "demo-password-123456"


def run_demo(*args) -> str:
    out = io.StringIO()
    call_command("demo_center", "--password", PASSWORD, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return run_demo()


def signature():
    return sorted(
        (
            a.patient.mrn,
            a.patient.first_name,
            a.patient.last_name,
            a.phase.drug.name,
            a.infusion_number,
            timezone.localtime(a.premed_start).isoformat(),
            a.chair.name,
            a.status,
        )
        for a in Appointment.objects.select_related("patient", "phase__drug", "chair")
    )


def active_appointments():
    return list(
        Appointment.objects.filter(status__in=Appointment.ACTIVE_STATUSES).select_related("phase__drug", "chair")
    )


def test_the_center_its_staff_and_logins(demo, tmp_path):
    assert Chair.objects.filter(is_active=True).count() == 12
    hours = list(OpeningHours.objects.all())
    assert [h.weekday for h in hours] == [0, 1, 2, 3, 4]
    assert {(h.opens_at, h.closes_at, h.nurses_on_duty, h.patients_per_nurse) for h in hours} == {
        (datetime.time(7), datetime.time(19), 3, 4)
    }
    users = {u.username: u for u in get_user_model().objects.prefetch_related("groups")}
    expected = {
        "demo-scheduler": roles.SCHEDULER,
        "demo-nurse": roles.NURSE,
        "demo-chargenurse": roles.CHARGE_NURSE,
        "demo-drugadmin": roles.DRUG_ADMIN,
        "demo-manager": roles.MANAGER,
        "demo-pharmacy": roles.PHARMACY,
    }
    for username, role in expected.items():
        user = users[username]
        assert [g.name for g in user.groups.all()] == [role]
        assert user.check_password(PASSWORD)
        assert user.is_staff == (role in roles.STAFF_ROLES)
        assert not user.is_superuser
        assert f"{username}" in demo and PASSWORD in demo
    assert (tmp_path / "demo-logins.txt").read_text().count(PASSWORD) == 6


def test_the_forecast_is_stored_from_the_start(demo):
    # slot search and the forecast page have a ceiling before the beat's first refresh
    assert planning.search_ceiling() is not None and planning.stored_forecast().summary.dose_count > 0


def test_random_passwords_are_strong_and_printed(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("demo_center", stdout=out)
    lines = [line.split() for line in out.getvalue().splitlines() if line.startswith("  ")]
    passwords = {line[-1] for line in lines}
    assert len(lines) == 6 and len(passwords) == 6
    for username, password in ((line[-2], line[-1]) for line in lines):
        assert len(password) >= 16
        assert get_user_model().objects.get(username=username).check_password(password)


def test_about_forty_patients_on_all_eight_therapies_with_contacts_and_consent(demo):
    patients = list(Patient.objects.prefetch_related("emergency_contacts"))
    assert 35 <= len(patients) <= 45
    drugs = set(TreatmentPlan.objects.values_list("drug__name", flat=True))
    assert len(drugs) == 8
    assert all(p.height_cm and p.weight_kg and p.body_surface_area for p in patients)
    assert all(p.emergency_contacts.all() for p in patients)
    emails = [p.email for p in patients if p.email]
    assert all(e.rsplit("@", 1)[1] in {"example.com", "example.org", "example.net"} for e in emails)
    consenting = [p for p in patients if p.can_receive_reminders]
    assert len(patients) - 6 <= len(consenting) < len(patients)  # most, not all


def test_appointments_never_overlap_and_stay_inside_hours_and_nurse_caps(demo):
    appointments = active_appointments()
    by_chair, by_patient, by_day = defaultdict(list), defaultdict(list), defaultdict(list)
    for a in appointments:
        by_chair[a.chair_id].append(a)
        by_patient[a.patient_id].append(a)
        by_day[timezone.localtime(a.premed_start).date()].append(a)
    for group in itertools.chain(by_chair.values(), by_patient.values()):
        group.sort(key=lambda a: a.premed_start)
        for earlier, later in itertools.pairwise(group):
            assert earlier.observation_end <= later.premed_start, (earlier, later)
    for day, visits in by_day.items():
        assert day.weekday() < 5
        for a in visits:
            start, end = timezone.localtime(a.premed_start), timezone.localtime(a.observation_end)
            assert datetime.time(7) <= start.time() and end.time() <= datetime.time(19) and end.date() == day
        for a in visits:
            in_chair = sum(1 for b in visits if b.premed_start <= a.premed_start < b.observation_end)
            assert in_chair <= 12
            starting = sum(1 for b in visits if abs(b.premed_start - a.premed_start) < datetime.timedelta(minutes=15))
            assert starting <= 3


def test_chair_time_is_the_engines_for_each_dose(demo):
    specs = {spec.id: spec for spec in drug_specs().values()}
    phases = {p.id: p for spec in specs.values() for p in spec.phases}
    reactions = defaultdict(list)
    for reaction in InfusionReaction.objects.select_related("appointment"):
        reactions[reaction.patient_id].append(reaction)
    for a in active_appointments():
        prior = [r for r in reactions[a.patient_id] if r.appointment.premed_start < a.premed_start]
        expected = chair_time(
            phases[a.phase_id],
            infusion_number=a.infusion_number,
            course_day=a.course_day,
            prior_reaction=bool(prior),
            prior_serious_reaction=any(r.is_serious for r in prior),
            use_short_infusion=a.short_infusion,
        )
        minutes = lambda x, y: int((y - x).total_seconds() // 60)  # noqa: E731
        assert (
            minutes(a.premed_start, a.infusion_start),
            minutes(a.infusion_start, a.infusion_end),
            minutes(a.infusion_end, a.observation_end),
        ) == (expected.premed_minutes, expected.infusion_minutes, expected.observation_minutes), a
        assert expected.short_infusion == a.short_infusion


def test_past_doses_follow_each_regimen_and_two_weeks_are_booked(demo):
    today = timezone.localdate()
    specs = {spec.id: spec for spec in drug_specs().values()}
    phases = {p.id: p for spec in specs.values() for p in spec.phases}
    scheduled = Appointment.objects.filter(status=Appointment.Status.SCHEDULED)
    from_today = [a for a in active_appointments() if timezone.localtime(a.premed_start).date() >= today]
    assert len(from_today) >= 30  # today's visits may already be under way or done
    first_days = {timezone.localtime(a.premed_start).date() for a in scheduled if a.course_day == 1}
    assert min(first_days) >= today and max(first_days) < today + datetime.timedelta(days=14)
    assert not Appointment.objects.filter(
        status=Appointment.Status.COMPLETED, premed_start__gte=timezone.now()
    ).exists()

    for plan in TreatmentPlan.objects.prefetch_related("appointments"):
        doses = sorted(
            (a for a in plan.appointments.all() if a.status in Appointment.ACTIVE_STATUSES),
            key=lambda a: a.premed_start,
        )
        assert [a.infusion_number for a in doses] == list(range(1, len(doses) + 1)), plan
        for previous, dose in itertools.pairwise(doses):
            if dose.course_day > 1:  # consecutive days of one course
                assert dose.course_id == previous.course_id
                assert timezone.localtime(dose.premed_start).date() - timezone.localtime(
                    previous.premed_start
                ).date() == datetime.timedelta(days=1)
                continue
            gap = (timezone.localtime(dose.premed_start).date() - timezone.localtime(previous.premed_start).date()).days
            minimum = phases[dose.phase_id].min_gap_days or 1
            assert gap >= minimum, (plan, dose.infusion_number, gap, minimum)

    ocrevus_maintenance = scheduled.filter(phase__drug__name="Ocrevus (IV)", phase__name="Maintenance")
    assert ocrevus_maintenance.exists()
    for appt in ocrevus_maintenance:
        last = (
            Appointment.objects.filter(patient=appt.patient, status=Appointment.Status.COMPLETED)
            .order_by("-premed_start")
            .first()
        )
        months_ago = (today - timezone.localtime(last.premed_start).date()).days / 30.4
        assert 4.5 <= months_ago <= 6, months_ago


def test_readiness_has_green_amber_and_red_cases_and_a_few_reactions(demo):
    today = timezone.localdate()
    screenings = list(Screening.objects.all())
    assert any(s.is_valid_on(today) and s.valid_until > today + datetime.timedelta(days=30) for s in screenings)
    assert any(s.is_valid_on(today) and s.valid_until <= today + datetime.timedelta(days=7) for s in screenings)
    assert any(not s.is_valid_on(today) for s in screenings if s.kind_id in {"rems", "jcv"})
    new_ocrevus = TreatmentPlan.objects.filter(drug__name="Ocrevus (IV)", start_date__gte=today)
    assert any(not plan.patient.screenings.filter(kind="hep_b").exists() for plan in new_ocrevus)
    assert Screening.objects.filter(kind="lvef", value__lt=50).exists()
    reactions = InfusionReaction.objects.all()
    assert 2 <= reactions.count() <= 5
    assert any(r.is_serious for r in reactions)
    assert Appointment.objects.filter(status=Appointment.Status.NO_SHOW).exists()
    assert Appointment.objects.filter(status=Appointment.Status.CANCELLED).exclude(cancel_reason="").exists()


def test_running_twice_changes_nothing_and_reset_rebuilds_the_same_center(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    # one moment for every build: the visits under way (checked in, infusing, observing) follow the clock
    with time_machine.travel(timezone.now(), tick=False):
        run_demo()
        before = signature()
        patients = Patient.objects.count()
        out = run_demo()
        assert "already exists" in out
        assert signature() == before
        assert Patient.objects.count() == patients
        assert get_user_model().objects.count() == 6

        run_demo("--reset")
        assert signature() == before  # same seed, same day: same center
        assert Chair.objects.count() == 12
        assert get_user_model().objects.count() == 6

        run_demo("--reset", "--seed", "7")
        assert signature() != before
        assert Patient.objects.count() == patients


def _clean_env(var_dir: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST_")) and k not in {"DATABASE_URL", "REDIS_URL", "VAR_DIR"}
    }
    env["VAR_DIR"] = str(var_dir)
    return env


def _counts(database: Path) -> dict:
    with sqlite3.connect(database) as db:
        return {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("patients_patient", "scheduling_appointment", "scheduling_chair", "auth_user")
        }


@pytest.mark.django_db(False)
def test_the_run_commands_setup_works_on_an_empty_sqlite_database_twice(tmp_path):
    """`make setup` (what `make run` does before starting the processes) on a fresh SQLite file, twice."""
    env = _clean_env(tmp_path)
    first = subprocess.run(["make", "setup"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Demo center created." in first.stdout
    database = tmp_path / "infusion_center.sqlite3"
    counts = _counts(database)
    assert counts["patients_patient"] == 42 and counts["scheduling_chair"] == 12 and counts["auth_user"] == 6

    second = subprocess.run(["make", "setup"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already exists" in second.stdout
    assert _counts(database) == counts
    assert (tmp_path / "demo-logins.txt").exists()


def test_missed_visits_were_booked_no_earlier_than_the_minimum_gap(demo):
    specs = {spec.id: spec for spec in drug_specs().values()}
    min_gaps = {p.id: p.min_gap_days or 0 for spec in specs.values() for p in spec.phases}
    # the visits missed in the past (the waitlist's demo also cancels one visit still to come)
    missed = Appointment.objects.filter(
        status__in=[Appointment.Status.NO_SHOW, Appointment.Status.CANCELLED], premed_start__lt=timezone.now()
    )
    assert missed.count() == 4
    for visit in missed:
        previous = (
            Appointment.objects.filter(
                patient=visit.patient, status=Appointment.Status.COMPLETED, premed_start__lt=visit.premed_start
            )
            .order_by("-premed_start")
            .first()
        )
        assert previous is not None
        assert (visit.premed_start - previous.premed_start).days >= min_gaps[visit.phase_id]


@pytest.mark.parametrize(
    "day",
    [
        local(datetime.date(2027, 3, 8), 9, 30),  # a Monday, days before the clocks change
        local(datetime.date(2026, 12, 16), 15),  # Christmas closure inside the two weeks
        local(datetime.date(2027, 7, 2), 18),  # a Friday evening
    ],
)
def test_the_demo_holds_its_rules_whatever_the_day(settings, tmp_path, day):
    settings.VAR_DIR = tmp_path
    with time_machine.travel(day, tick=False):
        run_demo()
        test_appointments_never_overlap_and_stay_inside_hours_and_nurse_caps(None)
        test_chair_time_is_the_engines_for_each_dose(None)
        test_past_doses_follow_each_regimen_and_two_weeks_are_booked(None)
        test_missed_visits_were_booked_no_earlier_than_the_minimum_gap(None)
        closed = {datetime.date(day.year, 12, 25), datetime.date(day.year, 12, 26)}
        assert not any(timezone.localtime(a.premed_start).date() in closed for a in active_appointments())


def test_the_demo_plans_its_patients_emails_through_the_reminder_hooks(settings, tmp_path, mailoutbox):
    """Future bookings: confirmation due now, preparation and hydration before the visit; visits discharged
    yesterday: reaction monitoring and check-in. Delivering what is due sends real emails (the .ics attached)."""
    from scheduling.models import Reminder
    from scheduling.reminders.services import patient_skip_reason, reminder_deliver, reminders_sweep

    settings.VAR_DIR = tmp_path
    K, S = Reminder.Kind, Reminder.Status
    with time_machine.travel(local(datetime.date(2027, 3, 3), 9, 30), tick=False):  # a Wednesday
        run_demo()
        now = timezone.now()
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        future = Appointment.objects.filter(status=Appointment.Status.SCHEDULED, premed_start__gt=now)
        assert future.count() >= 20
        for appt in future.select_related("patient"):
            kinds = {r.kind: r for r in appt.reminders.all()}
            assert set(kinds) == {K.CONFIRMATION, K.PREPARATION, K.HYDRATION}, appt
            reason = patient_skip_reason(appt.patient)
            if reason or appt.needs_attention:  # a booking that needs attention has its emails held
                assert {r.status for r in kinds.values()} == {S.SKIPPED}
            elif appt.course_day == 1:
                assert kinds[K.CONFIRMATION].status == S.PENDING and kinds[K.CONFIRMATION].due_at <= now
        discharged = [
            a
            for a in Appointment.objects.filter(status=Appointment.Status.COMPLETED)
            if timezone.localtime(a.discharged_at).date() >= yesterday
        ]
        assert any(timezone.localtime(a.discharged_at).date() == yesterday for a in discharged)
        for appt in discharged:
            assert {r.kind for r in appt.reminders.all()} == {K.REACTION_MONITORING, K.CHECK_IN}
        older = Appointment.objects.filter(status=Appointment.Status.COMPLETED, discharged_at__lt=now).exclude(
            pk__in=[a.pk for a in discharged]
        )
        assert not Reminder.objects.filter(appointment__in=older).exists()

        due_now = Reminder.objects.filter(status=S.PENDING, due_at__lte=now)
        assert due_now.exists() and not due_now.filter(enqueued_at__isnull=True).exists()  # queued at commit
        later = now + datetime.timedelta(seconds=settings.REMINDERS_REQUEUE_SECONDS + 1)
        due = reminders_sweep(now=later)  # and swept again if the queue lost them
        assert (
            set(due)
            == set(Reminder.objects.filter(status=S.PENDING, due_at__lte=later).values_list("pk", flat=True))
            >= set(due_now.values_list("pk", flat=True))
        )
        for reminder_id in due:
            reminder_deliver(reminder_id=reminder_id)
        sent = Reminder.objects.filter(status=S.SENT)
        assert sent.count() == len(due) == len(mailoutbox)
        # some are held (bookings in Needs attention) or belong to patients without consent
        assert sent.filter(kind=K.CONFIRMATION).count() >= 10
        with_calendar = [m for m in mailoutbox if "Content-Type: text/calendar" in m.message().as_string()]
        assert len(with_calendar) == sent.filter(kind=K.CONFIRMATION).count()
        assert all(m.alternatives and m.alternatives[0][1] == "text/html" for m in mailoutbox)

        signature_before, reminders_before = signature(), Reminder.objects.count()
        assert "already exists" in run_demo()
        assert (signature(), Reminder.objects.count()) == (signature_before, reminders_before)


def test_todays_visits_have_run_up_to_now(settings, tmp_path):
    """The board of a demo day looks like a real one: earlier visits done or under way, later ones booked."""
    settings.VAR_DIR = tmp_path
    with time_machine.travel(local(datetime.date(2027, 3, 3), 11, 30), tick=False):
        run_demo()
        now = timezone.now()
        today = [a for a in active_appointments() if timezone.localtime(a.premed_start).date() == timezone.localdate()]
        steps = ["checked_in_at", "premedicated_at", "infusion_started_at", "infusion_ended_at", "discharged_at"]
        for a in today:
            recorded = [getattr(a, step) for step in steps if getattr(a, step) is not None]
            assert all(moment <= now for moment in recorded), a
            assert recorded == sorted(recorded), a
            if a.premed_start > now:  # still to come, or arrived early and checked in, nothing more
                assert (a.status, recorded) in (
                    (Appointment.Status.SCHEDULED, []),
                    (Appointment.Status.CHECKED_IN, [a.checked_in_at]),
                ), a
            else:
                assert a.status != Appointment.Status.SCHEDULED and a.checked_in_at is not None
            if a.status == Appointment.Status.COMPLETED:
                assert a.discharged_at is not None
            if a.premedicated_at is not None:
                assert a.premedications_given.filter(given_at__lte=now).count() >= 1
        statuses = {a.status for a in today}
        assert Appointment.Status.SCHEDULED in statuses and Appointment.Status.COMPLETED in statuses
        assert statuses & {Appointment.Status.INFUSING, Appointment.Status.OBSERVING}
