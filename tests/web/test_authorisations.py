"""Insurance authorisations: the rule, booking (warn, or block with the setting), the readiness light, the
front-desk list with its count in the navigation, and the forms with their permissions."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from authorisations.models import Authorisation
from authorisations.selectors import expiring_authorisations, front_desk_count, uncovered_doses
from scheduling.engine.authorisation import AuthorisationSpec, DoseSpec, allocate
from scheduling.models import Appointment
from scheduling.selectors.readiness import readiness_for_appointments
from scheduling.services import booking
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, ScreeningFactory, TreatmentPlanFactory, seeded_drug

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 1)


def _auth(id, start, end, units, unit="doses", number=None):
    return AuthorisationSpec(id, number or f"PA-{id}", "Aetna", start, end, Decimal(units), unit)


def _dose(key, day, mg="300"):
    return DoseSpec(key, day, local(day, 9), Decimal(mg))


# -- the rule ------------------------------------------------------------------------------------------------------


def test_dose_inside_dates_and_units_is_covered():
    authorisation = _auth(1, TODAY, TODAY + datetime.timedelta(days=90), 3)
    coverage = allocate("Tysabri", needs_authorisation=True, authorisations=[authorisation], doses=[_dose("a", TODAY)])
    assert coverage["a"].authorisation_id == 1 and coverage["a"].problem == ""


def test_dose_outside_the_dates_names_the_authorisations_on_record():
    authorisation = _auth(1, TODAY, TODAY + datetime.timedelta(days=30), 3, number="PA-778")
    late = TODAY + datetime.timedelta(days=31)
    coverage = allocate("Tysabri", needs_authorisation=True, authorisations=[authorisation], doses=[_dose("a", late)])
    assert coverage["a"].authorisation_id is None
    assert "No insurance authorisation covers 1 Jan 2027" in coverage["a"].problem and "PA-778" in coverage["a"].problem


def test_units_in_doses_are_taken_by_the_earlier_doses_first():
    authorisation = _auth(1, TODAY, TODAY + datetime.timedelta(days=90), 2)
    doses = [_dose(k, TODAY + datetime.timedelta(days=28 * i)) for i, k in enumerate("cab")]  # keys out of order
    coverage = allocate("Tysabri", needs_authorisation=True, authorisations=[authorisation], doses=doses)
    assert coverage["c"].problem == "" and coverage["a"].problem == ""
    assert "beyond the units authorised" in coverage["b"].problem and "2 doses authorised" in coverage["b"].problem


def test_units_in_mg_sum_the_doses():
    authorisation = _auth(1, TODAY, TODAY + datetime.timedelta(days=200), 900, unit="mg")
    doses = [_dose("first", TODAY, "600"), _dose("second", TODAY + datetime.timedelta(days=180), "600")]
    coverage = allocate("Ocrevus", needs_authorisation=True, authorisations=[authorisation], doses=doses)
    assert coverage["first"].problem == ""
    assert "900 mg authorised" in coverage["second"].problem


def test_the_authorisation_ending_first_is_used_first_then_the_renewal():
    old = _auth(1, TODAY, TODAY + datetime.timedelta(days=60), 1)
    renewal = _auth(2, TODAY + datetime.timedelta(days=20), TODAY + datetime.timedelta(days=400), 6)
    doses = [_dose("a", TODAY + datetime.timedelta(days=28)), _dose("b", TODAY + datetime.timedelta(days=56))]
    coverage = allocate("Tysabri", needs_authorisation=True, authorisations=[renewal, old], doses=doses)
    assert coverage["a"].authorisation_id == 1 and coverage["b"].authorisation_id == 2


def test_a_drug_that_needs_no_authorisation_is_fine_without_one():
    coverage = allocate("Solu-Medrol", needs_authorisation=False, authorisations=[], doses=[_dose("a", TODAY)])
    assert coverage["a"].problem == ""
    coverage = allocate("Tysabri", needs_authorisation=True, authorisations=[], doses=[_dose("a", TODAY)])
    assert "needs a prior authorisation and none is recorded" in coverage["a"].problem


# -- booking and readiness ----------------------------------------------------------------------------------------


@pytest.fixture
def tysabri(center):
    drug = seeded_drug("Tysabri")
    drug.needs_prior_authorisation = True
    drug.save()
    patient = PatientFactory(first_name="Sofia", last_name="Doyle")
    ScreeningFactory(patient=patient, kind="jcv", result="negative", taken_on=timezone.localdate())
    ScreeningFactory(patient=patient, kind="rems", result="authorised", taken_on=timezone.localdate())
    return TreatmentPlanFactory(
        patient=patient, drug=drug, start_date=timezone.localdate() + datetime.timedelta(days=3)
    )


def _authorise(plan, *, start, end, units=1, unit="doses", number="PA-1"):
    return Authorisation.objects.create(
        plan=plan,
        payer="Blue Shield PPO",
        member_id="XEH-5512",
        number=number,
        valid_from=start,
        valid_to=end,
        units_authorised=Decimal(units),
        unit=unit,
    )


def _first_slot(plan):
    slots = booking.slots_find(plan=plan, limit=1)
    assert slots
    return slots[0]


def test_booking_outside_the_dates_warns_and_shows_amber(client, scheduler, tysabri):
    slot = _first_slot(tysabri)
    day = timezone.localtime(slot.premed_start).date()
    _authorise(tysabri, start=day - datetime.timedelta(days=30), end=day - datetime.timedelta(days=1))
    client.force_login(scheduler)
    response = client.post(
        reverse("scheduling:plan-book", args=[tysabri.pk]),
        {"chair_id": slot.chair_id, "premed_start": slot.premed_start.isoformat()},
        follow=True,
    )
    appointment = Appointment.objects.get(plan=tysabri)  # booked all the same
    html = response.content.decode()
    assert "Authorisation: No insurance authorisation covers" in html
    readiness = readiness_for_appointments([appointment])[appointment.pk]
    assert readiness.status == "warnings"
    assert any("No insurance authorisation covers" in w for w in readiness.warnings)
    assert not readiness.blocking


def test_with_the_setting_booking_outside_the_dates_is_refused(client, scheduler, tysabri, settings):
    settings.AUTHORISATIONS_BLOCK_BOOKING = True
    slot = _first_slot(tysabri)
    day = timezone.localtime(slot.premed_start).date()
    _authorise(tysabri, start=day + datetime.timedelta(days=1), end=day + datetime.timedelta(days=60))
    client.force_login(scheduler)
    response = client.post(
        reverse("scheduling:plan-book", args=[tysabri.pk]),
        {"chair_id": slot.chair_id, "premed_start": slot.premed_start.isoformat()},
    )
    assert response.status_code == 409
    assert "No insurance authorisation covers" in response.content.decode()
    assert not Appointment.objects.filter(plan=tysabri).exists()


def test_units_beyond_the_authorisation_warn_then_block_with_the_setting(scheduler, tysabri, settings):
    today = timezone.localdate()
    _authorise(tysabri, start=today, end=today + datetime.timedelta(days=365), units=1)
    # the other checks of natalizumab clear for both doses, so only the authorisation can turn a dose amber
    ScreeningFactory(patient=tysabri.patient, kind="mri", result="no_concerns", taken_on=today)
    ScreeningFactory(
        patient=tysabri.patient, kind="preinfusion_questions", result="no_concerns", taken_on=today, valid_days=365
    )
    first, second = booking.maintenance_book(plan=tysabri, count=2, user=scheduler)
    readiness = readiness_for_appointments([first, second])
    assert readiness[first.pk].status == "ready"
    assert readiness[second.pk].status == "warnings"
    assert any("beyond the units authorised" in w for w in readiness[second.pk].warnings)

    settings.AUTHORISATIONS_BLOCK_BOOKING = True
    assert readiness_for_appointments([second])[second.pk].status == "blocked"  # red once the center blocks
    booking.appointment_cancel(appointment=second, reason="re-book", user=scheduler)
    with pytest.raises(booking.BookingError, match="beyond the units authorised"):
        booking.maintenance_book(plan=tysabri, count=2, user=scheduler)
    assert Appointment.objects.filter(plan=tysabri, status="scheduled").count() == 1  # all or none


def test_with_the_setting_a_move_outside_the_dates_is_refused(scheduler, tysabri, settings):
    slot = _first_slot(tysabri)
    day = timezone.localtime(slot.premed_start).date()
    _authorise(tysabri, start=day, end=day)
    (appointment,) = booking.dose_book(
        plan=tysabri, chair_id=slot.chair_id, premed_start=slot.premed_start, user=scheduler
    )
    settings.AUTHORISATIONS_BLOCK_BOOKING = True
    later = slot.premed_start + datetime.timedelta(days=1)
    with pytest.raises(booking.BookingError, match="No insurance authorisation covers"):
        booking.appointment_reschedule(
            appointment=appointment, chair_id=slot.chair_id, premed_start=later, user=scheduler
        )


# -- the front desk --------------------------------------------------------------------------------------------------


def test_front_desk_list_and_navigation_count(client, scheduler, center, settings):
    settings.AUTHORISATIONS_EXPIRY_WARNING_DAYS = 20
    drug = seeded_drug("Ocrevus (IV)")
    drug.needs_prior_authorisation = True
    drug.save()
    today = timezone.localdate()
    expiring_plan = TreatmentPlanFactory(patient=PatientFactory(last_name="Ending"))
    _authorise(expiring_plan, start=today - datetime.timedelta(days=100), end=today + datetime.timedelta(days=10))
    renewed_plan = TreatmentPlanFactory(patient=PatientFactory(last_name="Renewed"))
    _authorise(renewed_plan, start=today - datetime.timedelta(days=100), end=today + datetime.timedelta(days=5))
    _authorise(renewed_plan, start=today + datetime.timedelta(days=6), end=today + datetime.timedelta(days=300))
    far_plan = TreatmentPlanFactory(patient=PatientFactory(last_name="Far"))
    _authorise(far_plan, start=today, end=today + datetime.timedelta(days=21))
    uncovered_plan = TreatmentPlanFactory(patient=PatientFactory(first_name="Sofia", last_name="Uncovered"))
    booked = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(today + datetime.timedelta(days=2), 9),
        plan=uncovered_plan,
    )

    names = [a.plan.patient.last_name for a in expiring_authorisations()]
    assert names == ["Renewed", "Ending"]
    assert [d.appointment for d in uncovered_doses()] == [booked]
    assert front_desk_count() == 2  # the renewed one is not chased

    client.force_login(scheduler)
    html = client.get(reverse("authorisations:list")).content.decode()
    assert "Uncovered, Sofia" in html and "needs a prior authorisation and none is recorded" in html
    assert "Ending," in html and "Renewed," in html and "Far," not in html
    assert "Record the renewal" in html
    nav = client.get(reverse("scheduling:worklist")).content.decode()
    assert 'title="Authorisations ending soon and booked doses without one">2</span>' in nav


def test_scheduler_adds_and_edits_an_authorisation_with_history(client, scheduler, tysabri):
    client.force_login(scheduler)
    url = reverse("authorisations:create", args=[tysabri.pk])
    data = {
        "payer": "Blue Shield PPO",
        "member_id": "XEH-5512",
        "number": "PA-20931",
        "valid_from": "2026-12-01",
        "valid_to": "2026-11-01",
        "units_authorised": "6",
        "unit": "doses",
        "document_reference": "EHR doc 88121",
        "notes": "",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "cannot be before the first" in response.content.decode()
    assert not Authorisation.objects.exists()
    response = client.post(url, {**data, "valid_to": "2027-05-31"})
    assert response.status_code == 302
    authorisation = Authorisation.objects.get()
    assert authorisation.created_by == scheduler and authorisation.units_authorised == 6
    page = client.get(tysabri.patient.get_absolute_url()).content.decode()
    assert "PA-20931" in page and "0 of 6 doses" in page and "EHR doc 88121" in page

    response = client.post(reverse("authorisations:edit", args=[authorisation.pk]), {**data, "valid_to": "2027-06-30"})
    assert response.status_code == 302
    authorisation.refresh_from_db()
    assert authorisation.valid_to == datetime.date(2027, 6, 30)
    assert list(authorisation.history.values_list("history_type", flat=True)) == ["~", "+"]
    assert authorisation.history.first().history_user == scheduler


@pytest.mark.parametrize("role", ["nurse", "drug_admin", "outsider"])
def test_only_the_front_desk_may_add_or_edit(request, client, tysabri, role):
    user = request.getfixturevalue(role)
    authorisation = _authorise(tysabri, start=TODAY, end=TODAY)
    client.force_login(user)
    assert client.get(reverse("authorisations:create", args=[tysabri.pk])).status_code == 403
    assert client.post(reverse("authorisations:edit", args=[authorisation.pk]), {"payer": "x"}).status_code == 403
    listing = client.get(reverse("authorisations:list"))
    if role == "nurse":  # nurses may read the list (the readiness light tells them why), not change it
        assert listing.status_code == 200 and "Add authorisation" not in listing.content.decode()
    else:
        assert listing.status_code == 403


def test_manager_sees_the_list_but_cannot_add(client, manager, tysabri):
    client.force_login(manager)
    assert client.get(reverse("authorisations:list")).status_code == 200
    assert client.get(reverse("authorisations:create", args=[tysabri.pk])).status_code == 403
