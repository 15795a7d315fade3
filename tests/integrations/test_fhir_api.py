"""FHIR R4 read API: responses validated with the R4B models, tokens and scopes enforced, reads logged."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot

from patients.models import PatientAccess
from scheduling.models import Appointment
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, TreatmentPlanFactory, opening_hours
from tests.integrations.fhir_helpers import ALL_SCOPES, token_for
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(client):
    return token_for(client, ALL_SCOPES)


def get(client, path, token=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(path, **headers, **extra)


def day(offset: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=offset)


@pytest.fixture
def booked(db):
    opening_hours()
    chair_a, chair_b = chairs(2)
    plan = TreatmentPlanFactory(patient=PatientFactory(mrn="MRN-FHIR-1"))
    statuses = [
        Appointment.Status.SCHEDULED,
        Appointment.Status.CHECKED_IN,
        Appointment.Status.COMPLETED,
        Appointment.Status.CANCELLED,
        Appointment.Status.NO_SHOW,
    ]
    made = [
        AppointmentFactory(
            ocrevus_maintenance=True,
            chair=chair_a if n % 2 else chair_b,
            premed_start=local(day(n - 2), 9),
            plan=plan,
            status=status,
        )
        for n, status in enumerate(statuses)
    ]
    return plan, made, (chair_a, chair_b)


def test_metadata_is_a_capability_statement_without_a_token(client):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    statement = CapabilityStatement.model_validate_json(response.content)
    kinds = {res.type for res in statement.rest[0].resource}
    assert kinds == {"Patient", "Appointment", "Schedule", "Slot", "Location"}
    assert statement.format == ["json"]


@pytest.mark.parametrize(
    "path", ["/fhir/Patient", "/fhir/Appointment", "/fhir/Slot?patient=1", "/fhir/Schedule", "/fhir/Location"]
)
def test_refused_without_a_token_or_with_a_bad_one(client, path):
    for token in (None, "not-a-token"):
        response = get(client, path, token)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert OperationOutcome.model_validate_json(response.content).issue[0].code == "login"


def test_refused_with_the_wrong_scope_and_a_client_cannot_ask_for_more(client, booked):
    with pytest.raises(AssertionError, match="invalid_scope"):
        token_for(client, ["system/Slot.read"], name="Greedy", ask="system/Slot.read system/Appointment.read")
    token = token_for(client, ["system/Slot.read"])
    response = get(client, "/fhir/Appointment", token)
    assert response.status_code == 403
    assert "system/Appointment.read" in OperationOutcome.model_validate_json(response.content).issue[0].diagnostics
    assert get(client, "/fhir/Patient", token).status_code == 403


def test_appointment_statuses_participants_and_service_type(client, token, booked):
    plan, made, (chair_a, chair_b) = booked
    response = get(client, f"/fhir/Appointment?patient=Patient/{plan.patient_id}", token)
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.type == "searchset" and bundle.total == 5
    appointments = [FhirAppointment.model_validate(e.resource.model_dump()) for e in bundle.entry]
    assert [a.status for a in appointments] == ["booked", "arrived", "fulfilled", "cancelled", "noshow"]
    first = appointments[0]
    assert first.id == str(made[0].uid)
    refs = [p.actor.reference for p in first.participant]
    assert refs == [f"Patient/{plan.patient_id}", f"Location/chair-{made[0].chair_id}"]
    assert first.serviceType[0].text == "Ocrevus (IV) infusion"

    read = get(client, f"/fhir/Appointment/{made[2].uid}", token)
    assert FhirAppointment.model_validate_json(read.content).status == "fulfilled"


def test_search_by_date_status_and_paging_links(client, token, booked):
    plan, made, _chairs = booked
    response = get(client, f"/fhir/Appointment?date=ge{day(-1)}&date=le{day(1)}", token)
    assert Bundle.model_validate_json(response.content).total == 3
    response = get(client, "/fhir/Appointment?status=booked,noshow", token)
    assert {e.resource.status for e in Bundle.model_validate_json(response.content).entry} == {"booked", "noshow"}

    page1 = Bundle.model_validate_json(get(client, "/fhir/Appointment?_count=2", token).content)
    links = {link.relation: link.url for link in page1.link}
    assert page1.total == 5 and len(page1.entry) == 2 and "previous" not in links
    page2 = Bundle.model_validate_json(get(client, links["next"].replace("http://testserver", ""), token).content)
    assert len(page2.entry) == 2
    assert {e.resource.id for e in page1.entry}.isdisjoint({e.resource.id for e in page2.entry})

    bad = get(client, "/fhir/Appointment?date=yesterday", token)
    assert bad.status_code == 400
    assert "not a FHIR date" in OperationOutcome.model_validate_json(bad.content).issue[0].diagnostics
    assert get(client, "/fhir/Appointment?status=pending", token).status_code == 400


def test_patient_read_and_search_are_logged(client, token, booked):
    plan, _made, _chairs = booked
    PatientAccess.objects.all().delete()
    patient = FhirPatient.model_validate_json(get(client, f"/fhir/Patient/{plan.patient_id}", token).content)
    assert patient.identifier[0].value == "MRN-FHIR-1"
    found = Bundle.model_validate_json(get(client, "/fhir/Patient?identifier=MRN-FHIR-1", token).content)
    assert found.total == 1
    get(client, f"/fhir/Appointment?patient={plan.patient_id}", token)
    log = list(PatientAccess.objects.order_by("id"))
    assert [a.patient_id for a in log] == [plan.patient_id] * 3
    assert all(a.username == "FHIR client: Hospital EHR" for a in log)
    assert log[0].path == f"/fhir/Patient/{plan.patient_id}"


def test_schedule_one_per_chair_and_locations(client, token, booked):
    _plan, _made, (chair_a, chair_b) = booked
    bundle = Bundle.model_validate_json(get(client, "/fhir/Schedule", token).content)
    schedules = [Schedule.model_validate(e.resource.model_dump()) for e in bundle.entry]
    assert [s.id for s in schedules] == [f"chair-{chair_a.pk}", f"chair-{chair_b.pk}"]
    assert schedules[0].actor[0].reference == f"Location/chair-{chair_a.pk}"
    location = Location.model_validate_json(get(client, f"/fhir/Location/chair-{chair_a.pk}", token).content)
    assert location.name == chair_a.name
    missing = get(client, "/fhir/Location/chair-999999", token)
    assert missing.status_code == 404
    assert OperationOutcome.model_validate_json(missing.content).issue[0].code == "not-found"


def test_slots_are_the_engines_free_times_for_the_patients_next_dose(client, token):
    from scheduling.services.booking import slots_find

    opening_hours()
    chair, _other = chairs(2)
    plan = TreatmentPlanFactory(start_date=day(3))
    url = (
        f"/fhir/Slot?patient=Patient/{plan.patient_id}&schedule=Schedule/chair-{chair.pk}"
        f"&start=ge{day(3)}&start=le{day(5)}&_count=5"
    )
    bundle = Bundle.model_validate_json(get(client, url, token).content)
    slots = [Slot.model_validate(e.resource.model_dump()) for e in bundle.entry]
    expected = slots_find(plan=plan, date_from=day(3), date_to=day(5), chair_id=chair.pk, limit=5)
    assert len(slots) == len(expected) > 0
    assert [s.start for s in slots] == [e.premed_start for e in expected]
    assert all(s.schedule.reference == f"Schedule/chair-{chair.pk}" and s.status == "free" for s in slots)

    none = get(client, f"/fhir/Slot?patient=Patient/{PatientFactory().pk}", token)
    assert none.status_code == 400
    assert "no active treatment plan" in OperationOutcome.model_validate_json(none.content).issue[0].diagnostics


def test_json_only(client, token):
    response = get(client, "/fhir/Patient?_format=xml", token)
    assert response.status_code == 406
    assert get(client, "/fhir/metadata", HTTP_ACCEPT="application/fhir+xml").status_code == 406


@pytest.mark.parametrize(
    "path",
    [
        "/fhir/Patient/99999999999999999999999",
        "/fhir/Location/chair-99999999999999999999999",
        "/fhir/Appointment/not-a-uuid",
        "/fhir/Appointment?patient=Patient/99999999999999999999999",
        "/fhir/Appointment?service-type=99999999999999999999999",
        "/fhir/Patient?_id=99999999999999999999999",
        "/fhir/Appointment?page=99999999999999999999999",
        "/fhir/Slot?patient=Patient/1&schedule=Location/chair-1",
        "/fhir/Appointment?_count=many",
    ],
)
def test_hostile_parameters_get_an_operation_outcome_never_a_500(client, token, path):
    response = get(client, path, token)
    assert response.status_code in (200, 400, 404)
    if response.status_code != 200:
        assert OperationOutcome.model_validate_json(response.content).issue


def test_the_nurse_who_started_the_infusion_is_a_participant(client, token, booked):
    from tests.factories import UserFactory

    _plan, made, _chairs = booked
    nurse = UserFactory(username="nora", first_name="Nora", last_name="Quinn")
    appointment = made[1]
    appointment.status = Appointment.Status.INFUSING
    appointment._history_user = nurse
    appointment.save()
    read = FhirAppointment.model_validate_json(get(client, f"/fhir/Appointment/{appointment.uid}", token).content)
    nurse_part = [p for p in read.participant if p.type]
    assert read.status == "arrived"
    assert [p.actor.display for p in nurse_part] == ["Nora Quinn"]
    assert nurse_part[0].type[0].coding[0].code == "PPRF"
    untouched = FhirAppointment.model_validate_json(get(client, f"/fhir/Appointment/{made[0].uid}", token).content)
    assert not [p for p in untouched.participant if p.type]
