"""`make screenshots`: PNGs of the main pages with the demo center on a working day, written to docs/screenshots/.

Run with: pytest tests/browser/test_screenshots.py -m screenshots

The clock is set to a Wednesday late morning before the demo center is built, so the board shows a real day:
visits done, under way and still to come, the now-line, and the patients' emails in the outbox.
"""

import datetime
import io
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from scheduling.models import Appointment, InfusionReaction, Reminder
from scheduling.reminders.services import reminder_deliver
from scheduling.selectors.worklist import WorklistFilters, worklist_rows

pytestmark = [
    pytest.mark.browser,
    pytest.mark.screenshots,
    pytest.mark.django_db(transaction=True),
]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "demo-screenshots-password-1"
MOMENT = datetime.datetime(2027, 3, 3, 11, 20)  # a Wednesday, in the center's time zone
DESKTOP, TABLET = (1440, 900), (1024, 768)
MAX_BYTES = 400_000


def _pages() -> dict[str, list[tuple[str, str, tuple[int, int], bool]]]:
    """Per demo login: (file name, path, viewport, full page)."""
    today = timezone.localdate()
    under_way = (
        Appointment.objects.filter(status=Appointment.Status.INFUSING, premed_start__date=today)
        .order_by("premed_start")
        .first()
    ) or Appointment.objects.filter(status=Appointment.Status.SCHEDULED).order_by("premed_start").first()
    patient_id = (
        Appointment.objects.filter(
            status=Appointment.Status.SCHEDULED,
            patient__in=InfusionReaction.objects.values("patient_id"),
        )
        .values_list("patient_id", flat=True)
        .first()
    ) or under_way.patient_id
    # the worklist's most urgent dose still inside its window (its find-a-time page has offers), else the first
    to_book = list(worklist_rows(filters=WorklistFilters(due_within=365), today=today, now=timezone.now()))
    in_window = [row.plan_id for row in to_book if row.latest >= today]
    plan_id = (in_window or [row.plan_id for row in to_book] or [under_way.plan_id])[0]
    monday = today - datetime.timedelta(days=today.weekday())
    busiest_week = max(
        (monday, monday + datetime.timedelta(days=7)),
        key=lambda first: Appointment.objects.filter(
            premed_start__date__gte=first, premed_start__date__lt=first + datetime.timedelta(days=7)
        ).count(),
    )
    return {
        "demo-nurse": [
            ("chair-board", "/board/", DESKTOP, False),
            ("chair-board-tablet", "/board/", TABLET, False),
            ("appointment", f"/appointments/{under_way.pk}/", DESKTOP, True),
        ],
        "demo-scheduler": [
            ("week", f"/week/?day={busiest_week.isoformat()}", DESKTOP, True),
            ("worklist", "/worklist/", DESKTOP, True),
            ("patients", "/patients/", DESKTOP, False),
            ("patient", f"/patients/{patient_id}/", DESKTOP, True),
            ("find-a-time", f"/plans/{plan_id}/find/", DESKTOP, True),
            ("outbox", "/outbox/", DESKTOP, False),
        ],
        "demo-manager": [
            ("reports", "/reports/", DESKTOP, True),
            ("audit", "/audit/", DESKTOP, False),
            ("chairs", "/center/chair/", DESKTOP, True),
        ],
    }


def test_screenshots_of_the_main_pages(browser, live_server, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    OUT.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(timezone.make_aware(MOMENT), tick=True):
        call_command("demo_center", "--password", PASSWORD, stdout=io.StringIO())
        for reminder_id in Reminder.objects.filter(
            status=Reminder.Status.PENDING, due_at__lte=timezone.now()
        ).values_list("pk", flat=True):  # what the worker sends at once: the confirmations and the after-visit emails
            reminder_deliver(reminder_id=reminder_id)
        pages = _pages()

        context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]}, locale="en-GB")
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.screenshot(path=str(OUT / "sign-in.png"))
        context.close()

        for username, shots in pages.items():
            context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]}, locale="en-GB")
            page = context.new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state()
            assert "/accounts/login/" not in page.url, f"{username} could not sign in"
            for name, path, (width, height), full_page in shots:
                page.set_viewport_size({"width": width, "height": height})
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, (name, path, response.status)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
            context.close()

    written = {p.name: p.stat().st_size for p in OUT.glob("*.png")}
    expected = {f"{name}.png" for shots in pages.values() for name, *_ in shots} | {"sign-in.png"}
    assert expected <= set(written)
    assert all(size < MAX_BYTES for size in written.values()), written
