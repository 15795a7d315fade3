"""`make screenshots`: the infusion day's pages with the demo center (pharmacy queue, authorisations, the printed
day list, the waste report), written to docs/screenshots/ under their own names.

Run with: pytest tests/browser/test_screenshots_infusion_day.py -m screenshots
"""

import datetime
import io
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from tests.clock import local

pytestmark = [
    pytest.mark.browser,
    pytest.mark.screenshots,
    pytest.mark.django_db(transaction=True),
]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "demo-screenshots-password-1"
MOMENT = local(datetime.date(2027, 3, 3), 9, 35)  # the other screenshots' Wednesday, as the morning's patients arrive
DESKTOP, A4_LANDSCAPE = (1440, 900), (1123, 794)
MAX_BYTES = 400_000

SHOTS = {
    # login: (file name, path, viewport, full page, print media)
    "demo-pharmacy": [
        ("pharmacy-queue", "/pharmacy/", DESKTOP, True, False),
        ("pharmacy-waste-report", "/pharmacy/waste-report/?month=2027-02", DESKTOP, False, False),
    ],
    "demo-scheduler": [("authorisations", "/authorisations/", DESKTOP, True, False)],
    "demo-nurse": [
        ("day-list", "/day-list/", DESKTOP, False, False),
        ("day-list-print", "/day-list/", A4_LANDSCAPE, False, True),
    ],
}


def test_screenshots_of_the_infusion_day(browser, live_server, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    OUT.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(MOMENT, tick=True):
        call_command("demo_center", "--password", PASSWORD, stdout=io.StringIO())
        for username, shots in SHOTS.items():
            context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]}, locale="en-GB")
            page = context.new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state()
            assert "/accounts/login/" not in page.url, f"{username} could not sign in"
            for name, path, (width, height), full_page, printed in shots:
                page.set_viewport_size({"width": width, "height": height})
                page.emulate_media(media="print" if printed else "screen")
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, (name, path, response.status)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
            context.close()
    for shots in SHOTS.values():
        for name, *_ in shots:
            assert (OUT / f"{name}.png").stat().st_size < MAX_BYTES, name
