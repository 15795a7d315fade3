"""`make screenshots`: PNGs of the main pages with the demo center, written to docs/screenshots/.

Run with: pytest tests/browser/test_screenshots.py -m screenshots
"""

import datetime
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from scheduling import selectors
from scheduling.models import Appointment

pytestmark = [
    pytest.mark.browser,
    pytest.mark.screenshots,
    pytest.mark.django_db(transaction=True),
]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "demo-screenshots-password-1"


def _busiest_day() -> datetime.date:
    today = timezone.localdate()
    days = Counter(
        timezone.localtime(a.premed_start).date()
        for a in Appointment.objects.filter(
            premed_start__date__gte=today, premed_start__date__lte=today + datetime.timedelta(days=7)
        ).exclude(status=Appointment.Status.CANCELLED)
    )
    return max(days, key=days.get) if days else today


def test_screenshots_of_the_main_pages(browser, live_server):
    call_command("demo_center", verbosity=0)
    for user in get_user_model().objects.filter(username__in=["scheduler", "nurse", "manager"]):
        user.set_password(PASSWORD)
        user.save()
    OUT.mkdir(parents=True, exist_ok=True)
    day = _busiest_day()
    booked = (
        Appointment.objects.filter(status=Appointment.Status.SCHEDULED, premed_start__date__gte=day)
        .order_by("premed_start")
        .first()
    )
    due = selectors.plans_needing_booking()
    plan = due[0] if due else booked.plan

    def capture(username: str, pages: list[tuple[str, str]], viewport=(1440, 900)):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-GB")
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        if username == "login":
            page.screenshot(path=str(OUT / "sign-in.png"))
            context.close()
            return
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        for name, path in pages:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
        context.close()

    capture("login", [])
    capture(
        "nurse",
        [
            ("chair-board", f"/board/?day={day.isoformat()}"),
            ("appointment", f"/appointments/{booked.pk}/"),
        ],
    )
    capture("nurse", [("chair-board-tablet", f"/board/?day={day.isoformat()}")], viewport=(1024, 768))
    capture(
        "scheduler",
        [
            ("week", f"/week/?day={day.isoformat()}"),
            ("worklist", "/worklist/"),
            ("patients", "/patients/"),
            ("patient", f"/patients/{booked.patient_id}/"),
            ("find-a-time", f"/plans/{plan.pk}/find/"),
        ],
    )
    capture("manager", [("reports", "/reports/"), ("chairs", "/center/chair/")])
    written = sorted(p.name for p in OUT.glob("*.png"))
    assert {"chair-board.png", "patient.png", "reports.png", "find-a-time.png"} <= set(written)
