"""Cases 2, 6, 7 and 8 through the pages, the "Needs attention" queue, and doses given elsewhere."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from scheduling.models import Appointment, Chair, Closure, NurseStaffing, OutsideDose, RegimenPhase
from scheduling.services.booking import appointment_book, appointment_cancel
from tests.clock import local
from tests.factories import staff
from tests.foundation.test_admin import _form_data
from tests.scheduling.conftest import MON, give_mitoxantrone_doses

pytestmark = pytest.mark.usefixtures("frozen", "clinic", "drugs_outside_the_pharmacy")


def _fresh(appointment):
    return Appointment.objects.get(pk=appointment.pk)


def _offers(page) -> list[tuple[str, str]]:
    html = page.content.decode()
    return re.findall(
        r'name="chair_id" value="(\d+)">\s*<input type="hidden" name="premed_start" value="([^"]+)"', html
    )


# Case 2 ----------------------------------------------------------------------------------------------------


def test_2_cancel_flag_queue_refused_start_and_rebook_through_the_pages(
    client, make_plan, clinic, user, scheduler, nurse
):
    plan = make_plan("Briumvi")
    first = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON, 8), user=user)
    second = appointment_book(
        plan=plan, chair_id=clinic[0].pk, premed_start=local(MON + datetime.timedelta(14), 9), user=user
    )
    client.force_login(scheduler)
    response = client.post(reverse("scheduling:appointment-cancel", args=[first.pk]), {"reason": "Patient unwell"})
    assert response.status_code == 302

    queue = client.get(reverse("scheduling:attention"))
    html = queue.content.decode()
    assert queue.status_code == 200 and f'id="attention-{second.pk}"' in html
    assert "the patient&#x27;s next Briumvi dose is Infusion 1: 150 mg, 4 h infusion" in html
    assert "must be rebooked" in html and "Accept after review" not in html
    assert reverse("scheduling:appointment-reschedule", args=[second.pk]) in html
    detail = client.get(second.get_absolute_url()).content.decode()
    assert 'id="needs-attention"' in detail and "Find a new time" in detail
    badge = client.get(reverse("scheduling:attention-count")).content.decode()
    assert ">1</span>" in badge
    assert reverse("scheduling:attention-count") in client.get(reverse("scheduling:board")).content.decode()

    client.force_login(scheduler)
    page = client.get(reverse("scheduling:appointment-reschedule", args=[second.pk]))
    html = page.content.decode()
    assert 'id="attention-reason"' in html and "Rebooked as: <strong>Infusion 1</strong>, 150 mg" in html
    chair_id, start = _offers(page)[0]
    moved = client.post(
        reverse("scheduling:appointment-reschedule", args=[second.pk]), {"chair_id": chair_id, "premed_start": start}
    )
    assert moved.status_code == 302
    second = _fresh(second)
    assert second.phase.order == 1 and second.dose_mg == Decimal("150") and not second.attention_reason
    assert f'id="attention-{second.pk}"' not in client.get(reverse("scheduling:attention")).content.decode()


def test_2_the_nurse_cannot_start_the_flagged_infusion_2_from_the_page(client, make_plan, clinic, user, nurse):
    plan = make_plan("Briumvi")
    first = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON, 8), user=user)
    second = appointment_book(
        plan=plan, chair_id=clinic[0].pk, premed_start=local(MON + datetime.timedelta(14), 9), user=user
    )
    appointment_cancel(appointment=first, reason="Patient unwell", user=user)
    with time_machine.travel(local(MON + datetime.timedelta(14), 9, 5), tick=False):
        client.force_login(nurse)  # a session of that day
        check_in = {"at": "2026-12-21T09:05"}
        assert client.post(reverse("scheduling:visit-step", args=[second.pk, "check-in"]), check_in).status_code == 302
        refused = client.post(reverse("scheduling:visit-start", args=[second.pk]))
    assert refused.status_code == 409
    assert "the dose due is Briumvi Infusion 1: 150 mg, 4 h infusion" in refused.content.decode()
    assert _fresh(second).status == "checked_in"


# Case 6 ----------------------------------------------------------------------------------------------------


def test_6_a_drug_admin_lengthening_observation_in_admin_updates_and_flags_bookings(
    client, make_plan, clinic, user, drug_admin
):
    early = appointment_book(plan=make_plan("Tysabri"), chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    late = appointment_book(plan=make_plan("Tysabri"), chair_id=clinic[1].pk, premed_start=local(MON, 17), user=user)
    phase = RegimenPhase.objects.get(drug__name="Tysabri")
    client.force_login(drug_admin)
    url = reverse("admin:scheduling_regimenphase_change", args=[phase.pk])
    data = _form_data(client.get(url))
    data["observation_minutes"] = "90"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert _fresh(early).chair_minutes == 150 and not _fresh(early).attention_reason
    late = _fresh(late)
    assert late.needs_attention and "outside opening hours" in late.attention_reason
    assert "1 booking now needs attention" in client.get(response.url).content.decode()


# Case 7 ----------------------------------------------------------------------------------------------------


def test_7_a_closure_shows_the_count_it_flags_before_it_is_saved(client, make_plan, clinic, user, manager):
    booked = appointment_book(plan=make_plan(), chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    client.force_login(manager)
    data = {"chair": "", "starts_on": MON.isoformat(), "ends_on": MON.isoformat(), "reason": "Power cut"}
    preview = client.post(reverse("scheduling:closure-create"), data)
    html = preview.content.decode()
    assert preview.status_code == 200 and "Saving this flags 1 booking as needing attention" in html
    assert "Save and flag 1 booking" in html and 'name="confirm_flags" value="yes"' in html
    assert not Closure.objects.exists() and not _fresh(booked).attention_reason  # nothing saved yet
    saved = client.post(reverse("scheduling:closure-create"), {**data, "confirm_flags": "yes"}, follow=True)
    assert Closure.objects.count() == 1 and "1 booking now needs attention." in saved.content.decode()
    assert _fresh(booked).needs_attention


def test_7_an_inactive_chair_keeps_its_bookings_on_the_board_marked(client, make_plan, clinic, user, manager):
    booked = appointment_book(plan=make_plan(), chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    client.force_login(manager)
    url = reverse("scheduling:chair-edit", args=[clinic[0].pk])
    data = {"name": clinic[0].name, "position": clinic[0].position, "notes": ""}  # is_active unticked
    preview = client.post(url, data)
    assert "Saving this flags 1 booking" in preview.content.decode()
    assert Chair.objects.get(pk=clinic[0].pk).is_active
    assert client.post(url, {**data, "confirm_flags": "yes"}).status_code == 302
    assert not Chair.objects.get(pk=clinic[0].pk).is_active and _fresh(booked).needs_attention
    board = client.get(reverse("scheduling:board"), {"day": MON.isoformat()}).content.decode()
    assert "Closed: Out of service" in board and "needs-attention" in board and 'aria-label="Needs attention"' in board
    assert f'href="/appointments/{booked.pk}/"' in board


def test_7_staffing_cut_to_zero_flags_after_the_confirm_step(client, make_plan, clinic, user, manager):
    booked = appointment_book(plan=make_plan(), chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    client.force_login(manager)
    data = {
        "date": MON.isoformat(),
        "nurses_on_duty": "0",
        "setup_minutes": "15",
        "patients_per_nurse": "4",
        "notes": "",
    }
    assert "Saving this flags 1 booking" in client.post(reverse("scheduling:staffing-create"), data).content.decode()
    assert not NurseStaffing.objects.exists()
    assert client.post(reverse("scheduling:staffing-create"), {**data, "confirm_flags": "yes"}).status_code == 302
    assert "No nurses are on duty on 7 Dec 2026." in _fresh(booked).attention_reason


def test_7_a_change_that_flags_nothing_saves_at_once(client, clinic, manager):
    client.force_login(manager)
    data = {"chair": "", "starts_on": MON.isoformat(), "ends_on": MON.isoformat(), "reason": "Training"}
    assert client.post(reverse("scheduling:closure-create"), data).status_code == 302
    assert Closure.objects.count() == 1


def test_accept_after_review_only_for_a_capacity_overload(client, make_plan, clinic, user, scheduler, nurse):
    bookings = [
        appointment_book(plan=make_plan(), chair_id=clinic[i].pk, premed_start=local(MON, 9, 15 * i), user=user)
        for i in range(3)
    ]
    NurseStaffing.objects.create(date=MON, nurses_on_duty=1, patients_per_nurse=2)
    flagged = next(b for b in map(_fresh, bookings) if b.needs_attention)
    client.force_login(nurse)
    assert client.post(reverse("scheduling:attention-accept", args=[flagged.pk])).status_code == 403
    client.force_login(scheduler)
    queue = client.get(reverse("scheduling:attention")).content.decode()
    assert "Accept after review" in queue and "may be accepted after review" in queue
    response = client.post(reverse("scheduling:attention-accept", args=[flagged.pk]), follow=True)
    assert "Accepted after review" in response.content.decode()
    flagged = _fresh(flagged)
    assert flagged.attention_accepted_by == scheduler and not flagged.needs_attention


# Case 8 ----------------------------------------------------------------------------------------------------


def test_8_the_reschedule_page_offers_only_bookable_times_never_the_current_one(
    client, make_plan, clinic, user, scheduler
):
    plan = make_plan("Ocrevus (IV)")
    first = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON + datetime.timedelta(14), 9), user=user)
    client.force_login(scheduler)
    page = client.get(reverse("scheduling:appointment-reschedule", args=[first.pk]))
    offers = _offers(page)
    assert offers and all(start.startswith(MON.isoformat()) for _chair, start in offers)
    assert (str(first.chair_id), first.premed_start.astimezone(local(MON, 9).tzinfo).isoformat()) not in offers
    same = client.post(
        reverse("scheduling:appointment-reschedule", args=[first.pk]),
        {"chair_id": first.chair_id, "premed_start": local(MON, 9).isoformat()},
    )
    assert same.status_code == 409 and "current time" in same.content.decode()
    later = client.get(
        reverse("scheduling:appointment-reschedule", args=[first.pk]),
        {"date_from": (MON + datetime.timedelta(2)).isoformat(), "date_to": (MON + datetime.timedelta(5)).isoformat()},
    )
    assert _offers(later) == [] and "would then be too early" in later.content.decode()


def test_8_mitoxantrone_past_the_lifetime_limit_shows_no_book_buttons(client, make_plan, clinic, scheduler):
    plan = make_plan("Mitoxantrone", start=datetime.date(2024, 1, 1))
    give_mitoxantrone_doses(plan, clinic[1], 11)
    client.force_login(scheduler)
    page = client.get(reverse("scheduling:plan-find", args=[plan.pk]))
    html = page.content.decode()
    assert "Book this time" not in html and 'id="nothing-fits"' in html
    assert "Mitoxantrone lifetime limit: 132 mg/m² given plus this dose of 12 mg/m² would exceed 140 mg/m²." in html


def test_8_nothing_fits_before_the_window_names_the_date_and_the_rule(client, make_plan, clinic, user, scheduler):
    plan = make_plan("Ocrevus (IV)")
    appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    client.force_login(scheduler)
    page = client.get(
        reverse("scheduling:plan-find", args=[plan.pk]),
        {"date_from": MON.isoformat(), "date_to": (MON + datetime.timedelta(3)).isoformat()},
    )
    assert "Ocrevus (IV) 300 mg cannot be given before 21 Dec 2026" in page.content.decode()


# Doses given elsewhere --------------------------------------------------------------------------------------


def test_a_nurse_records_a_dose_given_elsewhere_and_the_bookings_follow(
    client, make_plan, clinic, user, nurse, scheduler
):
    plan = make_plan("Tysabri")
    booked = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    phase = RegimenPhase.objects.get(drug__name="Tysabri")
    url = reverse("scheduling:outside-dose-create", args=[plan.patient.pk])
    client.force_login(scheduler)
    assert client.get(url).status_code == 403
    client.force_login(nurse)
    assert client.get(url).status_code == 200
    data = {
        "drug": plan.drug.pk, "phase": phase.pk, "given_on": "2026-11-20", "days": "1", "dose_mg": "300",
        "dose_mg_per_m2": "", "source": "Previous center, letter of 20 Nov 2026",
    }  # fmt: skip
    future = client.post(url, {**data, "given_on": "2026-12-05"})
    assert future.status_code == 400 and "cannot be after today" in future.content.decode()
    wrong = client.post(url, {**data, "phase": RegimenPhase.objects.get(drug__name="Lemtrada", order=1).pk})
    assert wrong.status_code == 400 and "Choose a step of the Tysabri regimen." in wrong.content.decode()
    assert client.post(url, data).status_code == 302
    record = OutsideDose.objects.get()
    assert record.recorded_by == nurse and record.history.count() == 1
    booked = _fresh(booked)
    # given 20 Nov elsewhere: the dose booked for 7 Dec is now infusion 2 and too early (at least 24 days apart)
    assert booked.needs_attention and "doses must be at least 24 days apart" in booked.attention_reason
    patient_page = client.get(plan.patient.get_absolute_url()).content.decode()
    assert "Previous center, letter of 20 Nov 2026" in patient_page and "Needs attention" in patient_page


def test_the_queue_needs_the_view_permission(client, db):
    outsider = staff(None, "otto")
    client.force_login(outsider)
    assert client.get(reverse("scheduling:attention")).status_code == 403
    assert client.get(reverse("scheduling:attention-count")).status_code == 403
    client.logout()
    assert client.get(reverse("scheduling:attention")).status_code == 302
