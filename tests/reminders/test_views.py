"""Staff outbox (login + permission, filters, retry) and the patient's public unsubscribe page."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from scheduling.models import Reminder
from scheduling.reminders.emails import unsubscribe_token
from tests.clock import local
from tests.factories import PatientFactory
from tests.reminders.conftest import book

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_base_template")]


@pytest.fixture
def appointment():
    return book(premed_start=local(10, 9))


def test_outbox_needs_login_and_the_view_appointment_permission(client, appointment, outsider, nurse):
    url = reverse("scheduling:outbox")
    assert url == "/outbox/"
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(nurse)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert appointment.patient.full_name in body
    assert "Booking confirmation" in body and "Preparation (a week before)" in body


def test_outbox_filters_by_status_and_kind(client, appointment, nurse):
    Reminder.objects.filter(kind=Reminder.Kind.HYDRATION).update(
        status=Reminder.Status.FAILED, last_error="SMTPServerDisconnected: gone", attempts=5
    )
    client.force_login(nurse)
    page = client.get("/outbox/", {"status": "failed"}).context["reminders"]
    assert [r.kind for r in page] == [Reminder.Kind.HYDRATION]
    page = client.get("/outbox/", {"kind": "confirmation"}).context["reminders"]
    assert [r.kind for r in page] == [Reminder.Kind.CONFIRMATION]
    body = client.get("/outbox/", {"status": "failed"}).content.decode()
    assert "SMTPServerDisconnected: gone" in body


def test_retry_is_a_post_for_staff_who_can_change_appointments(client, appointment, monkeypatch, nurse, scheduler):
    monkeypatch.setattr("scheduling.reminders.tasks.reminders_send.apply_async", lambda *a, **k: None)
    failed = appointment.reminders.get(kind=Reminder.Kind.CONFIRMATION)
    Reminder.objects.filter(pk=failed.pk).update(status=Reminder.Status.FAILED, attempts=5, last_error="boom")
    url = reverse("scheduling:reminder-retry", args=[failed.pk])

    client.force_login(nurse)
    assert client.post(url).status_code == 403
    client.force_login(scheduler)
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/outbox/"
    failed.refresh_from_db()
    assert failed.status == Reminder.Status.PENDING and failed.attempts == 0
    response = client.post(url, follow=True)
    assert "Only a failed reminder can be retried" in response.content.decode()


def test_appointment_include_lists_each_reminder_with_status_and_reason(nurse):
    patient = PatientFactory(reminder_consent=False)
    appointment = book(premed_start=local(10, 9), patient=patient)
    request = RequestFactory().get("/")
    request.user = nurse
    html = render_to_string("scheduling/_appointment_reminders.html", {"appointment": appointment}, request=request)
    assert html.count("No consent") == 3
    assert "Hydration (the day before)" in html and "Skipped" in html


def test_unsubscribe_link_asks_then_turns_reminders_off_without_login_showing_only_the_first_name(client, appointment):
    patient = appointment.patient
    patient.allergies = "Penicillin"
    patient.save()
    url = reverse("scheduling:reminders-unsubscribe", args=[unsubscribe_token(patient.pk)])

    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert patient.first_name in body and "Stop these emails" in body
    for private in (patient.last_name, patient.email, patient.mrn, "Penicillin", "Ocrevus"):
        assert private not in body
    patient.refresh_from_db()
    assert patient.reminders_opted_out_at is None  # a link scanner's GET changes nothing

    done = client.post(url)
    assert done.status_code == 200 and "You will not get any more reminder emails" in done.content.decode()
    patient.refresh_from_db()
    assert patient.reminders_opted_out_at is not None
    assert set(appointment.reminders.values_list("skip_reason", flat=True)) == {"Unsubscribed"}


def test_a_forged_unsubscribe_link_is_refused(client, appointment):
    token = unsubscribe_token(appointment.patient.pk)
    response = client.post(reverse("scheduling:reminders-unsubscribe", args=[token[:-3] + "abc"]))
    assert response.status_code == 404
    appointment.patient.refresh_from_db()
    assert appointment.patient.reminders_opted_out_at is None
