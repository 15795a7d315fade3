"""The "Needs attention" queue in a real browser: the count in the navigation, the reason, one click to rebook."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from infusion_center import roles
from scheduling.models import Appointment
from scheduling.services.booking import appointment_book, appointment_cancel
from tests.clock import local
from tests.factories import PatientFactory, TreatmentPlanFactory, opening_hours, seeded_drug, staff
from tests.web.helpers import chairs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_scheduler_rebooks_a_flagged_dose_from_the_queue(page, live_server, sign_in, shot, transactional_db):
    opening_hours()
    center = chairs(3)
    scheduler = staff(roles.SCHEDULER, "sam")
    start = timezone.localdate() + datetime.timedelta(days=3)
    plan = TreatmentPlanFactory(
        patient=PatientFactory(last_name="Lovelace"), drug=seeded_drug("Briumvi"), start_date=start
    )
    first = appointment_book(plan=plan, chair_id=center[0].pk, premed_start=local(start, 8), user=scheduler)
    second = appointment_book(
        plan=plan, chair_id=center[0].pk, premed_start=local(start + datetime.timedelta(14), 9), user=scheduler
    )
    appointment_cancel(appointment=first, reason="Patient unwell", user=scheduler)

    sign_in("sam")
    badge = page.locator("#attention-count .badge")
    expect(badge).to_have_text("1")  # loaded after the page
    page.get_by_role("link", name="Needs attention").click()
    row = page.locator(f"#attention-{second.pk}")
    expect(row).to_contain_text("Lovelace")
    expect(row).to_contain_text("next Briumvi dose is Infusion 1: 150 mg, 4 h infusion")
    shot("queue")
    row.get_by_role("link", name="Find a new time").click()
    expect(page.locator("#rebook-as")).to_contain_text("Infusion 1")
    page.get_by_role("button", name="Move here").first.click()
    expect(page.get_by_text("Moved to")).to_be_visible()
    second.refresh_from_db()
    assert second.phase.order == 1 and not second.attention_reason
    page.get_by_role("link", name="Needs attention").click()
    expect(page.get_by_text("Every booked dose still fits")).to_be_visible()
    expect(page.locator("#attention-count .badge")).to_have_count(0)
    assert Appointment.objects.filter(attention_reason="", pk=second.pk).exists()
