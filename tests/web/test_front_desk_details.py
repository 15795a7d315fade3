"""Small front-desk needs: the audit names linked records, a reschedule keeps from/to and its reason,
allergies one per line, the patient's address and notes on the patient page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.history import change_entries, change_history
from patients.templatetags.patient_tags import one_per_line
from scheduling.models import Appointment
from scheduling.services import booking
from tests.clock import local
from tests.factories import AppointmentFactory, ChairFactory, PatientFactory, TreatmentPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sofia():
    return PatientFactory(
        first_name="Sofia",
        last_name="Doyle",
        address="14 Harbor Road\nSpringfield",
        notes="Prefers the window chair.",
        allergies="Penicillin (rash, hives); Latex\nShellfish",
    )


def test_audit_names_linked_records_and_shows_a_move_with_its_reason(client, manager, scheduler, sofia, center):
    chair_7 = ChairFactory(name="Chair 7")
    plan = TreatmentPlanFactory(patient=sofia, start_date=timezone.localdate() + datetime.timedelta(days=3))
    slot = booking.slots_find(plan=plan, limit=1)[0]
    (appointment,) = booking.dose_book(
        plan=plan, chair_id=slot.chair_id, premed_start=slot.premed_start, user=scheduler
    )
    later = slot.premed_start + datetime.timedelta(days=1)
    booking.appointment_reschedule(
        appointment=appointment, chair_id=chair_7.pk, premed_start=later, user=scheduler, reason="Patient asked"
    )
    entries = change_entries(list(change_history(patient_id=sofia.pk)[:20]))
    moved = next(e for e in entries if e.reason.startswith("Rescheduled"))
    old_chair = appointment.chair.name
    assert moved.reason == (
        f"Rescheduled from {_day_month_time(slot.premed_start)} ({old_chair}) to "
        f"{_day_month_time(later)} (Chair 7): Patient asked"
    )
    changes = {c.label: (c.old, c.new) for c in moved.changes}
    assert changes["chair"] == (old_chair, "Chair 7")
    assert changes["reschedule reason"] == ("—", "Patient asked")
    booked = next(e for e in entries if e.kind == "Created" and e.model_name == "Appointment")
    created = {c.label: c.new for c in booked.changes}
    assert created["patient"] == "Sofia Doyle" and "#" not in created["plan"]
    assert booked.object_name.startswith("Sofia Doyle, Ocrevus (IV)")

    client.force_login(manager)
    html = client.get(reverse("audit:changes")).content.decode()
    assert "<del>" + old_chair + "</del> → Chair 7" in html
    assert f"#{chair_7.pk}" not in html

    client.force_login(scheduler)
    page = client.get(appointment.get_absolute_url()).content.decode()
    assert "Last moved" in page and "Patient asked" in page and "(Chair 7): Patient asked" in page


def test_reschedule_reason_comes_from_the_page(client, scheduler, sofia, center):
    plan = TreatmentPlanFactory(patient=sofia, start_date=timezone.localdate() + datetime.timedelta(days=3))
    slot = booking.slots_find(plan=plan, limit=1)[0]
    (appointment,) = booking.dose_book(
        plan=plan, chair_id=slot.chair_id, premed_start=slot.premed_start, user=scheduler
    )
    client.force_login(scheduler)
    url = reverse("scheduling:appointment-reschedule", args=[appointment.pk])
    assert "Reason for the move" in client.get(url).content.decode()
    target = slot.premed_start + datetime.timedelta(days=1)
    response = client.post(url, {"chair_id": slot.chair_id, "premed_start": target.isoformat(), "reason": "Work shift"})
    assert response.status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).reschedule_reason == "Work shift"


def test_allergies_one_per_line_on_the_appointment_page(client, nurse, sofia, center):
    assert one_per_line("Penicillin (rash, hives); Latex\nShellfish, Codeine") == [
        "Penicillin (rash, hives)",
        "Latex",
        "Shellfish",
        "Codeine",
    ]
    assert one_per_line("") == []
    appointment = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(timezone.localdate(), 9),
        plan=TreatmentPlanFactory(patient=sofia),
    )
    client.force_login(nurse)
    html = client.get(appointment.get_absolute_url()).content.decode()
    assert (
        '<ul class="list-unstyled mb-0 allergy-list"><li>Penicillin (rash, hives)</li><li>Latex</li>'
        "<li>Shellfish</li></ul>" in html
    )


def test_patient_page_shows_address_and_notes(client, scheduler, sofia):
    client.force_login(scheduler)
    html = client.get(sofia.get_absolute_url()).content.decode()
    assert "<dt>Address</dt><dd>14 Harbor Road<br>Springfield</dd>" in html
    assert "<dt>Notes</dt><dd>Prefers the window chair.</dd>" in html


def _day_month_time(moment) -> str:
    """4 Dec 07:00: the day without a leading zero, the time in 24 hours."""
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %H:%M}"
