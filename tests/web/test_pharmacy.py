"""The pharmacy: the release rule, the start gate, the queue's order and steps, the waste report's sums, and
the drug's status on the board and the appointment page."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from patients.models import PatientAccess
from pharmacy import rules, selectors, services
from pharmacy.models import Preparation
from scheduling.models import Appointment
from scheduling.services import visits
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, ScreeningFactory, TreatmentPlanFactory, seeded_drug
from tests.pharmacy.helpers import dose_ready
from tests.web.helpers import ocrevus_initial_doses_elsewhere

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("midday")]  # visits run "now", hours back
S = Appointment.Status
P = Preparation.Status
MP = "IV methylprednisolone (relapse)"


@pytest.fixture
def clock():
    """The clock stopped now; a test moves it on, as past the premedications' lead before a start."""
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


def _give_premeds_and_wait(appointment, nurse, clock):
    """Every premedication of the phase given now, then the clock on past the longest lead (the antihistamine's)."""
    for premed in visits.required_premedications(appointment):
        visits.premedication_record(
            appointment=appointment, premedication_id=premed.pk, given_at=timezone.now(), user=nurse
        )
    clock.shift(datetime.timedelta(minutes=60))


def _screened_patient(**kwargs):
    patient = PatientFactory(**kwargs)
    ScreeningFactory(patient=patient, kind="hep_b", taken_on=timezone.localdate() - datetime.timedelta(days=30))
    ScreeningFactory(patient=patient, kind="infection", valid_days=3, taken_on=timezone.localdate())
    return patient


def _ocrevus_today(center, *, patient=None, minutes_ago=20, **fields):
    """A maintenance dose today, for a patient whose initial doses were given elsewhere: the dose due."""
    plan = TreatmentPlanFactory(patient=patient or _screened_patient())
    ocrevus_initial_doses_elsewhere(plan, maintenance_due=timezone.localdate())
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=minutes_ago)
    return AppointmentFactory(ocrevus_maintenance=True, chair=center[0], premed_start=start, plan=plan, **fields)


def _steroid(center, day, hour=9):
    plan = TreatmentPlanFactory(patient=PatientFactory(), drug=seeded_drug(MP))
    return AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[1],
        premed_start=local(day, hour),
        plan=plan,
        phase_order=1,
        infusion_number=1,
        infusion_minutes=60,
    )


# -- the release rule -------------------------------------------------------------------------------------------------


def test_a_mix_after_check_in_drug_is_released_only_after_check_in_and_checks(center, nurse, pharmacist):
    appointment = _ocrevus_today(center, patient=PatientFactory())  # no screening on record yet
    assert seeded_drug("Ocrevus (IV)").mix_after_check_in
    with pytest.raises(services.PharmacyError, match="only after the patient has checked in"):
        services.preparation_release(appointment=appointment, user=pharmacist)
    visits.appointment_check_in(appointment=appointment, user=nurse)
    with pytest.raises(services.PharmacyError, match="only once the day's checks pass: Active-infection check"):
        services.preparation_release(appointment=appointment, user=pharmacist)
    ScreeningFactory(patient=appointment.patient, kind="hep_b", taken_on=timezone.localdate())
    ScreeningFactory(patient=appointment.patient, kind="infection", valid_days=3, taken_on=timezone.localdate())
    preparation = services.preparation_release(appointment=appointment, user=pharmacist)
    assert preparation.status == P.RELEASED and preparation.released_by == pharmacist
    assert preparation.dose_mg == Decimal("600")
    with pytest.raises(services.PharmacyError, match="released to mix: releasing it is not possible"):
        services.preparation_release(appointment=appointment, user=pharmacist)


def test_a_cheap_drug_is_prepared_ahead_from_the_day_before(center, pharmacist):
    today = timezone.localdate()
    tomorrow = _steroid(center, today + datetime.timedelta(days=1))
    later = _steroid(center, today + datetime.timedelta(days=3))
    assert services.preparation_release(appointment=tomorrow, user=pharmacist).status == P.RELEASED
    with pytest.raises(services.PharmacyError, match="from the day before the visit"):
        services.preparation_release(appointment=later, user=pharmacist)


