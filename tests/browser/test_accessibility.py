"""axe-core in Chromium on every page of the demo center, at desktop and tablet widths: no WCAG 2.0/2.1/2.2 A or
AA violation. Each staff role signs in and follows every link of its navigation and of the pages reached from
them (one page per kind of address), so a new page is checked as soon as it is linked; the admin, the
patients' pages from the emails and the sign-in pages are visited by address."""

from __future__ import annotations

import datetime
import io
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Error as PlaywrightError

from replies import links
from scheduling.models import Appointment, Reminder
from scheduling.reminders.emails import unsubscribe_token
from scheduling.reminders.services import reminder_deliver
from tests.browser.conftest import ARTIFACTS
from tests.clock import local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-accessibility-password-1"
MOMENT = local(datetime.date(2027, 3, 3), 11, 20)  # a Wednesday late morning: visits done, under way and to come
WIDTHS = {"desktop": (1280, 800), "tablet": (768, 1024)}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
STAFF = ["demo-scheduler", "demo-nurse", "demo-chargenurse", "demo-pharmacy", "demo-manager", "demo-drugadmin"]
# Not pages: downloads, the token endpoint, the FHIR API and the admin (visited on its own below).
NOT_PAGES = re.compile(
    r"\.(csv|pdf|ics|json)\b|/export|/download|^/o/|^/fhir/|^/admin/|^/static/|format=csv|^/accounts/(?!lockouts)"
)
MAX_PAGES_PER_ROLE = 60

axe = Axe()


def kind_of_address(url: str) -> str:
    """One page per kind: ids become N, and a filtered or later page of a list is the same kind of page."""
    return re.sub(r"\d+", "N", urlsplit(url).path)


class Checker:
    """Runs axe on the open page at each width and keeps what it found, page by page."""

    def __init__(self, page, base_url: str):
        self.page, self.base_url = page, base_url
        self.checked: list[str] = []
        self.problems: list[str] = []

    def check(self, label: str) -> None:
        for width_name, (width, height) in WIDTHS.items():
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.wait_for_timeout(50)  # the layout of the new width has settled
            results = axe.run(self.page, options=AXE_OPTIONS)
            self.checked.append(f"{label} [{width_name}]: {len(results.response['violations'])}")
            for violation in results.response["violations"]:
                targets = "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:6])
                summary = violation["nodes"][0].get("failureSummary", "").replace("\n", " ")[:300]
                self.problems.append(
                    f"{label} [{width_name}] {violation['id']} ({violation['impact']}, "
                    f"{len(violation['nodes'])} element(s)): {violation['help']}\n      at {targets}\n      {summary}"
                )
        self.page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})

    def visit(self, path: str, label: str | None = None) -> None:
        response = self.page.goto(f"{self.base_url}{path}")
        assert response is not None and response.status < 400, (path, response and response.status)
        self.page.wait_for_load_state("networkidle")
        self.check(label or path)

    def report(self, name: str) -> str:
        text = f"{len(self.problems)} violation(s) on {len(self.checked)} checks:\n  " + "\n  ".join(self.problems)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"axe-{name}.txt").write_text(text + "\n\nChecked:\n  " + "\n  ".join(self.checked) + "\n")
        return text


@pytest.fixture
def demo(live_server, settings, tmp_path):
    """The demo center on a working day, with the emails the worker would already have sent."""
    settings.VAR_DIR = tmp_path
    with time_machine.travel(MOMENT, tick=True):
        call_command("demo_center", "--password", PASSWORD, stdout=io.StringIO())
        for reminder_id in Reminder.objects.filter(
            status=Reminder.Status.PENDING, due_at__lte=timezone.now()
        ).values_list("pk", flat=True):
            reminder_deliver(reminder_id=reminder_id)
        yield


