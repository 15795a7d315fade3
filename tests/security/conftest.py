import datetime

import pytest
from django.utils import timezone

from scheduling.models import Premedication, ReadinessOverride
from tests.factories import (
    AppointmentFactory,
    ChairFactory,
    EmergencyContactFactory,
    InfusionReactionFactory,
    PatientFactory,
    PremedicationGivenFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
)


@pytest.fixture
def records(db):
    """One of every patient-related record, so that every model and URL has a row to point at."""
    patient = PatientFactory(last_name="Smith")
    contact = EmergencyContactFactory(patient=patient, name="Lee Smith", phone="+1 555 010 7777")
    screening = ScreeningFactory(patient=patient)
    plan = TreatmentPlanFactory(patient=patient)
    phase = plan.drug.phases.order_by("order").first()
    chair = ChairFactory()
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
    appointment = AppointmentFactory(
        plan=plan,
        phase=phase,
        chair=chair,
        dose_mg=300,
        premed_start=start,
        premed_minutes=30,
        infusion_minutes=150,
        observation_minutes=60,
    )
    premedication = Premedication.objects.filter(phase=phase).first() or Premedication.objects.create(
        phase=phase, drug_name="Cetirizine", dose="10 mg", route="PO"
    )
    given = PremedicationGivenFactory(
        appointment=appointment, premedication=premedication, given_at=start, given_by=None
    )
    reaction = InfusionReactionFactory(
        appointment=appointment,
        occurred_at=start + datetime.timedelta(hours=1),
        symptoms="Flushing",
        recorded_by=None,
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
