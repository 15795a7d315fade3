"""Hostile values that are stored come back escaped on every page that shows them; a refused course leaves nothing."""

from __future__ import annotations

import datetime
import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from infusion_center import roles
from patients.models import Patient
from scheduling.models import Appointment, Reminder
from scheduling.services import booking
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, TreatmentPlanFactory, opening_hours, seeded_drug, staff
from tests.web.helpers import chairs

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


@pytest.mark.django_db
def test_a_patient_named_with_markup_is_shown_escaped_on_the_patient_page_list_and_board():
    opening_hours()
    chair = chairs(1)[0]
    client = Client(raise_request_exception=False)
    client.force_login(staff(roles.MANAGER, "max", is_superuser=True))
    response = client.post(
        reverse("patients:patient-create"),
        {
            "mrn": "MRN-X1",
            "first_name": SCRIPT,
            "last_name": IMG,
            "date_of_birth": "1980-01-01",
            "sex": "F",
            "ms_type": "RRMS",
            "allergies": SCRIPT,
            "notes": IMG,
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "5",
            "contacts-0-name": SCRIPT,
            "contacts-0-relationship": IMG,
            "contacts-0-phone": "+1 555 010 0000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    patient = Patient.objects.get(mrn="MRN-X1")
    assert patient.first_name == SCRIPT and patient.last_name == IMG  # stored as typed
    plan = TreatmentPlanFactory(patient=patient)
    today = timezone.localdate()
    AppointmentFactory(ocrevus_maintenance=True, chair=chair, premed_start=local(today, 9), plan=plan)
    pages = {
        "patient": reverse("patients:patient-detail", args=[patient.pk]),
        "list": reverse("patients:patient-list"),
        "search": reverse("patients:patient-list") + "?q=%3Cscript",
        "board": reverse("scheduling:board") + f"?day={today.isoformat()}",
        "edit": reverse("patients:patient-edit", args=[patient.pk]),
    }
    for name, url in pages.items():
        body = client.get(url).content.decode()
        assert SCRIPT not in body and IMG not in body, name
        assert html.escape(SCRIPT) in body or "&lt;script&gt;alert(1)&lt;/script&gt;" in body, name


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_course_refused_by_the_database_on_its_third_day_leaves_no_day_written(monkeypatch):
    """The engine's check is bypassed so that the exclusion constraint refuses day 3 after days 1-2 were inserted:
    the whole course rolls back, reminders included."""
    opening_hours(nurses_on_duty=10)
    chair = chairs(1)[0]
    user = staff(roles.SCHEDULER, "sam")
    start = timezone.localdate() + datetime.timedelta(days=14)
    plan = TreatmentPlanFactory(drug=seeded_drug("Lemtrada"), start_date=start, patient=PatientFactory())
    slot = booking.slots_find(plan=plan, chair_id=chair.pk, date_from=start, date_to=start + datetime.timedelta(7))[0]
    day3 = timezone.localtime(slot.premed_start).date() + datetime.timedelta(days=2)
    blocker = AppointmentFactory(
        ocrevus_maintenance=True, chair=chair, premed_start=local(day3, timezone.localtime(slot.premed_start).hour)
    )
    before = (Appointment.objects.count(), Reminder.objects.count())
    monkeypatch.setattr("scheduling.services.booking._check_times", lambda center, candidates: None)
    with pytest.raises(booking.BookingError, match="already booked"):
        booking.dose_book(plan=plan, chair_id=chair.pk, premed_start=slot.premed_start, user=user)
    assert (Appointment.objects.count(), Reminder.objects.count()) == before
    assert not Appointment.objects.filter(plan=plan).exists()
    assert list(Appointment.objects.values_list("pk", flat=True)) == [blocker.pk]
