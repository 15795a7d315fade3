"""The Plan pages in a real browser under the strict Content-Security-Policy: the forecast chart and its what-if,
and a scheduler computing a proposal and accepting its moves."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from infusion_center import roles
from scheduling.models import Appointment, ProposedMove, ReoptimisationProposal
from scheduling.services.planning_refresh import forecast_refresh
from scheduling.services.reoptimise import proposal_compute
from scheduling.tasks import reoptimise_propose
from tests.browser.test_csp import POLICY
from tests.clock import local
from tests.factories import (
    WEEKDAYS,
    AppointmentFactory,
    ChairFactory,
    PatientFactory,
    TreatmentPlanFactory,
    opening_hours,
    seeded_drug,
    staff,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def next_monday(weeks_ahead: int) -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=7 * weeks_ahead - today.weekday())


@pytest.fixture
def crowded_monday():
    """Three first Tysabri doses (an eight-day window) on one Monday at 09:00, two weeks ahead or more."""
    opening_hours(WEEKDAYS)
    monday = next_monday(3)
    tysabri = seeded_drug("Tysabri")
    for n in range(3):
        plan = TreatmentPlanFactory(patient=PatientFactory(last_name=f"Crowded{n}"), drug=tysabri, start_date=monday)
        AppointmentFactory(
            ocrevus_maintenance=True,
            chair=ChairFactory(name=f"Chair {n + 1}", position=n),
            premed_start=local(monday, 9),
            plan=plan,
            premed_minutes=0,
            infusion_minutes=60,
            observation_minutes=60,
            phase_order=1,
            infusion_number=1,
        )
    return monday


def strict(page):
    def with_policy(route):
        response = route.fetch(max_redirects=0)
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": POLICY})

    page.route("**/*", with_policy)
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    return violations


def test_forecast_chart_and_what_if(page, live_server, sign_in, crowded_monday):
    staff(roles.MANAGER, "max")
    forecast_refresh()  # as the worker's beat stores it
    violations = strict(page)
    sign_in("max")
    page.goto(f"{live_server.url}/planning/forecast/")
    expect(page.get_by_role("heading", name="Forecast: the next six months")).to_be_visible()
    expect(page.get_by_text("Forecast as of")).to_be_visible()
    expect(page.locator("svg rect.bar").first).to_be_attached()
    page.get_by_label("On", exact=True).select_option("Tuesday")
    page.get_by_label("Nurses more (or fewer)").fill("1")
    page.get_by_role("button", name="Try it").click()
    expect(page.get_by_role("status")).to_contain_text("+1 nurse on Tuesdays")
    page.wait_for_load_state("networkidle")
    assert violations == []


def test_scheduler_computes_a_proposal_and_accepts_it(page, live_server, sign_in, crowded_monday, monkeypatch):
    staff(roles.SCHEDULER, "sam")
    # the button queues the Celery task; here the task body runs at once, as the worker would run it
    monkeypatch.setattr(
        reoptimise_propose, "apply_async", lambda args, kwargs=None, **kw: proposal_compute(proposal_id=args[0])
    )
    violations = strict(page)
    sign_in("sam")
    page.goto(f"{live_server.url}/planning/proposals/")
    expect(page.get_by_text("No proposal yet.")).to_be_visible()
    page.get_by_role("button", name="Compute a new proposal").click()
    expect(page.locator("strong", has_text="3 → 1")).to_be_visible()
    assert all(a.premed_start == local(crowded_monday, 9) for a in Appointment.objects.all())  # nothing moved yet
    page.get_by_role("button", name="Accept all 2").click()
    expect(page.get_by_text("2 appointments moved.")).to_be_visible()
    proposal = ReoptimisationProposal.objects.get()
    assert proposal.moves.filter(status=ProposedMove.Status.ACCEPTED).count() == 2
    spans = [(a.premed_start, a.observation_end) for a in Appointment.objects.all()]
    assert not any(s1 < e2 and s2 < e1 for i, (s1, e1) in enumerate(spans) for s2, e2 in spans[i + 1 :])
    page.wait_for_load_state("networkidle")
    assert violations == []
