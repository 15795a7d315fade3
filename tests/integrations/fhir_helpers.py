"""A registered FHIR client and its token, for the API tests."""

from __future__ import annotations

import base64

from integrations.services import fhir_client_register

ALL_SCOPES = [
    "system/Patient.read",
    "system/Appointment.read",
    "system/Slot.read",
    "system/Schedule.read",
    "system/Location.read",
]


def token_for(client, scopes: list[str], *, name: str = "Hospital EHR", ask: str | None = None) -> str:
    """Register a client with `scopes` and get a token over the real token endpoint (client credentials)."""
    registered = fhir_client_register(name=name, scopes=scopes, user=None)
    application = registered.client.application
    basic = base64.b64encode(f"{application.client_id}:{registered.client_secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if ask is not None:
        data["scope"] = ask
    response = client.post("/o/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200, response.content
    return response.json()["access_token"]