@pytest.mark.parametrize(
    "status, mix_after, day_offset, problems, allowed",
    [
        ("scheduled", True, 0, (), False),
        ("checked_in", True, 0, (), True),
        ("premedicated", True, 0, (), True),
        ("checked_in", True, 0, ("Infection check missing.",), False),
        ("scheduled", False, 1, (), True),
        ("scheduled", False, 2, (), False),
        ("cancelled", False, 0, (), False),
        ("no_show", True, 0, (), False),
    ],
)
def test_release_rule_table(status, mix_after, day_offset, problems, allowed):
    today = datetime.date(2026, 12, 1)
    refusal = rules.release_refusal(
        drug_name="X",
        mix_after_check_in=mix_after,
        appointment_status=status,
        visit_day=today + datetime.timedelta(days=day_offset),
        today=today,
        blocking_problems=problems,
        dose_known=True,
    )
    assert (refusal == "") is allowed


# -- no start without a ready drug ---------------------------------------------------------------------------------


def test_the_infusion_cannot_start_until_the_dose_is_ready(center, nurse, pharmacist, clock):
    appointment = _ocrevus_today(center)
    visits.appointment_check_in(appointment=appointment, user=nurse)
    _give_premeds_and_wait(appointment, nurse, clock)
    with pytest.raises(visits.VisitError, match="not ready in the pharmacy \\(still to prepare\\)"):
        visits.infusion_start(appointment=appointment, user=nurse)
    services.preparation_release(appointment=appointment, user=pharmacist)
    services.preparation_step(appointment=appointment, step="start", user=pharmacist)
    with pytest.raises(visits.VisitError, match="in preparation"):
        visits.infusion_start(appointment=appointment, user=nurse, override_reason="urgent")  # no override either
    appointment.refresh_from_db()
    assert appointment.status == S.PREMEDICATED
    services.preparation_step(appointment=appointment, step="ready", user=pharmacist)
    visits.infusion_start(appointment=appointment, user=nurse)
    appointment.refresh_from_db()
    assert appointment.status == S.INFUSING
    preparation = Preparation.objects.get(appointment=appointment)
    assert preparation.status == P.GIVEN and preparation.given_at


def test_a_blocked_start_leaves_the_ready_dose_ready(center, nurse):
    appointment = _ocrevus_today(center, patient=PatientFactory(), status=S.PREMEDICATED)
    dose_ready(appointment)
    with pytest.raises(visits.ReadinessBlocked):
        visits.infusion_start(appointment=appointment, user=nurse)
    assert Preparation.objects.get(appointment=appointment).status == P.READY


def test_a_drug_outside_the_pharmacy_starts_without_a_preparation(center, nurse, clock):
    drug = seeded_drug("Ocrevus (IV)")
    drug.pharmacy_prepared = False
    drug.save()
    appointment = _ocrevus_today(center, status=S.PREMEDICATED)
    _give_premeds_and_wait(appointment, nurse, clock)
    visits.infusion_start(appointment=appointment, user=nurse)
    assert not Preparation.objects.exists()


# -- the queue -------------------------------------------------------------------------------------------------------


def test_queue_is_ordered_by_expected_infusion_start(center, nurse):
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    early_arrival_long_lead = _steroid(center, tomorrow, hour=8)  # MP: 60 min lead -> 09:00 (course day 1)
    lead = early_arrival_long_lead.infusion_start - early_arrival_long_lead.premed_start
    plan = TreatmentPlanFactory(patient=PatientFactory())
    short_lead = AppointmentFactory(
        ocrevus_maintenance=True, chair=center[2], premed_start=local(tomorrow, 8, 45), plan=plan, premed_minutes=0
    )
    queue = selectors.preparation_queue(today=today)
    assert [r.appointment for r in queue] == sorted(
        [early_arrival_long_lead, short_lead], key=lambda a: a.premed_start + (a.infusion_start - a.premed_start)
    )
    row = next(r for r in queue if r.appointment == early_arrival_long_lead)
    assert row.expected_start == early_arrival_long_lead.premed_start + lead


def test_expected_start_follows_a_late_check_in():
    booked = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
    lead = datetime.timedelta(minutes=30)
    late = booked + datetime.timedelta(minutes=25)
    assert (
        rules.expected_infusion_start(
            premed_start=booked, infusion_start=booked + lead, checked_in_at=None, infusion_started_at=None
        )
        == booked + lead
    )
    assert (
        rules.expected_infusion_start(
            premed_start=booked, infusion_start=booked + lead, checked_in_at=late, infusion_started_at=None
        )
        == late + lead
    )


