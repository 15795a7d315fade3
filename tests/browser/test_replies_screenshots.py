"""`make screenshots` for the patient replies: the pages patients open from their emails and the staff queues,
with the demo center on a working day (the same moment as tests/browser/test_screenshots.py).

Run with: pytest tests/browser/test_replies_screenshots.py -m screenshots
"""

import io
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from replies import links
from replies.models import AfterVisitAnswer, WaitlistOffer
from replies.services import waitlist
from scheduling.models import Appointment
from tests.browser.test_screenshots import DESKTOP, MAX_BYTES, MOMENT, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.screenshots, pytest.mark.django_db(transaction=True)]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = (390, 844)


def _patient_pages() -> list[tuple[str, str]]:
    now = timezone.now()
    upcoming = Appointment.objects.filter(status="scheduled", premed_start__gt=now).order_by("premed_start")
    ahead = upcoming.filter(premed_start__gt=now + timezone.timedelta(days=3)).first()
    visit = links.make_token(links.VISIT, ahead.uid)
    soon = links.make_token(links.VISIT, upcoming.first().uid)
    reported = AfterVisitAnswer.objects.filter(answer="symptoms").order_by("answered_at").first()
    after = links.make_token(links.AFTER, reported.appointment.uid)
    freed = next(f for f in waitlist.open_freed_times() if waitlist.candidates(f))
    best = waitlist.candidates(freed)[0]
    offer = WaitlistOffer.objects.create(
        freed=freed, entry=best.entry, chair_id=best.slot.chair_id, premed_start=best.slot.premed_start, rank=1
    )

    def url(name, token):
        return reverse(f"replies:patient-link-{name}", args=[token])

    return [
        ("patient-confirm", url("visit", visit)),
        ("patient-cancel", url("cancel", visit)),
        ("patient-cancel-after-cut-off", url("cancel", soon)),
        ("patient-another-time", url("another-time", visit)),
        ("patient-im-fine", url("fine", after)),
        ("patient-symptoms", url("symptoms", after)),
        ("patient-waitlist-offer", links.offer_url(offer.uid).split("8000", 1)[-1]),
    ]


def test_screenshots_of_the_patient_pages_and_the_queues(browser, live_server, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with time_machine.travel(MOMENT, tick=True):
        call_command("demo_center", "--password", PASSWORD, stdout=io.StringIO())
        context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, locale="en-GB")
        page = context.new_page()
        for name, path in _patient_pages():
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, (name, response.status)
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            written.append(name)
        context.close()

        for username, shots in {
            "demo-nurse": [("follow-up-queue", "/follow-up/")],
            "demo-scheduler": [("replies-queue", "/replies/"), ("waitlist", "/waitlist/")],
        }.items():
            context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]}, locale="en-GB")
            page = context.new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state()
            for name, path in shots:
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, (name, response.status)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
                written.append(name)
            context.close()
    sizes = {name: (OUT / f"{name}.png").stat().st_size for name in written}
    assert all(size < MAX_BYTES for size in sizes.values()), sizes
