"""A real FHIR client (fhirclient, R4 models) reads the live server with a token from the token endpoint."""

from __future__ import annotations

import datetime

import pytest
import requests
from django.utils import timezone
from fhirclient.models.appointment import Appointment
from fhirclient.models.patient import Patient
from fhirclient.models.slot import Slot
from fhirclient.server import FHIRServer, FHIRUnauthorizedException

from integrations.services import fhir_client_register
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, TreatmentPlanFactory, opening_hours
from tests.web.helpers import chairs


def token_over_http(base: str, scopes: list[str]) -> str:
    registered = fhir_client_register(name="EHR integration engine", scopes=scopes, user=None)
    application = registered.client.application
    response = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "client_credentials", "scope": " ".join(scopes)},
        auth=(application.client_id, registered.client_secret),
        timeout=10,
    )
    response.raise_for_status()
    body = response.json()
    assert body["token_type"] == "Bearer" and set(body["scope"].split()) == set(scopes)
    return body["access_token"]


@pytest.mark.django_db(transaction=True)
def test_fhir_client_reads_appointments_and_slots_with_a_token_and_is_refused_without(live_server):
    opening_hours()
    chair, _other = chairs(2)
    patient = PatientFactory(mrn="LIVE-1")
    today = timezone.localdate()
    plan = TreatmentPlanFactory(patient=patient, start_date=today + datetime.timedelta(days=2))
    booked = [
        AppointmentFactory(
            ocrevus_maintenance=True,
            chair=chair,
            premed_start=local(today - datetime.timedelta(days=n * 30), 9),
            plan=plan,
        )
        for n in range(1, 4)
    ]
    server = FHIRServer(None, base_uri=f"{live_server.url}/fhir")
    with pytest.raises(FHIRUnauthorizedException):
        Appointment.read(str(booked[0].uid), server)

    token = token_over_http(live_server.url, ["system/Appointment.read", "system/Slot.read", "system/Patient.read"])
    server.session.headers["Authorization"] = f"Bearer {token}"
    read = Appointment.read(str(booked[0].uid), server)
    assert read.status == "booked" and read.participant[0].actor.reference == f"Patient/{patient.pk}"

    search = Appointment.where({"patient": f"Patient/{patient.pk}", "_count": "2"})
    found = list(search.perform_resources_iter(server))  # follows the Bundle's next links
    assert sorted(a.id for a in found) == sorted(str(a.uid) for a in booked)

    assert Patient.read(str(patient.pk), server).identifier[0].value == "LIVE-1"

    slots = list(
        Slot.where(
            {
                "patient": f"Patient/{patient.pk}",
                "schedule": f"Schedule/chair-{chair.pk}",
                "start": f"ge{today + datetime.timedelta(days=2)}",
                "_count": "3",
            }
        ).perform_resources_iter(server)
    )
    assert len(slots) == 3 and all(s.status == "free" for s in slots)
    assert slots[0].schedule.reference == f"Schedule/chair-{chair.pk}"
