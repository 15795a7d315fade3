"""Helpers for the reminder tests: appointments built from the seeded catalogue's real chair times."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from scheduling.catalogue import drug_spec, drugs_with_protocol
from scheduling.engine.protocol import chair_time
from scheduling.models import Appointment, Drug, TreatmentPlan
from tests.factories import ChairFactory, PatientFactory, TreatmentPlanFactory

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


def make_appointment(
    *,
    premed_start: datetime.datetime,
    drug_name: str = "Ocrevus (IV)",
    patient=None,
    plan=None,
    phase_order: int = 1,
    chair=None,
    course_day: int = 1,
    course_id: uuid.UUID | None = None,
    status: str = Appointment.Status.SCHEDULED,
) -> Appointment:
    drug = Drug.objects.get(name=drug_name)
    patient = patient or PatientFactory()
    plan = plan or (
        TreatmentPlan.objects.filter(patient=patient, drug=drug, status="active").first()
        or TreatmentPlanFactory(patient=patient, drug=drug)
    )
    phase = drug.phases.get(order=phase_order)
    spec = drug_spec(drugs_with_protocol().get(pk=drug.pk))
    phase_spec = next(p for p in spec.phases if p.id == phase.pk)
    ct = chair_time(phase_spec, infusion_number=1, course_day=course_day)
    infusion_start = premed_start + datetime.timedelta(minutes=ct.premed_minutes)
    infusion_end = infusion_start + datetime.timedelta(minutes=ct.infusion_minutes)
    return Appointment.objects.create(
        patient=patient,
        plan=plan,
        phase=phase,
        chair=chair or ChairFactory(),
        infusion_number=1,
        course_day=course_day,
        course_id=course_id,
        dose_mg=phase.dose_amount,
        premed_start=premed_start,
        infusion_start=infusion_start,
        infusion_end=infusion_end,
        observation_end=infusion_end + datetime.timedelta(minutes=ct.observation_minutes),
        status=status,
    )


def book(**kwargs) -> Appointment:
    """What the booking service does: create the appointment and plan its reminders in one transaction."""
    from scheduling.reminders.services import reminders_on_booked

    with transaction.atomic():
        appointment = make_appointment(**kwargs)
        reminders_on_booked(appointment=appointment)
    return appointment


def reschedule(appointment: Appointment, *, premed_start: datetime.datetime) -> Appointment:
    """What appointment_reschedule does: same row and uid, times moved, ics_sequence + 1, then the hook."""
    from scheduling.reminders.services import reminders_on_rescheduled

    shift = premed_start - appointment.premed_start
    with transaction.atomic():
        appointment.premed_start += shift
        appointment.infusion_start += shift
        appointment.infusion_end += shift
        appointment.observation_end += shift
        appointment.ics_sequence += 1
        appointment.save()
        reminders_on_rescheduled(appointment=appointment)
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
