"""The pages work under a strict Content-Security-Policy (no inline script or style allowed)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from infusion_center import roles
from tests.factories import PatientFactory, TreatmentPlanFactory
from tests.web.helpers import appointment_at, chairs, local, open_every_day, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def test_no_csp_violation_on_the_main_pages(page, live_server, sign_in):
    open_every_day()
    (chair,) = chairs(1)
    patient = PatientFactory(last_name="Noether")
    plan = TreatmentPlanFactory(patient=patient)
    appointment = appointment_at(chair=chair, start=local(timezone.localdate(), 9), plan=plan)
    staff(roles.NURSE, "nora")

    def with_policy(route):
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": POLICY}
        route.fulfill(response=response, headers=headers)

    page.route("**/*", with_policy)
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)

    sign_in("nora")
    for path in ["/", f"/appointments/{appointment.pk}/", f"/patients/{patient.pk}/", "/week/"]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/patients/")
    page.get_by_label("Search patients").press_sequentially("Noe", delay=30)
    expect(page.get_by_role("link", name="Noether", exact=False)).to_be_visible()
    # htmx refreshes the board on its own; trigger one refresh now instead of waiting a minute.
    page.goto(f"{live_server.url}/board/")
    page.evaluate(
        "htmx.ajax('GET', document.querySelector('#board').getAttribute('hx-get'),"
        " {target: '#board', swap: 'outerHTML'})"
    )
    expect(page.locator("#board")).to_be_visible()
    assert violations == []
