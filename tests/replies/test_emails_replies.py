"""The emails as a patient reads them: the answer links work, and the fixes (arrival time, phones, calendar
SEQUENCE and alarm, day wording, pregnancy line, plain words, nothing twice, hydration caveat, Lemtrada advice)."""

from __future__ import annotations

import datetime
import email
import re
from collections import Counter

import pytest
from django.utils import timezone
from icalendar import Calendar

from scheduling.models import Reminder
from scheduling.reminders.emails import reminder_message
from tests.clock import local
from tests.factories import PatientFactory, TreatmentPlanFactory
from tests.reminders.conftest import book, cancel, discharge
from tests.replies.conftest import links_in

pytestmark = pytest.mark.django_db
KIND = Reminder.Kind


def message(appointment, kind):
    return reminder_message(appointment.reminders.get(kind=kind))


def html_of(msg):
    return next(content for content, mime in msg.alternatives if mime == "text/html")


def test_confirmation_and_preparation_links_open_the_visit_pages(client):
    appointment = book(premed_start=local(10, 9))
    for kind in (KIND.CONFIRMATION, KIND.PREPARATION):
        msg = message(appointment, kind)
        paths = [p for p in links_in(msg.body) if p.startswith("/p/visit/")]
        assert len(paths) == 3, paths  # confirm, another time, cancel
        assert {p.rsplit("/", 2)[-2] for p in paths} >= {"cancel", "another-time"}
        for path in paths:
            page = client.get(path)
            assert page.status_code == 200 and b"Please arrive at" in page.content
        assert all(p in html_of(msg) for p in paths)
        assert "online until 48 hours before" in msg.body


def test_after_visit_emails_carry_im_fine_and_i_have_symptoms(client):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    appointment = book(premed_start=local(yesterday, 9), plan=TreatmentPlanFactory(start_date=yesterday))
    discharge(appointment, at=appointment.observation_end)
    for kind in (KIND.REACTION_MONITORING, KIND.CHECK_IN):
        msg = message(appointment, kind)
        assert "I'm fine: http" in msg.body and "I have symptoms: http" in msg.body
        fine, symptoms = [p for p in links_in(msg.body) if p.startswith("/p/after/")]
        assert fine.endswith("/fine/") and symptoms.endswith("/symptoms/")
        assert b"I'm fine" in client.get(fine).content
        assert b'data-testid="urgent-signs"' in client.get(symptoms).content
        assert "+1 555 010 2999" in msg.body  # the after-hours line for the monitoring window


def test_arrival_is_the_check_in_margin_before_the_premedication(settings):
    settings.REMINDERS_ARRIVAL_MARGIN_MINUTES = 20
    appointment = book(premed_start=local(10, 9))
    body = message(appointment, KIND.CONFIRMATION).body
    assert "Please arrive at: 08:40 (to check in)" in body and "Your first medicines: 09:00" in body


def test_cancellation_raises_the_sequence_and_requests_carry_an_alarm():
    appointment = book(premed_start=local(10, 9))
    confirmation = message(appointment, KIND.CONFIRMATION)
    event = Calendar.from_ical(confirmation.attachments[0].get_payload(decode=True)).walk("VEVENT")[0]
    alarms = event.walk("VALARM")
    assert len(alarms) == 1 and alarms[0].decoded("trigger") == -datetime.timedelta(hours=2)
    assert str(alarms[0]["action"]) == "DISPLAY"
    Reminder.objects.filter(appointment=appointment, kind=KIND.CONFIRMATION).update(
        status="sent", sent_at=local(-20, 9)
    )
    cancel(appointment)
    appointment.refresh_from_db()
    raw = email.message_from_bytes(message(appointment, KIND.CANCELLATION).message().as_bytes())
    part = next(p for p in raw.walk() if p.get_content_type() == "text/calendar")
    cancelled = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
    assert int(cancelled["sequence"]) == appointment.ics_sequence + 1 == int(event["sequence"]) + 1
    assert not cancelled.walk("VALARM")


@pytest.mark.parametrize(("days", "phrase"), [(0, "today, "), (1, "tomorrow, "), (3, "on ")])
def test_the_hydration_email_never_says_the_weekday_twice(time_machine, days, phrase):
    appointment = book(premed_start=local(10, 9))
    hydration = appointment.reminders.get(kind=KIND.HYDRATION)
    time_machine.move_to(appointment.premed_start - datetime.timedelta(days=days, hours=2))
    body = reminder_message(hydration).body
    first = body.split("\n")[2]
    weekday = f"{appointment.premed_start:%A}"
    assert first.count(weekday) == 1, first
    assert f"is {phrase}{weekday}" in first


def test_the_pregnancy_line_only_for_patients_it_applies_to():
    could = book(premed_start=local(10, 9), patient=PatientFactory(reproductive_potential=True))
    cannot = book(premed_start=local(11, 9), patient=PatientFactory(reproductive_potential=False))
    assert "might be pregnant" in message(could, KIND.PREPARATION).body
    assert "pregnant" not in message(cannot, KIND.PREPARATION).body + html_of(message(cannot, KIND.PREPARATION))


def test_preparation_asks_about_past_reactions_and_lists_each_thing_to_bring_once():
    appointment = book(premed_start=local(10, 9))
    msg = message(appointment, KIND.PREPARATION)
    assert "tell the nurse if you had any reaction during or after a past infusion" in msg.body
    for needle in ("written order if you have one", "a pillow", "a water bottle", "insurance card"):
        assert msg.body.count(needle) == 1, needle
    bullets = [line for line in msg.body.splitlines() if line.startswith("- ")]
    assert [b for b, n in Counter(bullets).items() if n > 1] == []
    html_items = re.findall(r"<li>(.*?)</li>", html_of(msg))
    assert [i for i, n in Counter(html_items).items() if n > 1] == []


def test_the_hydration_caveat_is_for_everyone():
    appointment = book(premed_start=local(10, 9), patient=PatientFactory(fluid_restriction=False))
    body = message(appointment, KIND.HYDRATION).body
    assert "If you have a heart or kidney condition" in body and "ask your clinician first" in body


def test_lemtrada_emails_give_the_listeria_advice():
    appointment = book(premed_start=local(10, 9), drug_name="Lemtrada")
    discharge(appointment, at=appointment.observation_end)
    assert "Listeria" in message(appointment, KIND.PREPARATION).body
    assert "Listeria" in message(appointment, KIND.REACTION_MONITORING).body
    assert "Listeria" in message(appointment, KIND.CHECK_IN).body
    other = book(premed_start=local(12, 9), drug_name="Ocrevus (IV)")
    assert "Listeria" not in message(other, KIND.PREPARATION).body
