"""Confirm, cancel (up to the cut-off) and ask for another time from the email; the status on the staff pages;
the call-to-confirm list for patients without email."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import PatientAccess
from replies import links
from replies.models import AnotherTimeRequest, CallAttempt, Confirmation, FreedTime
from replies.selectors import calls_to_confirm, confirmation_marks
from scheduling.models import Appointment, Reminder
from scheduling.reminders.emails import reminder_message
from scheduling.services.booking import appointment_reschedule
from tests.factories import PatientFactory, UserFactory
from tests.replies.conftest import MON, at, book

pytestmark = pytest.mark.django_db
S = Appointment.Status


def clock_now():
    return timezone.now()


def visit_path(appointment, page="visit"):
    return reverse(f"replies:patient-link-{page}", args=[links.make_token(links.VISIT, appointment.uid)])


def test_the_visit_page_shows_only_the_day_time_and_center(client, clock, center):
    appointment = book(center[0], at(MON, 9), patient=PatientFactory(first_name="Ada", last_name="Lovelace"))
    page = client.get(visit_path(appointment)).content.decode()
    assert "Monday 7 December 2026" in page and "08:45" in page and "Riverside Infusion Center" in page
    for private in ("Lovelace", "Tysabri", "natalizumab", appointment.patient.mrn, "Chair 1", "sclerosis"):
        assert private not in page, private
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert 'href="/board/' not in page and "Sign out" not in page


def test_confirm_from_the_email_shows_on_the_board_and_the_appointment(client, clock, center):
    appointment = book(center[0], at(MON, 9))
    assert confirmation_marks([appointment])[appointment.pk].code == "unconfirmed"
    response = client.post(visit_path(appointment))
    assert b"you are confirmed" in response.content
    confirmation = Confirmation.objects.get(appointment=appointment)
    assert confirmation.answer == "confirmed" and confirmation.channel == "email_link"

    staff = UserFactory(is_superuser=True)
    client.force_login(staff)
    board = client.get(reverse("scheduling:board"), {"day": MON.isoformat()}).content.decode()
    assert 'class="confirm-mark confirm-confirmed"' in board and "· Confirmed" in board
    detail = client.get(appointment.get_absolute_url()).content.decode()
    assert 'data-testid="confirmation-status"' in detail and "Confirmed" in detail


def test_a_moved_visit_is_unconfirmed_again(clock, center):
    appointment = book(center[0], at(MON, 9))
    from replies.services.confirm import patient_confirm

    patient_confirm(appointment=appointment)
    appointment_reschedule(appointment=appointment, chair_id=center[1].pk, premed_start=at(MON, 13), user=None)
    appointment.refresh_from_db()
    mark = confirmation_marks([appointment])[appointment.pk]
    assert mark.code == "unconfirmed" and mark.detail == "moved since the patient answered"


def test_cancel_before_the_cut_off_cancels_with_the_reason_and_frees_the_chair(client, clock, center):
    appointment = book(center[0], at(MON, 9))  # Monday; now is Tuesday noon: 6 days ahead
    appointment.reminders.filter(kind="confirmation").update(status="sent", sent_at=clock_now())
    response = client.post(visit_path(appointment, "cancel"), {"reason": "I have a fever"})
    assert response.status_code == 200 and b"Your appointment is cancelled" in response.content
    appointment.refresh_from_db()
    assert appointment.status == S.CANCELLED
    assert appointment.cancel_reason == "Cancelled by the patient from the email link: I have a fever"
    assert Reminder.objects.get(appointment=appointment, kind="cancellation").status == "pending"
    freed = FreedTime.objects.get()
    assert (freed.chair_id, freed.starts_at, freed.ends_at) == (
        center[0].pk,
        appointment.premed_start,
        appointment.observation_end,
    )


@pytest.mark.parametrize(("hours_before", "allowed"), [(48 + 1 / 60, True), (48, False), (47, False), (2, False)])
def test_the_cut_off_is_48_hours_before_then_the_page_gives_the_phone(client, clock, center, hours_before, allowed):
    appointment = book(center[0], at(MON, 9))
    clock.move_to(appointment.premed_start - datetime.timedelta(hours=hours_before))
    page = client.get(visit_path(appointment, "cancel")).content.decode()
    assert ('data-testid="call-to-cancel"' in page) is not allowed
    if not allowed:
        assert "+1 555 010 2000" in page and "less than 48 hours away" in page
    response = client.post(visit_path(appointment, "cancel"), {"reason": "late"})
    appointment.refresh_from_db()
    assert (appointment.status == S.CANCELLED) is allowed
    if not allowed:
        assert response.status_code == 409 and b"too late to cancel online" in response.content


def test_cancel_without_a_reason(client, clock, center):
    appointment = book(center[0], at(MON, 9))
    assert b"Your appointment is cancelled" in client.post(visit_path(appointment, "cancel")).content
    appointment.refresh_from_db()
    assert (
        appointment.status == S.CANCELLED
        and appointment.cancel_reason == "Cancelled by the patient from the email link"
    )


def test_the_cut_off_is_a_setting(client, clock, center, settings):
    settings.PATIENT_CANCEL_CUTOFF_HOURS = 200
    appointment = book(center[0], at(MON, 9))  # 141 hours ahead
    client.post(visit_path(appointment, "cancel"))
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED


def test_ask_for_another_time_lands_in_the_schedulers_queue(client, clock, center, scheduler):
    appointment = book(center[0], at(MON, 9), patient=PatientFactory(last_name="Hopper"))
    response = client.post(visit_path(appointment, "another-time"), {"weekdays": ["1", "3"], "note": "mornings"})
    assert b"Tuesday, Thursday" in response.content
    request = AnotherTimeRequest.objects.get()
    assert request.weekdays == "1,3" and request.note == "mornings"
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED  # kept until a scheduler moves it
    client.force_login(scheduler)
    queue = client.get(reverse("replies:queue")).content.decode()
    assert "Hopper" in queue and "Tuesday, Thursday" in queue and "mornings" in queue
    assert reverse("scheduling:appointment-reschedule", args=[appointment.pk]) in queue
    assert PatientAccess.objects.filter(patient=appointment.patient, user=scheduler).exists()
    client.post(reverse("replies:another-time-handled", args=[request.pk]), {"note": "moved to Thursday"})
    request.refresh_from_db()
    assert request.handled_by == scheduler
    assert 'data-testid="another-time-queue"' not in client.get(reverse("replies:queue")).content.decode()


def test_the_preparation_email_reminds_those_who_have_not_confirmed(clock, center):
    from replies.services.confirm import patient_confirm

    later = book(center[0], at(MON + datetime.timedelta(days=7), 9))  # the preparation is a week before
    preparation = later.reminders.get(kind=Reminder.Kind.PREPARATION)
    text = reminder_message(preparation).body
    assert "You have not confirmed yet" in text and "Yes, I will come: http" in text
    patient_confirm(appointment=later)
    text = reminder_message(preparation).body
    assert "Thank you for confirming" in text and "Yes, I will come" not in text


def test_patients_without_email_or_consent_are_on_the_call_list_until_confirmed(client, clock, center, scheduler):
    no_email = book(center[0], at(MON, 9), patient=PatientFactory(email="", last_name="Noemail"))
    no_consent = book(center[1], at(MON, 9), patient=PatientFactory(reminder_consent=False, last_name="Noconsent"))
    emailed = book(center[2], at(MON, 9), patient=PatientFactory(last_name="Emailed"))
    far = book(center[0], at(MON + datetime.timedelta(days=14), 9), patient=PatientFactory(email="", last_name="Far"))
    assert [row["appointment"] for row in calls_to_confirm()] == [no_email, no_consent]
    assert emailed and far

    client.force_login(scheduler)
    page = client.get(reverse("replies:queue")).content.decode()
    assert "Noemail" in page and "Noconsent" in page and "Emailed" not in page
    prefix = f"call-{no_email.pk}"
    client.post(reverse("replies:call-record", args=[no_email.pk]), {f"{prefix}-outcome": "no_answer"})
    assert CallAttempt.objects.get().outcome == "no_answer"
    assert no_email in [row["appointment"] for row in calls_to_confirm()]  # still to call
    client.post(
        reverse("replies:call-record", args=[no_email.pk]), {f"{prefix}-outcome": "confirmed", f"{prefix}-note": "ok"}
    )
    assert [row["appointment"] for row in calls_to_confirm()] == [no_consent]
    confirmation = Confirmation.objects.get(appointment=no_email)
    assert confirmation.channel == "phone" and confirmation.recorded_by == scheduler
    assert list(no_email.call_attempts.values_list("outcome", flat=True)) == ["confirmed", "no_answer"]

    prefix = f"call-{no_consent.pk}"
    client.post(
        reverse("replies:call-record", args=[no_consent.pk]),
        {f"{prefix}-outcome": "cancelled", f"{prefix}-note": "moving"},
    )
    no_consent.refresh_from_db()
    assert no_consent.status == S.CANCELLED and "phone call" in no_consent.cancel_reason


def test_the_replies_queue_is_for_schedulers_only(client, clock, center, nurse):
    client.force_login(nurse)
    assert client.get(reverse("replies:queue")).status_code == 403
    assert client.get(reverse("replies:waitlist")).status_code == 403


def test_a_course_is_answered_as_a_whole(client, clock, center, scheduler):
    from scheduling.services.booking import dose_book
    from tests.factories import TreatmentPlanFactory, seeded_drug

    def lemtrada_course(chair, **patient):
        plan = TreatmentPlanFactory(drug=seeded_drug("Lemtrada"), start_date=MON, patient=PatientFactory(**patient))
        return dose_book(plan=plan, chair_id=chair.pk, premed_start=at(MON, 8), user=None)

    days = lemtrada_course(center[0])
    assert len(days) == 5
    client.post(visit_path(days[0]))
    assert {m.code for m in confirmation_marks(days).values()} == {"confirmed"}
    client.post(visit_path(days[0], "cancel"), {"reason": "postponed by my neurologist"})
    assert set(Appointment.objects.filter(course_id=days[0].course_id).values_list("status", flat=True)) == {
        S.CANCELLED
    }

    called = lemtrada_course(center[1], email="")
    assert [row["appointment"] for row in calls_to_confirm()] == [called[0]]  # one call for the course