def test_queue_converts_mg_per_m2_with_the_engine(center):
    plan = TreatmentPlanFactory(
        patient=PatientFactory(height_cm=Decimal("170"), weight_kg=Decimal("70")), drug=seeded_drug("Mitoxantrone")
    )
    appointment = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(timezone.localdate() + datetime.timedelta(days=1), 10),
        plan=plan,
        phase_order=1,
        infusion_number=1,
    )
    appointment.dose_mg = Decimal("21.00")  # booked before the last weight
    appointment.save()
    (row,) = selectors.preparation_queue()
    assert row.appointment == appointment
    assert row.dose_mg == Decimal("21.84")  # 12 mg/m2 x 1.82 m2 (Mosteller)
    assert row.dose_detail == "12 mg/m² × 1.82 m²"
    assert row.dose_changed  # booked as 21 mg: the body surface area changed since


def test_pharmacist_runs_the_queue_and_the_log_records_the_view(client, center, nurse, pharmacist):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    appointment = _steroid(center, tomorrow)
    client.force_login(pharmacist)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("pharmacy:queue")
    html = client.get(reverse("pharmacy:queue")).content.decode()
    assert appointment.patient.last_name in html and "Release to mix" in html
    assert PatientAccess.objects.filter(patient=appointment.patient, user=pharmacist).exists()
    for step in ("release", "start", "ready"):
        response = client.post(reverse("pharmacy:step", args=[appointment.pk, step]))
        assert response.status_code == 302, step
    assert Preparation.objects.get(appointment=appointment).status == P.READY
    response = client.post(reverse("pharmacy:step", args=[appointment.pk, "ready"]))
    assert response.status_code == 409 and "ready: marking it ready is not possible" in response.content.decode()
    assert client.post(reverse("pharmacy:waste", args=[appointment.pk]), {"reason": " "}).status_code == 400
    response = client.post(reverse("pharmacy:waste", args=[appointment.pk]), {"reason": "Bag punctured"})
    assert response.status_code == 302
    assert Preparation.objects.get(appointment=appointment).status == P.WASTED
    # a new dose can be released after a waste
    assert client.post(reverse("pharmacy:step", args=[appointment.pk, "release"])).status_code == 302
    assert Preparation.objects.filter(appointment=appointment).count() == 2

    client.force_login(nurse)  # the nurse sees the queue but cannot change it
    assert client.get(reverse("pharmacy:queue")).status_code == 200
    assert client.post(reverse("pharmacy:step", args=[appointment.pk, "start"])).status_code == 403
    assert client.post(reverse("pharmacy:waste", args=[appointment.pk]), {"reason": "x"}).status_code == 403


def test_a_cancelled_visit_with_a_made_dose_stays_in_the_queue(center, scheduler, pharmacist):
    from scheduling.services import booking

    appointment = _steroid(center, timezone.localdate() + datetime.timedelta(days=1))
    services.preparation_release(appointment=appointment, user=pharmacist)
    booking.appointment_cancel(appointment=appointment, reason="Patient unwell", user=scheduler)
    (row,) = selectors.preparation_queue()
    assert row.appointment == appointment and row.visit_closed and row.status == P.RELEASED


def test_board_and_appointment_show_the_drug_status(client, center, nurse):
    appointment = _ocrevus_today(center, minutes_ago=-60)
    other = _steroid(center, timezone.localdate(), hour=7)
    client.force_login(nurse)
    board = client.get(reverse("scheduling:board")).content.decode()  # rendered and cached
    assert '<span class="rx rx-ready">' not in board
    dose_ready(appointment)  # a pharmacy change reaches the cached board at once
    board = client.get(reverse("scheduling:board")).content.decode()
    assert '<span class="rx rx-ready">Rx ready</span>' in board
    assert '<span class="rx rx-to_prepare">Rx to prepare</span>' in board
    page = client.get(appointment.get_absolute_url()).content.decode()
    assert 'id="pharmacy-status">Ready</span>' in page
    assert 'id="pharmacy-status">To prepare</span>' in client.get(other.get_absolute_url()).content.decode()


# -- the waste report -----------------------------------------------------------------------------------------------


