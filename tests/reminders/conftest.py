"""Helpers for the reminder tests: appointments built from the seeded catalogue's real chair times."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from infusion_center import roles
from scheduling.models import Appointment, OpeningHours
from tests.factories import AppointmentFactory, opening_hours, staff

HERE = Path(__file__).resolve().parent
OVERRIDE_REASON = "Checks recorded on paper for this test visit"
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
    """The visit run through the visit services, the clock travelling to each step's time: check-in on arrival,
    every required premedication, the infusion started and ended on time, then the discharge at `at`. A charge
    nurse runs it and overrides, with a reason, the safety checks a reminder test does not set up; a dose the
    pharmacy prepares is released, made and checked through the pharmacy's services first."""
    from pharmacy.services import PharmacyError, mix_override_record, preparation_release, preparation_step
    from scheduling.selectors.visit_clock import required_premedications
    from scheduling.services import visits

    nurse = staff(roles.CHARGE_NURSE, "visit-nurse")
    with time_machine.travel(appointment.premed_start, tick=False):
        visits.appointment_check_in(appointment=appointment, user=nurse)
        if appointment.phase.drug.pharmacy_prepared:
            pharmacist = staff(roles.PHARMACY, "visit-pharmacist")
            try:
                preparation_release(appointment=appointment, user=pharmacist)
            except PharmacyError:  # the checks the test did not set up block the mix: the nurse lets it go ahead
                mix_override_record(appointment=appointment, reason=OVERRIDE_REASON, user=nurse)
                preparation_release(appointment=appointment, user=pharmacist)
            preparation_step(appointment=appointment, step="start", user=pharmacist)
            preparation_step(appointment=appointment, step="ready", user=pharmacist)
        for premedication in required_premedications(appointment):
            visits.premedication_record(
                appointment=appointment, premedication_id=premedication.pk, given_at=timezone.now(), user=nurse
            )
    with time_machine.travel(appointment.infusion_start, tick=False):
        visits.infusion_start(appointment=appointment, user=nurse, override_reason=OVERRIDE_REASON)
    with time_machine.travel(appointment.infusion_end, tick=False):
        visits.infusion_end(appointment=appointment, user=nurse)
    with time_machine.travel(at, tick=False):
        visits.appointment_discharge(appointment=appointment, user=nurse)
    appointment.refresh_from_db()
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
