"""Real bookings through the booking service, on a fixed clock: Tuesday 1 December 2026, 12:00 in New York."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail

from infusion_center import roles
from scheduling.models import Appointment
from scheduling.services.booking import appointment_book
from scheduling.services.visits import (
    appointment_check_in,
    appointment_discharge,
    infusion_end,
    infusion_start,
    premedication_record,
    required_premedications,
)
from tests.factories import (
    WEEKDAYS,
    ChairFactory,
    PatientFactory,
    TreatmentPlanFactory,
    UserFactory,
    opening_hours,
    seeded_drug,
    staff,
)
from tests.scheduling.conftest import MON, NOW

__all__ = ["MON", "NOW", "book", "visit_done", "links_in"]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def center(db):
    opening_hours(WEEKDAYS, nurses_on_duty=4, patients_per_nurse=4)
    return [ChairFactory(name=f"Chair {n}") for n in (1, 2, 3)]


def book(chair, start: datetime.datetime, *, drug: str = "Tysabri", patient=None, plan=None, user=None) -> Appointment:
    """Book the plan's next dose through the real booking service."""
    plan = plan or TreatmentPlanFactory(
        drug=seeded_drug(drug), start_date=start.date(), patient=patient or PatientFactory()
    )
    return appointment_book(plan=plan, chair_id=chair.pk, premed_start=start, user=user or UserFactory())


def visit_done(appointment: Appointment, traveller, user) -> Appointment:
    """Run the whole visit through the visit services at its booked times; returns it completed."""
    traveller.move_to(appointment.premed_start)
    appointment_check_in(appointment=appointment, user=user, at=appointment.premed_start)
    for premed in required_premedications(appointment):
        premedication_record(
            appointment=appointment, premedication_id=premed.pk, given_at=appointment.premed_start, user=user
        )
    traveller.move_to(appointment.infusion_start)
    # The screening override is the charge nurse's (plain nurses may not override readiness checks); the same
    # persona as the charge_nurse fixture.
    charge_nurse = staff(roles.CHARGE_NURSE, "cora")
    infusion_start(appointment=appointment, user=charge_nurse, override_reason="Screening on paper in the test.")
    traveller.move_to(appointment.infusion_end)
    infusion_end(appointment=appointment, user=user, at=appointment.infusion_end)
    traveller.move_to(appointment.observation_end)
    appointment_discharge(appointment=appointment, user=user, at=appointment.observation_end)
    appointment.refresh_from_db()
    return appointment


def links_in(text: str) -> list[str]:
    """The paths of the site links in an email's text."""
    return [m.group(1) for m in re.finditer(r"https?://[^/\s]+(/\S+?)(?=[\s)\"<]|$)", text)]


@pytest.fixture
def outbox():
    mail.outbox = []
    return mail.outbox


def ready(patient, on: datetime.date | None = None):
    """Tysabri's blocking checks passed: JCV tested and TOUCH authorised."""
    from tests.factories import ScreeningFactory

    taken = on or NOW.date()
    ScreeningFactory(patient=patient, kind="jcv", taken_on=taken, result="negative")
    ScreeningFactory(patient=patient, kind="rems", taken_on=taken, result="authorised")
    return patient
