"""The demo center's integration state: the hospital EHR registered as a FHIR API client."""

from __future__ import annotations

from integrations.models import FhirClient
from integrations.services import fhir_client_register

DEMO_CLIENT = "Hospital EHR (demo)"
DEMO_SCOPES = ["system/Appointment.read", "system/Patient.read", "system/Schedule.read", "system/Slot.read"]


def demo_integration(*, manager) -> None:
    """Idempotent: the client is registered once (its secret is not kept; register another to try the API)."""
    if not FhirClient.objects.filter(application__name=DEMO_CLIENT).exists():
        fhir_client_register(name=DEMO_CLIENT, scopes=DEMO_SCOPES, user=manager)
