"""Helpers for the reminder tests: appointments built from the seeded catalogue's real chair times."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from scheduling.models import Appointment, OpeningHours
from tests.factories import AppointmentFactory, opening_hours

HERE = Path(__file__).resolve().parent
ALL_DRUGS = [
    "Ocrevus (IV)",
    "Ocrevus Zunovo (SC)",
    "Tysabri",
    "Tyruko",
    "Lemtrada",
    "Briumvi",
    "Mitoxantrone",
    "IV methylprednisolone (relapse)",
]


def make_appointment(*, premed_start: datetime.datetime, drug_name: str = "Ocrevus (IV)", **kwargs) -> Appointment:
    """A booked visit with the catalogue's chair time (tests/factories.py AppointmentFactory)."""
    return AppointmentFactory(premed_start=premed_start, drug=drug_name, **kwargs)


def book(**kwargs) -> Appointment:
    """What the booking service does: create the appointment and plan its reminders in one transaction."""
    from scheduling.reminders.services import reminders_on_booked

    with transaction.atomic():
        appointment = make_appointment(**kwargs)
        reminders_on_booked(appointment=appointment)
    return appointment


def reschedule(appointment: Appointment, *, premed_start: datetime.datetime) -> Appointment:
    """Moved through the booking service, to the same chair (its checks, history and the reminders re-planned). The
    center opens every day, 07:00-19:00, when the test has set no opening hours of its own."""
    from scheduling.services.booking import appointment_reschedule

    if not OpeningHours.objects.exists():
        opening_hours()
    appointment_reschedule(
        appointment=appointment, chair_id=appointment.chair_id, premed_start=premed_start, user=None, reason=""
    )
    appointment.refresh_from_db()  # the caller's object is the moved appointment, as the page shows it after
    return appointment


def cancel(appointment: Appointment) -> Appointment:
    """Cancelled through the booking service (which plans the cancellation email)."""
    from scheduling.services.booking import appointment_cancel

    return appointment_cancel(appointment=appointment, reason="Patient unwell", user=None)


def discharge(appointment: Appointment, *, at: datetime.datetime) -> Appointment:
    from scheduling.reminders.services import reminders_on_discharged

    with transaction.atomic():
        appointment.status = Appointment.Status.COMPLETED
        appointment.discharged_at = at
        appointment.save()
        reminders_on_discharged(appointment=appointment)
    return appointment


@pytest.fixture
def staff_base_template(settings):
    """The web app provides base.html; these tests render the outbox against a bare one."""
    templates = [dict(t) for t in settings.TEMPLATES]
    templates[0]["DIRS"] = [*templates[0]["DIRS"], HERE / "templates"]
    settings.TEMPLATES = templates


@pytest.fixture
def fast_retries(settings):
    settings.REMINDERS_RETRY_BASE_SECONDS = 1
    settings.REMINDERS_RETRY_MAX_SECONDS = 1
    settings.REMINDERS_MAX_ATTEMPTS = 3
    settings.REMINDERS_RETRY_HOURS = 0  # final after the three attempts


@pytest.fixture
def zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.TIME_ZONE)