@pytest.fixture
def checker(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Checker(page, live_server.url)
    context.close()


def sign_in(checker: Checker, username: str) -> None:
    page = checker.page
    page.goto(f"{checker.base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def same_site_links(checker: Checker) -> list[str]:
    hrefs = checker.page.eval_on_selector_all(
        "a[href]:not([download])", "els => els.map(a => a.href).filter(h => h.startsWith(location.origin))"
    )
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not NOT_PAGES.search(path):
            paths.append(path)
    return paths


def crawl(checker: Checker, seen: set[str]) -> None:
    """Visit the home page and, breadth first, every kind of page linked from there that no one checked yet."""
    queue, queued = ["/"], {kind_of_address("/")}
    visited = 0
    while queue and visited < MAX_PAGES_PER_ROLE:
        path = queue.pop(0)
        try:
            response = checker.page.goto(f"{checker.base_url}{path}")
        except PlaywrightError as exc:  # a file to download rather than a page
            assert "Download is starting" in str(exc), (path, exc)
            continue
        if response is None or response.status >= 400 or "text/html" not in response.headers.get("content-type", ""):
            continue  # a link the role may not follow is checked by the security tests, not here
        checker.page.wait_for_load_state("networkidle")
        visited += 1
        kind = kind_of_address(path)
        if kind not in seen or path == "/":  # each role's first page shows its own navigation
            seen.add(kind)
            checker.check(path)
        for link in same_site_links(checker):
            if kind_of_address(link) not in queued:
                queued.add(kind_of_address(link))
                queue.append(link)


def pages_past_the_first_link(username: str) -> list[str]:
    """Pages whose look depends on the booking's state, which the crawl sees for one booking only: a visit at each
    of its steps for the nurse; cancelling and moving a booking still to come for the scheduler."""
    if username == "demo-nurse":
        today = timezone.localdate()
        by_status = {}
        for appointment in Appointment.objects.filter(premed_start__date=today).order_by("premed_start"):
            by_status.setdefault(appointment.status, appointment)
        return [reverse("scheduling:appointment-detail", args=[a.pk]) for a in by_status.values()]
    if username == "demo-scheduler":
        coming = (
            Appointment.objects.filter(status=Appointment.Status.SCHEDULED, premed_start__date__gt=timezone.localdate())
            .order_by("premed_start")
            .first()
        )
        return [
            reverse(name, args=[coming.pk])
            for name in (
                "scheduling:appointment-detail",
                "scheduling:appointment-cancel",
                "scheduling:appointment-reschedule",
            )
        ]
    return []


def test_every_staff_page_for_every_role_has_no_accessibility_violation(demo, checker, request):
    seen: set[str] = set()
    for username in STAFF:
        sign_in(checker, username)
        crawl(checker, seen)
        for path in pages_past_the_first_link(username):
            checker.visit(path)
        checker.page.context.clear_cookies()  # signed out
    assert len(checker.checked) > 60
    report = checker.report(request.node.name)
    assert not checker.problems, report


def test_admin_pages_have_no_accessibility_violation(demo, checker, request):
    sign_in(checker, "demo-drugadmin")
    checker.visit("/admin/")
    checker.visit("/admin/scheduling/drug/")
    checker.page.locator("#result_list tbody th a").first.click()  # a drug's change form
    checker.page.wait_for_load_state("networkidle")
    checker.check(urlsplit(checker.page.url).path)
    report = checker.report(request.node.name)
    assert not checker.problems, report


def test_patient_and_sign_in_pages_have_no_accessibility_violation(demo, checker, request):
    today = timezone.localdate()
    coming = Appointment.objects.filter(status=Appointment.Status.SCHEDULED, premed_start__date__gt=today).first()
    done = Appointment.objects.filter(status=Appointment.Status.COMPLETED).first()
    pages = {
        "sign-in": reverse("login"),
        "password reset": reverse("password_reset"),
        "password reset sent": reverse("password_reset_done"),
        "password reset link": reverse(
            "password_reset_confirm",
            args=[
                urlsafe_base64_encode(force_bytes(get_user_model().objects.get(username="demo-nurse").pk)),
                default_token_generator.make_token(get_user_model().objects.get(username="demo-nurse")),
            ],
        ),
        "password reset broken link": reverse("password_reset_confirm", args=["MQ", "set-password"]),
        "unsubscribe": reverse("scheduling:reminders-unsubscribe", args=[unsubscribe_token(coming.patient_id)]),
        "confirm a visit": reverse("replies:patient-link-visit", args=[links.make_token(links.VISIT, coming.uid)]),
        "cancel a visit": reverse("replies:patient-link-cancel", args=[links.make_token(links.VISIT, coming.uid)]),
        "another time": reverse("replies:patient-link-another-time", args=[links.make_token(links.VISIT, coming.uid)]),
        "after: fine": reverse("replies:patient-link-fine", args=[links.make_token(links.AFTER, done.uid)]),
        "after: symptoms": reverse("replies:patient-link-symptoms", args=[links.make_token(links.AFTER, done.uid)]),
        "broken link": reverse("replies:patient-link-visit", args=["not-a-token"]),
    }
    for label, path in pages.items():
        response = checker.page.goto(f"{checker.base_url}{path}")
        assert response.status < 500, (label, response.status)
        checker.page.wait_for_load_state("networkidle")
        checker.check(f"{label} {path[:40]}")
    report = checker.report(request.node.name)
    assert not checker.problems, report
