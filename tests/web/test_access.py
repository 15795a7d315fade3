"""Everything is behind sign-in: an anonymous request to any URL ends at a sign-in page or 403.

The test walks the whole URLconf and fills each URL parameter with an existing id.
"""

import datetime
import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.factories import PatientFactory, ScreeningFactory, TreatmentPlanFactory
from tests.web.helpers import appointment_at, local

pytestmark = pytest.mark.django_db

# Pages meant for signed-out people: sign-in, password reset, and logout (POST only).
PUBLIC_NAMES = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "admin:login",
    "admin:logout",
}
SIGN_IN_PAGES = ("/accounts/login/", "/admin/login/")


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), f"{namespace}{pattern.name}" if pattern.name else ""


def _fill(route: str, ids: dict) -> str:
    value_for = {
        "int": lambda name: str(ids.get(name, ids["pk"])),
        "slug": lambda name: "check-in",
        "str": lambda name: str(ids["pk"]),
        "path": lambda name: str(ids["pk"]),
        "uuid": lambda name: str(uuid.uuid4()),
    }
    route = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: value_for[m.group(1) or "str"](m.group(2)), route)
    route = re.sub(r"\(\?P<app_label>[^)]*\)", "scheduling", route)  # admin app index
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(ids["pk"]), route)
    route = route.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + route


@pytest.fixture
def ids(center):
    patient = PatientFactory(first_name="Secretia", last_name="Confidentia")
    ScreeningFactory(patient=patient)
    plan = TreatmentPlanFactory(patient=patient)
    appointment = appointment_at(
        chair=center[0], start=local(timezone.localdate() + datetime.timedelta(days=1), 9), plan=plan
    )
    assert patient.pk and plan.pk and appointment.pk
    # Every id is the same number where possible, so any parameter name points at an existing row.
    return {"pk": appointment.pk, "patient_id": patient.pk, "object_id": patient.pk, "content_type_id": 1}


def test_every_url_needs_sign_in(client, ids):
    checked = 0
    for route, name in _walk(get_resolver().url_patterns):
        if name in PUBLIC_NAMES:
            continue
        url = _fill(route, ids)
        for method in (client.get, client.post):
            response = method(url)
            body = response.content.decode(errors="ignore")
            assert "Confidentia" not in body, url
            if response.status_code == 302:
                assert response.url.startswith(SIGN_IN_PAGES), (url, response.url)
            else:
                assert response.status_code in (403, 404), (url, response.status_code)
        checked += 1
    assert checked > 40  # the app's pages and Django admin's


def test_public_auth_pages_render_without_patient_data(client, ids):
    for url in (
        "/accounts/login/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/done/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Confidentia" not in response.content.decode()


def test_sign_in_then_lands_on_the_board(client, nurse, center):
    response = client.post("/accounts/login/", {"username": "nora", "password": "correct-horse-battery-staple"})
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200


def test_too_many_wrong_passwords_show_the_locked_out_page(client, nurse):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "nora", "password": "wrong-password-123"})
    response = client.post("/accounts/login/", {"username": "nora", "password": "correct-horse-battery-staple"})
    assert response.status_code == 429
    assert "Sign-in paused for this account" in response.content.decode()


def test_friendly_403_and_404(client, outsider):
    client.force_login(outsider)
    response = client.get("/board/")
    assert response.status_code == 403 and "Your role does not include this page" in response.content.decode()
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_nurse_cannot_open_drug_editing_in_admin(client, nurse, drug_admin):
    client.force_login(nurse)
    response = client.get("/admin/scheduling/drug/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_500_page_renders_without_context(client):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
