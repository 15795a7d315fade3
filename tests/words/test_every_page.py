"""Every staff page of the demo center, for every role, and every reminder email and calendar text it sends,
in one format and the right words: no "1 days", no phrase twice in a row, no range from a day to itself, no
12-hour times, no month-first dates."""

import email
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from scheduling.demo.center import DEMO_USERS
from scheduling.models import Reminder
from scheduling.reminders.emails import reminder_message
from tests.words.pages import Crawl, problems_in, read_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("demo_center", "--password", "demo-password-123456", stdout=io.StringIO())


def test_every_page_of_the_demo_for_every_role_writes_one_format_and_the_right_words(demo, client):
    pages, problems = {}, []
    for username, *_ in DEMO_USERS:
        client.force_login(get_user_model().objects.get(username=username))
        crawl = Crawl(client)
        crawl.run("/")
        pages[username] = crawl.visited
        problems += [f"{username} {p}" for p in crawl.problems]
        client.logout()
    assert not problems, "\n".join(problems)
    # The walk reached the pages of each role, not just the home page.
    assert all(len(visited) >= 3 for name, visited in pages.items() if name != "demo-drugadmin"), {
        name: len(visited) for name, visited in pages.items()
    }
    assert sum(len(v) for v in pages.values()) >= 100


def _parts(message) -> list[tuple[str, str]]:
    parsed = email.message_from_bytes(message.message().as_bytes())
    return [
        (part.get_content_type(), part.get_payload(decode=True).decode())
        for part in parsed.walk()
        if not part.is_multipart()
    ]


def test_every_reminder_email_and_calendar_text_of_the_demo_writes_one_format_and_the_right_words(demo):
    reminders = list(Reminder.objects.select_related("appointment__patient", "appointment__phase__drug"))
    kinds, problems = set(), []
    for reminder in reminders:
        message = reminder_message(reminder)
        kinds.add(reminder.kind)
        for content_type, text in [("subject", message.subject), *_parts(message)]:
            repeated = []
            if content_type == "text/html":
                blocks, repeated = read_html(text)
            elif content_type == "text/calendar":
                blocks = [line.replace("\\,", ",").replace("\\;", ";") for line in text.splitlines()]
            else:
                blocks = [line for line in text.splitlines() if line.strip()]
            problems += [f"{reminder.kind} #{reminder.pk} {content_type}: {p}" for p in problems_in(blocks)]
            problems += [f"{reminder.kind} #{reminder.pk} {content_type}: {p}" for p in repeated]
    assert not problems, "\n".join(problems)
    assert len(kinds) >= 4, kinds


@pytest.mark.parametrize(
    "text",
    [
        "Paid 1 days late",
        "1 nurses on duty",
        "Initial dose, infusion 1, infusion 1",
        "22 Dec 2026 – 22 Dec 2026",
        "Mon 07 Dec",
        "02:26 AM",
        "12/22/2026",
        "Dec 22, 2026",
        "the the chair",
    ],
)
def test_the_page_check_finds_each_known_bad_string(text):
    assert problems_in(["Before", text, "after."])


def test_the_page_check_finds_a_message_twice_in_one_list_and_passes_good_text():
    _, repeated = read_html("<ul><li>JCV positive: review.</li><li>JCV positive: review.</li></ul>")
    assert repeated
    blocks, repeated = read_html(
        "<p>1 day late · 2 days late · 1 nurse · Mon 7 Dec 2026 07:00–09:30 · 7–9 Dec 2026 · 07/12/2026</p>"
        "<ul><li>JCV positive: review.</li></ul><ul><li>JCV positive: review.</li></ul>"
    )
    assert not problems_in(blocks) and not repeated
