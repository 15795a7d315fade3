import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from infusion_center.roles import MANAGER, SCHEDULER
from patients.models import EmergencyContact
from scheduling.models import Appointment, InfusionReaction, Premedication, PremedicationGiven, ReadinessOverride
from tests.factories import ChairFactory, PatientFactory, ScreeningFactory, TreatmentPlanFactory, UserFactory


def user_in_role(role: str, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def manager():
    return user_in_role(MANAGER, username="mona-manager")


@pytest.fixture
def scheduler():
    return user_in_role(SCHEDULER, username="sam-scheduler")


@pytest.fixture
def records(db):
    """One of every patient-related record, so that every model and URL has a row to point at."""
    patient = PatientFactory(last_name="Smith")
    contact = EmergencyContact.objects.create(patient=patient, name="Lee Smith", phone="+1 555 010 7777")
    screening = ScreeningFactory(patient=patient)
    plan = TreatmentPlanFactory(patient=patient)
    phase = plan.drug.phases.order_by("order").first()
    chair = ChairFactory()
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
    appointment = Appointment.objects.create(
        patient=patient,
        plan=plan,
        phase=phase,
        chair=chair,
        infusion_number=1,
        dose_mg=300,
        premed_start=start,
        infusion_start=start + datetime.timedelta(minutes=30),
        infusion_end=start + datetime.timedelta(hours=3),
        observation_end=start + datetime.timedelta(hours=4),
    )
    premedication = Premedication.objects.filter(phase=phase).first() or Premedication.objects.create(
        phase=phase, drug_name="Cetirizine", dose="10 mg", route="PO"
    )
    given = PremedicationGiven.objects.create(appointment=appointment, premedication=premedication, given_at=start)
    reaction = InfusionReaction.objects.create(
        appointment=appointment,
        patient=patient,
        drug=plan.drug,
        occurred_at=start + datetime.timedelta(hours=1),
        severity=InfusionReaction.Severity.MILD,
        symptoms="Flushing",
    )
    override = ReadinessOverride.objects.create(appointment=appointment, problems="Old JCV result", reason="Checked")
    return {
        "patient": patient,
        "contact": contact,
        "screening": screening,
        "plan": plan,
        "chair": chair,
        "appointment": appointment,
        "given": given,
        "reaction": reaction,
        "override": override,
        "drug": plan.drug,
        "phase": phase,
    }
