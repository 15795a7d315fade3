"""Booking, rebooking and cancelling through the real booking services, delivered by a real worker on Redis."""

import datetime
import os
import time

import pytest
from django.core import mail
from django.utils import timezone

from scheduling.models import Reminder
from scheduling.services.booking import appointment_book, appointment_cancel, appointment_reschedule, dose_book
from tests.factories import (
    ChairFactory,
    OpeningHoursFactory,
    PatientFactory,
    TreatmentPlanFactory,
    UserFactory,
    seeded_drug,
)
from tests.reminders.test_worker import beat, wait_for, worker

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)"),
]

KIND = Reminder.Kind
STATUS = Reminder.Status


@pytest.fixture
def center():
    for weekday in range(7):
        OpeningHoursFactory(weekday=weekday, opens_at=datetime.time(7), closes_at=datetime.time(19))
    return ChairFactory(), ChairFactory()


def local_at(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_the_booking_services_plan_send_replan_and_cancel_the_emails(center, settings):
    settings.REMINDERS_PREPARATION_TIME = (timezone.localtime() + datetime.timedelta(seconds=3)).strftime("%H:%M:%S")
    days = settings.REMINDERS_PREPARATION_DAYS_BEFORE
    user = UserFactory()
    start = timezone.localdate() + datetime.timedelta(days)
    plan = TreatmentPlanFactory(drug=seeded_drug("Ocrevus (IV)"), patient=PatientFactory(), start_date=start)
    with worker(), beat():
        appointment = appointment_book(plan=plan, chair_id=center[0].pk, premed_start=local_at(days, 9), user=user)
        assert wait_for(lambda: len(mail.outbox) == 2)
        # The worker records each send just after the mail backend took it: wait for the records too.
        expected = {KIND.CONFIRMATION: STATUS.SENT, KIND.PREPARATION: STATUS.SENT, KIND.HYDRATION: STATUS.PENDING}
        assert wait_for(lambda: {r.kind: r.status for r in appointment.reminders.all()} == expected)

        moved = appointment_reschedule(
            appointment=appointment, chair_id=center[1].pk, premed_start=local_at(days + 1, 10), user=user
        )
        assert moved.ics_sequence == 1
        assert wait_for(lambda: len(mail.outbox) == 3)
        update = mail.outbox[2]
        assert "has changed" in update.subject and "Please arrive at: 09:45" in update.body  # 15 min to check in
        assert b"SEQUENCE:1" in update.attachments[0].get_payload(decode=True)

        appointment_cancel(appointment=moved, reason="Patient has a fever", user=user)
        assert wait_for(lambda: len(mail.outbox) == 4)
        time.sleep(1.5)
    assert len(mail.outbox) == 4
    assert mail.outbox[3].subject.startswith("Cancelled:")
    assert b"METHOD:CANCEL" in mail.outbox[3].attachments[0].get_payload(decode=True)


def test_a_course_booked_through_the_service_is_confirmed_in_one_email(center, settings):
    user = UserFactory()
    start = timezone.localdate() + datetime.timedelta(10)
    plan = TreatmentPlanFactory(drug=seeded_drug("Lemtrada"), patient=PatientFactory(), start_date=start)
    with worker(), beat():
        days = dose_book(plan=plan, chair_id=center[0].pk, premed_start=local_at(10, 8), user=user)
        assert len(days) == 5
        assert wait_for(lambda: len(mail.outbox) == 1)
        time.sleep(1.5)
    assert len(mail.outbox) == 1
    assert len(mail.outbox[0].attachments) == 5
    assert "given on 5 days in a row" in mail.outbox[0].body
