"""Each factory builds a valid row of its model (full_clean passes), with the catalogue's chair times."""

import datetime

import pytest
from django.utils import timezone

from scheduling.catalogue import drug_spec, drugs_with_protocol
from scheduling.engine.protocol import chair_time
from tests import factories

pytestmark = pytest.mark.django_db

FACTORIES = [
    factories.UserFactory,
    factories.PatientFactory,
    factories.EmergencyContactFactory,
    factories.ScreeningFactory,
    factories.ChairFactory,
    factories.OpeningHoursFactory,
    factories.TreatmentPlanFactory,
    factories.ClosureFactory,
    factories.NurseStaffingFactory,
    factories.AppointmentFactory,
    factories.OutsideDoseFactory,
    factories.PremedicationGivenFactory,
    factories.InfusionReactionFactory,
    factories.VisitNoteFactory,
    factories.ReminderFactory,
]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_each_factory_builds_a_valid_row(factory):
    row = factory()
    row.full_clean()
    assert type(row).objects.filter(pk=row.pk).exists()


def test_an_appointment_takes_the_chair_time_of_its_phase_and_course_day():
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
    appointment = factories.AppointmentFactory(drug="Lemtrada", premed_start=start, course_day=2)
    phase = appointment.phase
    spec = next(p for p in drug_spec(drugs_with_protocol().get(pk=phase.drug_id)).phases if p.id == phase.pk)
    times = chair_time(spec, infusion_number=1, course_day=2)
    assert appointment.plan.drug.name == "Lemtrada" and appointment.plan.patient == appointment.patient
    assert appointment.infusion_start == start + datetime.timedelta(minutes=times.premed_minutes)
    assert appointment.observation_end - appointment.premed_start == datetime.timedelta(minutes=times.total_minutes)
