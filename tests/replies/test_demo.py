"""The demo center shows the patient replies in a realistic state."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from replies.models import AfterVisitAnswer, AnotherTimeRequest, WaitlistEntry
from replies.selectors import calls_to_confirm, confirmation_marks, follow_up_queue
from replies.services import waitlist
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def test_the_demo_has_unconfirmed_bookings_a_symptom_report_and_a_waitlisted_patient(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("demo_center", "--password", "demo-password-123456", stdout=io.StringIO())
    booked = Appointment.objects.filter(status="scheduled")
    marks = [m.code for m in confirmation_marks(booked).values()]
    assert marks.count("unconfirmed") >= 3 and marks.count("confirmed") >= 3
    assert calls_to_confirm()
    assert AnotherTimeRequest.objects.filter(handled_at__isnull=True).exists()
    assert AfterVisitAnswer.objects.filter(answer="symptoms", closed_at__isnull=True).exists()
    assert any(item.kind in ("symptoms", "urgent") for item in follow_up_queue())
    assert WaitlistEntry.objects.filter(status="waiting").exists()
    assert any(waitlist.candidates(freed) for freed in waitlist.open_freed_times())
    call_command("demo_center", "--reset", "--password", "demo-password-123456", stdout=io.StringIO())
    assert WaitlistEntry.objects.filter(status="waiting").count() >= 1
