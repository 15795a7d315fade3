"""Hostile and random values posted to every form of the staff app: never a server error.

Each form starts from a valid submission; hypothesis replaces some of its fields with huge strings, wrong
types, extreme numbers, dates in year 1 and 9999, impossible dates, local times that do not exist or are
ambiguous across DST, right-to-left and emoji text, NUL bytes and HTML. Every example runs in a savepoint
that is rolled back, so each one starts from the same records. A refused booking leaves no partial rows.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infusion_center import roles
from patients.models import Patient
from scheduling.models import Appointment, Reminder
from scheduling.reminders.services import reminders_on_booked
from tests.clock import local
from tests.factories import (
    PASSWORD,
    AppointmentFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    opening_hours,
    seeded_drug,
    staff,
)
from tests.faults.helpers import incomplete_bookings
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("FAULTS_EXAMPLES", "15"))  # per form; raise it for a longer hunt

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SPECIAL_VALUES = [
    "A" * 100_000,
    SCRIPT,
    IMG,
    "\x00",
    "Ada\x00Lovelace",
    "\u202eevil\u202c \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "\U0001f489\U0001f9d1\u200d\u2695\ufe0f" * 20,
    "",
    " ",
    "-1",
    "0",
    "-2147483649",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999999999999",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "3.5",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-03-08T02:30",  # does not exist in America/New_York
    "2026-11-01T01:30",  # happens twice in America/New_York
    "2026-03-08T02:30:00-05:00",
    "2026-11-01T01:30:00+00:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-14:00",
    "24:00",
    "25:61",
    "null",
    "[]",
    "{}",
    "true",
]


def _datetime_text(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


HOSTILE = st.one_of(
    st.sampled_from(SPECIAL_VALUES),
    st.text(max_size=60),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(_datetime_text),
    st.floats().map(str),
)
FIELD_VALUE = st.one_of(HOSTILE, st.lists(HOSTILE, min_size=2, max_size=3))


@dataclass
class Form:
    """One form of the app: where it is, how it is sent, and a valid submission to start from."""

    name: str
    method: str
    url: Callable[[dict], str]
    valid: Callable[[dict], dict] = lambda r: {}
    fields: list[str] = field(default_factory=list)
    anonymous: bool = False


def _patient_data(r):
    return {
        "mrn": "MRN-HOSTILE-1",
        "first_name": "Grace",
        "last_name": "Hopper",
        "date_of_birth": "1980-05-17",
        "sex": "F",
        "email": "grace@patients.example",
        "phone": "+1 555 010 4242",
        "address": "1 Main Street",
        "reminder_consent": "on",
        "ms_type": "RRMS",
        "height_cm": "165",
        "weight_kg": "60",
        "allergies": "",
        "current_medications": "",
        "conditions": "",
        "notes": "",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "5",
        "contacts-0-name": "Alan Turing",
        "contacts-0-relationship": "Friend",
        "contacts-0-phone": "+1 555 010 0000",
    }


PATIENT_FIELDS = [*_patient_data({}).keys(), "contacts-0-DELETE", "contacts-0-id", "contacts-0-patient"]


def _slot(r):
    return {"chair_id": str(r["chairs"][0].pk), "premed_start": _datetime_text(local(r["book_day"], 9))}


FORMS = [
    Form(
        "admin sign-in",
        "post",
        lambda r: reverse("admin:login"),
        lambda r: {"username": "sam", "password": PASSWORD},
        ["username", "password", "next"],
        anonymous=True,
    ),
    Form(
        "sign-in",
        "post",
        lambda r: reverse("login"),
        lambda r: {"username": "sam", "password": PASSWORD},
        ["username", "password", "next"],
        anonymous=True,
    ),
    Form(
        "patient list search",
        "get",
        lambda r: reverse("patients:patient-list"),
        lambda r: {"q": "smith"},
        ["q", "page"],
    ),
    Form("patient create", "post", lambda r: reverse("patients:patient-create"), _patient_data, PATIENT_FIELDS),
    Form(
        "patient edit",
        "post",
        lambda r: reverse("patients:patient-edit", args=[r["patient"].pk]),
        lambda r: {**_patient_data(r), "mrn": r["patient"].mrn, "contacts-INITIAL_FORMS": "0"},
        PATIENT_FIELDS,
    ),
    Form(
        "screening",
        "post",
        lambda r: reverse("patients:screening-create", args=[r["patient"].pk]),
        lambda r: {
            "kind": "hep_b",
            "taken_on": "2026-01-05",
            "result": "negative",
            "value": "",
            "valid_days": "365",
            "notes": "ok",
        },
        ["kind", "taken_on", "result", "value", "valid_days", "notes"],
    ),
    Form(
        "plan start",
        "post",
        lambda r: reverse("scheduling:plan-create", args=[r["patient"].pk]),
        lambda r: {
            "drug": str(r["plan"].drug_id),
            "start_date": r["book_day"].isoformat(),
            "course_days": "",
            "preferred_chair": "",
            "notes": "",
        },
        ["drug", "start_date", "course_days", "preferred_chair", "notes"],
    ),
    Form(
        "find a time",
        "get",
        lambda r: reverse("scheduling:plan-find", args=[r["plan"].pk]),
        lambda r: {"date_from": r["book_day"].isoformat(), "date_to": r["book_day"].isoformat()},
        ["date_from", "date_to", "chair", "time_of_day", "weekday"],
    ),
    Form(
        "book",
        "post",
        lambda r: reverse("scheduling:plan-book", args=[r["plan"].pk]),
        _slot,
        ["chair_id", "premed_start"],
    ),
    Form(
        "book a course",
        "post",
        lambda r: reverse("scheduling:plan-book", args=[r["course_plan"].pk]),
        _slot,
        ["chair_id", "premed_start"],
    ),
    Form(
        "book next doses",
        "post",
        lambda r: reverse("scheduling:plan-book-maintenance", args=[r["plan"].pk]),
        lambda r: {"count": "2"},
        ["count"],
    ),
    Form(
        "reschedule search",
        "get",
        lambda r: reverse("scheduling:appointment-reschedule", args=[r["booked"].pk]),
        lambda r: {"date_from": r["book_day"].isoformat()},
        ["date_from", "date_to", "chair", "time_of_day", "weekday"],
    ),
    Form(
        "reschedule",
        "post",
        lambda r: reverse("scheduling:appointment-reschedule", args=[r["booked"].pk]),
        _slot,
        ["chair_id", "premed_start"],
    ),
    Form(
        "cancel",
        "post",
        lambda r: reverse("scheduling:appointment-cancel", args=[r["booked"].pk]),
        lambda r: {"reason": "Patient unwell"},
        ["reason"],
    ),
    Form(
        "check in",
        "post",
        lambda r: reverse("scheduling:visit-step", args=[r["today"].pk, "check-in"]),
        lambda r: {"at": _datetime_text(timezone.localtime())},
        ["at"],
    ),
    Form(
        "end infusion",
        "post",
        lambda r: reverse("scheduling:visit-step", args=[r["infusing"].pk, "end"]),
        lambda r: {"at": _datetime_text(timezone.localtime())},
        ["at"],
    ),
    Form(
        "discharge",
        "post",
        lambda r: reverse("scheduling:visit-step", args=[r["observing"].pk, "discharge"]),
        lambda r: {"at": _datetime_text(timezone.localtime())},
        ["at"],
    ),
    Form(
        "premedication",
        "post",
        lambda r: reverse("scheduling:visit-premedication", args=[r["checked_in"].pk]),
        lambda r: {"premedication": str(r["premedication"].pk), "given_at": _datetime_text(timezone.localtime())},
        ["premedication", "given_at"],
    ),
    Form(
        "reaction",
        "post",
        lambda r: reverse("scheduling:visit-reaction", args=[r["infusing"].pk]),
        lambda r: {
            "occurred_at": _datetime_text(timezone.localtime()),
            "severity": "mild",
            "symptoms": "Rash",
            "action_taken": "Slowed",
        },
        ["occurred_at", "severity", "symptoms", "action_taken"],
    ),
    Form(
        "readiness override",
        "post",
        lambda r: reverse("scheduling:visit-start", args=[r["checked_in"].pk]),
        lambda r: {"override_reason": "Checked by phone"},
        ["override_reason"],
    ),
    Form(
        "chair",
        "post",
        lambda r: reverse("scheduling:chair-create"),
        lambda r: {"name": "Recliner 9", "position": "9", "is_active": "on", "notes": ""},
        ["name", "position", "is_active", "notes"],
    ),
    Form(
        "chair edit",
        "post",
        lambda r: reverse("scheduling:chair-edit", args=[r["chairs"][1].pk]),
        lambda r: {"name": "Recliner 2", "position": "2", "is_active": "on", "notes": ""},
        ["name", "position", "is_active", "notes"],
    ),
    Form(
        "opening hours",
        "post",
        lambda r: reverse("scheduling:hours-edit", args=[r["hours"].pk]),
        lambda r: {
            "weekday": str(r["hours"].weekday),
            "opens_at": "07:00",
            "closes_at": "19:00",
            "nurses_on_duty": "3",
            "setup_minutes": "15",
            "patients_per_nurse": "4",
        },
        ["weekday", "opens_at", "closes_at", "nurses_on_duty", "setup_minutes", "patients_per_nurse"],
    ),
    Form(
        "closure",
        "post",
        lambda r: reverse("scheduling:closure-create"),
        lambda r: {"chair": "", "starts_on": "2026-12-24", "ends_on": "2026-12-26", "reason": "Holidays"},
        ["chair", "starts_on", "ends_on", "reason"],
    ),
    Form(
        "staffing",
        "post",
        lambda r: reverse("scheduling:staffing-create"),
        lambda r: {
            "date": "2026-12-28",
            "nurses_on_duty": "2",
            "setup_minutes": "15",
            "patients_per_nurse": "4",
            "notes": "",
        },
        ["date", "nurses_on_duty", "setup_minutes", "patients_per_nurse", "notes"],
    ),
    Form(
        "reminder retry",
        "post",
        lambda r: reverse("scheduling:reminder-retry", args=[r["reminder"].pk]),
        lambda r: {"next": "/outbox/"},
        ["next"],
    ),
    Form(
        "outbox filters",
        "get",
        lambda r: reverse("scheduling:outbox"),
        lambda r: {"status": "failed"},
        ["status", "kind", "page"],
    ),
    Form(
        "audit filters",
        "get",
        lambda r: reverse("audit:changes"),
        lambda r: {"patient": str(r["patient"].pk)},
        ["patient", "user", "page"],
    ),
    Form(
        "access log filters",
        "get",
        lambda r: reverse("audit:access"),
        lambda r: {"user": ""},
        ["patient", "user", "page"],
    ),
    Form(
        "board day", "get", lambda r: reverse("scheduling:board"), lambda r: {"day": r["book_day"].isoformat()}, ["day"]
    ),
    Form(
        "week day", "get", lambda r: reverse("scheduling:week"), lambda r: {"day": r["book_day"].isoformat()}, ["day"]
    ),
    Form("reports range", "get", lambda r: reverse("scheduling:reports"), lambda r: {}, ["date_from", "date_to"]),
]


@pytest.fixture
def records(db):
    """A center with bookings in every state, a plan to book, a course plan, and one of each record a form needs."""
    hours = opening_hours(nurses_on_duty=6)
    center_chairs = chairs(4)
    today = timezone.localdate()
    book_day = today + datetime.timedelta(days=12)
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    ScreeningFactory(patient=patient)
    plan = TreatmentPlanFactory(patient=patient, drug=seeded_drug("Tysabri"), start_date=book_day)
    course_plan = TreatmentPlanFactory(patient=PatientFactory(), drug=seeded_drug("Lemtrada"), start_date=book_day)
    booked = AppointmentFactory(
        ocrevus_maintenance=True, chair=center_chairs[2], premed_start=local(book_day + datetime.timedelta(days=1), 8)
    )
    reminders_on_booked(appointment=booked)
    now = timezone.localtime()
    start = now.replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=1)
    S = Appointment.Status
    visits = {
        # This hour, on a chair of its own: a booking hours ahead is tomorrow's in the evening, and the page
        # offers no check-in form (so shows no form error) for a booking that is not today.
        "today": AppointmentFactory(
            ocrevus_maintenance=True, chair=center_chairs[3], premed_start=start + datetime.timedelta(hours=1)
        ),
        "checked_in": AppointmentFactory(
            ocrevus_maintenance=True,
            chair=center_chairs[1],
            premed_start=start,
            status=S.CHECKED_IN,
            checked_in_at=start,
            phase_order=1,
            infusion_number=1,
        ),
        "infusing": AppointmentFactory(
            ocrevus_maintenance=True,
            chair=center_chairs[2],
            premed_start=start - datetime.timedelta(hours=1),
            status=S.INFUSING,
            checked_in_at=start,
            infusion_started_at=start,
        ),
        "observing": AppointmentFactory(
            ocrevus_maintenance=True,
            chair=center_chairs[0],
            premed_start=start - datetime.timedelta(hours=5),
            status=S.OBSERVING,
            checked_in_at=start - datetime.timedelta(hours=5),
            infusion_started_at=start - datetime.timedelta(hours=4, minutes=30),
            infusion_ended_at=start - datetime.timedelta(hours=1),
        ),
    }
    for appointment in visits.values():
        reminders_on_booked(appointment=appointment)
    return {
        "hours": hours[0],
        "chairs": center_chairs,
        "today_date": today,
        "book_day": book_day,
        "patient": patient,
        "plan": plan,
        "course_plan": course_plan,
        "booked": booked,
        "reminder": Reminder.objects.filter(appointment=booked).first(),
        "premedication": visits["checked_in"].phase.premedications.first(),
        **visits,
    }


def _short(changes: dict) -> dict:
    return {k: (repr(v)[:80] + f"... ({len(repr(v))} chars)" if len(repr(v)) > 80 else v) for k, v in changes.items()}


def _counts():
    return Appointment.objects.count(), Reminder.objects.count(), Patient.objects.count()


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_hostile_values_never_cause_a_server_error(form, records):
    user = staff(roles.MANAGER, "sam", is_superuser=True)
    client = Client(raise_request_exception=False)
    url = form.url(records)
    base = form.valid(records)

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(changes=st.dictionaries(st.sampled_from(form.fields), FIELD_VALUE, min_size=1, max_size=3))
    def submit(changes):
        data = {**base, **changes}
        with transaction.atomic():
            if form.anonymous:
                client.logout()
            else:
                client.force_login(user)
            before = _counts()
            response = getattr(client, form.method)(url, data)
            assert response.status_code < 500, (form.name, _short(changes), response.status_code)
            body = response.content.decode(errors="replace")
            assert SCRIPT not in body and IMG not in body, (form.name, _short(changes))
            assert incomplete_bookings() == []
            if form.name in ("book a course", "book", "book next doses") and response.status_code != 302:
                assert _counts() == before, "a refused booking wrote rows"
            transaction.set_rollback(True)

    submit()


# Inputs that once caused a server error, kept as exact regressions.
REGRESSIONS = [
    ("board day", {"day": "0001-01-01"}, 200),
    ("board day", {"day": "9999-12-31"}, 200),
    ("week day", {"day": "9999-12-31"}, 200),
    ("reminder retry", {"next": IMG}, 302),
    ("sign-in", {"username": "A" * 100_000}, 200),
    ("admin sign-in", {"username": "A" * 100_000}, 200),
    ("sign-in", {"password": "A" * 100_000}, 200),
    ("find a time", {"date_to": "9999-12-31"}, 200),
    ("find a time", {"date_from": "9999-12-31", "date_to": ""}, 200),
    ("reschedule search", {"date_from": "9999-12-31"}, 200),
    ("reports range", {"date_from": "9999-12-31"}, 400),
    ("reports range", {"date_to": "0001-01-01"}, 400),
    ("book", {"premed_start": "9999-12-31T23:59"}, 400),
    ("book", {"premed_start": "9999-12-31T23:59:59-14:00"}, 400),
    ("book", {"premed_start": "2026-03-08T02:30"}, 400),  # no such local time (clocks go forward)
    ("book", {"premed_start": "2026-11-01T01:30"}, 400),  # happens twice (clocks go back)
    ("check in", {"at": "0001-01-01T00:00"}, 400),
    ("premedication", {"given_at": "0001-01-01T00:00"}, 400),
    ("reaction", {"occurred_at": "9999-12-31T23:59"}, 400),
    ("screening", {"valid_days": "2147483647"}, 400),
    ("patient create", {"date_of_birth": "0001-01-01"}, 400),
    ("patient create", {"first_name": "Ada\x00"}, 400),
    ("staffing", {"date": "9999-12-31"}, 400),
    ("closure", {"starts_on": "0001-01-01", "ends_on": "9999-12-31"}, 400),
]


@pytest.mark.parametrize(
    ("name", "changes", "status"), REGRESSIONS, ids=[f"{n}-{list(c)[0]}" for n, c, _ in REGRESSIONS]
)
def test_inputs_that_once_failed_get_a_clear_answer(name, changes, status, records):
    form = next(f for f in FORMS if f.name == name)
    client = Client(raise_request_exception=False)
    if not form.anonymous:
        client.force_login(staff(roles.MANAGER, "sam", is_superuser=True))
    response = getattr(client, form.method)(form.url(records), {**form.valid(records), **changes})
    assert response.status_code == status
    if name == "reminder retry":
        assert response.url == reverse("scheduling:outbox")
    body = response.content.decode()
    if "sign-in" in name:
        assert "at most" in body
    if status == 400 and name not in ("reports range",):
        assert any(
            words in body
            for words in ("within 10 years", "before 1900", "Null characters", "less than or equal", "Choose one of")
        ), body[:3000]
