"""Cancelling a whole multi-day course: every day still to come, one reason, one email listing the days."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment, Reminder
from scheduling.reminders.emails import reminder_message
from scheduling.services import booking, courses
from tests.factories import PatientFactory, TreatmentPlanFactory, seeded_drug
from tests.web.helpers import local

pytestmark = pytest.mark.django_db
S = Appointment.Status
KIND, STATUS = Reminder.Kind, Reminder.Status


@pytest.fixture
def course(center, scheduler):
    patient = PatientFactory(first_name="Sofia", last_name="Doyle", email="sofia@example.com", reminder_consent=True)
    plan = TreatmentPlanFactory(
        patient=patient,
        drug=seeded_drug("IV methylprednisolone (relapse)"),
        course_days=3,
        start_date=timezone.localdate() + datetime.timedelta(days=5),
    )
    days = booking.dose_book(plan=plan, chair_id=center[0].pk, premed_start=local(plan.start_date, 9), user=scheduler)
    # the patient was told of the course (the confirmation went out)
    Reminder.objects.filter(appointment=days[0], kind=KIND.CONFIRMATION).update(
        status=STATUS.SENT, sent_at=timezone.now()
    )
    return days


def test_course_cancel_cancels_every_day_with_one_email(course, scheduler):
    cancelled = courses.course_cancel(appointment=course[1], reason="Relapse resolved", user=scheduler)
    assert [a.pk for a in cancelled] == [a.pk for a in course]
    for day in Appointment.objects.filter(pk__in=[a.pk for a in course]):
        assert day.status == S.CANCELLED and day.cancel_reason == "Relapse resolved"
        assert day.history.first().history_change_reason == "Course cancelled (3 days): Relapse resolved"
        assert not day.reminders.filter(status=STATUS.PENDING).exclude(kind=KIND.CANCELLATION).exists()
    to_send = Reminder.objects.filter(appointment__in=course, kind=KIND.CANCELLATION, status=STATUS.PENDING)
    assert to_send.count() == 1
    message = reminder_message(to_send.get())
    assert "Your treatment course" in message.body and message.body.count("  Day ") == 3
    assert len(message.attachments) == 3
    assert all(b"METHOD:CANCEL" in part.get_payload(decode=True) for part in message.attachments)


def test_days_already_given_stay_and_a_single_day_cancel_stays_single(course, scheduler):
    first = course[0]
    first.status = S.COMPLETED
    first.save()
    booking.appointment_cancel(appointment=course[2], reason="Only two days needed", user=scheduler)
    message = reminder_message(Reminder.objects.get(appointment=course[2], kind=KIND.CANCELLATION))
    assert "Your appointment at" in message.body and len(message.attachments) == 1
    (day,) = courses.course_cancel(appointment=course[1], reason="Stopped", user=scheduler)
    assert day.pk == course[1].pk
    assert Appointment.objects.get(pk=first.pk).status == S.COMPLETED
    with pytest.raises(booking.BookingError, match="No day of this course"):
        courses.course_cancel(appointment=course[1], reason="again", user=scheduler)


def test_course_cancel_from_the_cancel_page(client, course, scheduler):
    client.force_login(scheduler)
    url = reverse("scheduling:appointment-cancel", args=[course[0].pk])
    html = client.get(url).content.decode()
    assert "Cancel every remaining day of the course" in html and "Day 3:" in html
    assert client.post(url, {"reason": "", "whole_course": "on"}).status_code == 400
    assert Appointment.objects.filter(pk__in=[a.pk for a in course], status=S.SCHEDULED).count() == 3
    response = client.post(url, {"reason": "Patient moved away", "whole_course": "on"}, follow=True)
    assert "The 3 remaining days of Sofia Doyle&#x27;s course are cancelled." in response.content.decode()
    assert Appointment.objects.filter(pk__in=[a.pk for a in course], status=S.CANCELLED).count() == 3
