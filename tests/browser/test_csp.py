"""The pages work under a strict Content-Security-Policy (no inline script or style allowed)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from infusion_center import roles
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, TreatmentPlanFactory, opening_hours, staff
from tests.web.helpers import chairs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def test_no_csp_violation_on_the_main_pages(page, live_server, sign_in):
    """Every response carries the strict policy; each page and each htmx swap is waited for before the next step,
    so no request is cut off by the next navigation and no violation is reported after the check."""
    opening_hours()
    (chair,) = chairs(1)
    patient = PatientFactory(last_name="Noether")
    PatientFactory(last_name="Hilbert")
    plan = TreatmentPlanFactory(patient=patient)
    appointment = AppointmentFactory(
        ocrevus_maintenance=True, chair=chair, premed_start=local(timezone.localdate(), 9), plan=plan
    )
    staff(roles.NURSE, "nora")

    def with_policy(route):
        response = route.fetch(max_redirects=0)  # the browser follows redirects itself, each with the policy
        headers = {**response.headers, "content-security-policy": POLICY}
        route.fulfill(response=response, headers=headers)

    page.route("**/*", with_policy)
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)

    sign_in("nora")
    assert "/accounts/login/" not in page.url
    for path in ["/", f"/appointments/{appointment.pk}/", f"/patients/{patient.pk}/", "/week/"]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, path
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/patients/")
    expect(page.get_by_role("link", name="Hilbert", exact=False)).to_be_visible()
    with page.expect_response(
        lambda r: (
            r.request.method == "POST"
            and r.url.endswith("/patients/")
            and "q=Noe" in (r.request.post_data or "")
            and r.request.headers.get("hx-request") == "true"
        )
    ):
        page.get_by_label("Search patients").press_sequentially("Noe", delay=30)
    expect(page.get_by_role("link", name="Hilbert", exact=False)).to_be_hidden()  # htmx swapped the rows in
    expect(page.get_by_role("link", name="Noether", exact=False)).to_be_visible()
    page.wait_for_load_state("networkidle")
    # htmx refreshes the board on its own; run one refresh now instead of waiting a minute, until it has settled.
    page.goto(f"{live_server.url}/board/")
    page.wait_for_load_state("networkidle")
    page.evaluate(
        "() => htmx.ajax('GET', document.querySelector('#board').getAttribute('hx-get'),"
        " {target: '#board', swap: 'outerHTML'})"
    )
    expect(page.locator("#board")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert violations == []