def test_waste_report_sums_doses_and_mg_per_drug_and_month(client, center, manager):
    tz = timezone.get_current_timezone()
    ocrevus, steroid = seeded_drug("Ocrevus (IV)"), seeded_drug(MP)

    def wasted(drug, mg, reason, when):
        plan = TreatmentPlanFactory(patient=PatientFactory(), drug=drug)
        phase_order = 1 if drug == steroid else 3
        appointment = AppointmentFactory(
            ocrevus_maintenance=True, chair=center[0], premed_start=when, plan=plan, phase_order=phase_order
        )
        return Preparation.objects.create(
            appointment=appointment,
            status=P.WASTED,
            dose_mg=Decimal(mg),
            wasted_at=when + datetime.timedelta(hours=1),
            waste_reason=reason,
        )

    nov = datetime.datetime(2026, 11, 3, 9, tzinfo=tz)
    wasted(ocrevus, "600", "Patient did not attend", nov)
    wasted(ocrevus, "300", "Patient did not attend", nov + datetime.timedelta(days=7))
    wasted(ocrevus, "600", "Bag damaged", nov + datetime.timedelta(days=14))
    wasted(steroid, "1000", "Course stopped", nov + datetime.timedelta(days=2))
    wasted(ocrevus, "600", "Bag damaged", datetime.datetime(2026, 12, 1, 0, 30, tzinfo=tz))  # next month, local
    # a dose given is not waste
    given = AppointmentFactory(
        ocrevus_maintenance=True, chair=center[1], premed_start=nov, plan=TreatmentPlanFactory(patient=PatientFactory())
    )
    Preparation.objects.create(appointment=given, status=P.GIVEN, dose_mg=Decimal("600"))

    lines = {line.drug.name: line for line in selectors.waste_report(month=datetime.date(2026, 11, 15))}
    assert set(lines) == {"Ocrevus (IV)", MP}
    assert (lines["Ocrevus (IV)"].doses, lines["Ocrevus (IV)"].mg) == (3, Decimal("1500"))
    assert lines["Ocrevus (IV)"].reason_counts == [("Patient did not attend", 2), ("Bag damaged", 1)]
    assert (lines[MP].doses, lines[MP].mg) == (1, Decimal("1000"))

    client.force_login(manager)
    html = client.get(reverse("pharmacy:waste-report"), {"month": "2026-11"}).content.decode()
    assert "Pharmacy waste · November 2026" in html and "1500" in html and "Patient did not attend" in html
    assert client.get(reverse("pharmacy:waste-report"), {"month": "nonsense"}).status_code == 200


def test_waste_needs_an_open_dose_and_a_reason(center, pharmacist):
    appointment = _steroid(center, timezone.localdate() + datetime.timedelta(days=1))
    with pytest.raises(services.PharmacyError, match="to prepare: recording waste"):
        services.preparation_waste(appointment=appointment, reason="dropped", user=pharmacist)
    services.preparation_release(appointment=appointment, user=pharmacist)
    with pytest.raises(services.PharmacyError, match="Give the reason"):
        services.preparation_waste(appointment=appointment, reason="  ", user=pharmacist)


def test_a_charge_nurse_can_let_the_pharmacy_mix_despite_a_blocking_check(
    client, center, nurse, charge_nurse, scheduler, pharmacist, clock
):
    appointment = _ocrevus_today(center, patient=PatientFactory())  # no infection check (due before every dose)
    visits.appointment_check_in(appointment=appointment, user=nurse)
    with pytest.raises(services.PharmacyError, match="checks pass"):
        services.preparation_release(appointment=appointment, user=pharmacist)
    client.force_login(nurse)  # a plain nurse may not override the checks, so neither may she allow the mix
    assert "allow the mix anyway" not in client.get(appointment.get_absolute_url()).content.decode()
    url = reverse("pharmacy:allow-mix", args=[appointment.pk])
    assert client.post(url, {"reason": "Infection check result phoned by the lab"}).status_code == 403
    client.force_login(charge_nurse)
    page = client.get(appointment.get_absolute_url()).content.decode()
    assert "allow the mix anyway" in page
    client.post(url, {"reason": ""})
    assert not appointment.overrides.exists()
    response = client.post(url, {"reason": "Infection check result phoned by the lab"})
    assert response.status_code == 302
    override = appointment.overrides.get()
    assert override.overridden_by == charge_nurse and "Active-infection check" in override.problems
    (row,) = selectors.preparation_queue()
    assert row.release_refusal == ""
    services.preparation_release(appointment=appointment, user=pharmacist)
    services.preparation_step(appointment=appointment, step="start", user=pharmacist)
    services.preparation_step(appointment=appointment, step="ready", user=pharmacist)
    _give_premeds_and_wait(appointment, nurse, clock)
    with pytest.raises(visits.ReadinessBlocked):  # the start still asks for its own override
        visits.infusion_start(appointment=appointment, user=charge_nurse)
    visits.infusion_start(appointment=appointment, user=charge_nurse, override_reason="Lab result phoned")
    assert Preparation.objects.get(appointment=appointment).status == P.GIVEN

    client.force_login(scheduler)  # only those who may override readiness
    assert client.post(url, {"reason": "x"}).status_code == 403
