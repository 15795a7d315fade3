"""The signed patient links: what a token carries, expiry, tampering, the wrong purpose, replay, and that a GET
(a mail scanner prefetching the link) never changes anything."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from django.core import signing
from django.urls import reverse

from replies import links
from replies.models import AfterVisitAnswer, Confirmation, FreedTime
from scheduling.models import Appointment, Reminder
from tests.clock import local
from tests.replies.conftest import MON, book, visit_done

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("drugs_outside_the_pharmacy")]


def path(name, token):
    return reverse(f"replies:patient-link-{name}", args=[token])


def test_a_token_names_no_patient_or_row_id_only_a_random_reference(clock, center):
    appointment = book(center[0], local(MON, 9))
    token = links.make_token(links.VISIT, appointment.uid)
    payload = signing.loads(token, salt=links.SALT)
    assert payload == {"k": "visit", "u": appointment.uid.hex}
    readable = base64.urlsafe_b64decode(token.split(":")[0] + "==")
    assert json.loads(readable) == payload  # what anyone can read: no patient id, no appointment id
    assert str(appointment.patient_id) not in json.dumps(payload).replace(appointment.uid.hex, "")


@pytest.mark.parametrize(
    ("purpose", "page", "lifetime"),
    [
        (links.VISIT, "visit", datetime.timedelta(days=90)),
        (links.AFTER, "fine", datetime.timedelta(days=7)),
        (links.AFTER, "symptoms", datetime.timedelta(days=7)),
        (links.OFFER, "offer", datetime.timedelta(hours=24)),
    ],
)
def test_each_link_expires_after_its_lifetime(client, clock, center, purpose, page, lifetime):
    appointment = book(center[0], local(MON, 9))
    token = links.make_token(purpose, appointment.uid)
    clock.shift(lifetime + datetime.timedelta(minutes=1))
    response = client.get(path(page, token))
    assert response.status_code == 410
    assert b"This link has expired" in response.content
    response = client.post(path(page, token))
    assert response.status_code == 410
    assert not Confirmation.objects.exists() and not AfterVisitAnswer.objects.exists()


@pytest.mark.parametrize("page", ["visit", "cancel", "another-time", "fine", "symptoms", "offer"])
def test_a_tampered_token_is_refused_and_changes_nothing(client, clock, center, page):
    appointment = book(center[0], local(MON, 9))
    purpose = {"fine": links.AFTER, "symptoms": links.AFTER, "offer": links.OFFER}.get(page, links.VISIT)
    token = links.make_token(purpose, appointment.uid)
    forged = signing.dumps({"k": purpose, "u": appointment.uid.hex}, salt="someone-else")
    value, _, signature = token.rpartition(":")
    flipped = value + ":" + ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (forged, flipped, token[:-3], "nonsense"):
        for method in ("get", "post"):
            response = getattr(client, method)(path(page, bad))
            assert response.status_code == 404, (bad, method)
            assert b"This link does not work" in response.content
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED
    assert not Confirmation.objects.exists()


def test_a_token_for_one_purpose_does_not_open_another(client, clock, center):
    appointment = book(center[0], local(MON, 9))
    after_token = links.make_token(links.AFTER, appointment.uid)
    assert client.post(path("visit", after_token)).status_code == 404
    assert client.post(path("cancel", after_token)).status_code == 404
    visit_token = links.make_token(links.VISIT, appointment.uid)
    assert client.post(path("fine", visit_token)).status_code == 404
    assert not Confirmation.objects.exists() and not AfterVisitAnswer.objects.exists()


def test_get_never_confirms_cancels_or_answers(client, clock, center, nurse):
    """A mail scanner opens every link in the email: nothing may happen until the patient presses a button."""
    appointment = book(center[0], local(MON, 9))
    visit_token = links.make_token(links.VISIT, appointment.uid)
    for page in ("visit", "cancel", "another-time"):
        assert client.get(path(page, visit_token)).status_code == 200
        assert client.head(path(page, visit_token)).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED and not Confirmation.objects.exists()
    assert not FreedTime.objects.exists()
    done = visit_done(appointment, clock, nurse)
    after_token = links.make_token(links.AFTER, done.uid)
    for page in ("fine", "symptoms"):
        assert client.get(path(page, after_token)).status_code == 200
    assert not AfterVisitAnswer.objects.exists()


def test_replaying_a_confirm_or_cancel_does_not_repeat_it(client, clock, center):
    appointment = book(center[0], local(MON, 9))
    token = links.make_token(links.VISIT, appointment.uid)
    for _ in range(3):
        assert b"you are confirmed" in client.post(path("visit", token)).content
    assert Confirmation.objects.get().history.count() == 1  # one answer, recorded once

    for _ in range(3):
        response = client.post(path("cancel", token), {"reason": "I have a fever"})
        assert response.status_code == 200 and b"Your appointment is cancelled" in response.content
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.history.filter(status=Appointment.Status.CANCELLED).count() == 1
    assert Reminder.objects.filter(appointment=appointment, kind=Reminder.Kind.CANCELLATION).count() == 1
    assert FreedTime.objects.count() == 1
    # the confirm link of a cancelled visit now only says so
    response = client.post(path("visit", token))
    assert b"This appointment is cancelled" in response.content


def test_replaying_im_fine_and_the_symptom_form_makes_one_answer_each(client, clock, center, nurse):
    done = visit_done(book(center[0], local(MON, 9)), clock, nurse)
    token = links.make_token(links.AFTER, done.uid)
    for _ in range(2):
        client.post(path("fine", token))
    assert AfterVisitAnswer.objects.filter(answer="fine").count() == 1
    option = done.phase.drug.symptom_options.filter(urgent=False).first()
    form = {"symptoms": [option.pk], "started": "few_hours", "callback_phone": "+1 555 010 7777"}
    for _ in range(3):
        assert client.post(path("symptoms", token), form).status_code == 200
    assert AfterVisitAnswer.objects.filter(answer="symptoms").count() == 1
