"""Safety checks as catalogue data: the seed, typed results (service, form, admin), gates and the override policy."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from infusion_center import roles
from patients.models import CheckAnswer, CheckKind, Screening
from patients.services import screening_record
from scheduling.models import Appointment, ReadinessOverride, ScreeningRequirement
from scheduling.selectors.plan_state import plan_next_dose
from scheduling.selectors.readiness import readiness_for_appointments, readiness_for_plans
from scheduling.services import visits
from scheduling.services.booking import BookingError, appointment_book
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, ScreeningFactory, TreatmentPlanFactory, seeded_drug

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("drugs_outside_the_pharmacy")]
S = Appointment.Status
# The patient's first Ocrevus dose (infusion 1, 300 mg over 2.5 h): the dose due with no dose history, and the one
# the checks "before the first dose" (hepatitis B) apply to.
FIRST_DOSE = {"phase_order": 1, "infusion_number": 1, "dose_mg": Decimal("300"), "infusion_minutes": 150}
REQUIREMENTS = importlib.import_module("scheduling.migrations.0020_check_requirements").REQUIREMENTS
KINDS = importlib.import_module("patients.migrations.0020_check_catalogue").KINDS


# ---- the seed ----


def test_the_seed_holds_every_check_of_the_reference_per_drug_blocking_where_it_says():
    for drug_name, expected in REQUIREMENTS.items():
        rows = {
            (r.kind_id, r.when): r
            for r in ScreeningRequirement.objects.filter(drug__name=drug_name).select_related("kind")
        }
        assert set(rows) == {(code, when) for code, when, *_ in expected}, drug_name
        for code, when, blocking, extra, notes in expected:
            row = rows[(code, when)]
            assert row.blocking == blocking and row.gates_booking == extra.get("gates_booking", False)
            assert "[S" in notes or "confirm" in notes  # the source is in the notes
            assert row.notes == notes
    lemtrada = {(r.kind_id, r.when, r.blocking) for r in ScreeningRequirement.objects.filter(drug__name="Lemtrada")}
    for code in ("cbc", "creatinine", "urinalysis"):
        assert {(code, "baseline", True), (code, "monthly", True)} <= lemtrada
    echo = ScreeningRequirement.objects.get(drug__name="Mitoxantrone", kind="lvef")
    assert echo.blocking and echo.gates_booking and echo.kind.threshold == 50 and echo.kind.threshold_hard_stop
    anc = CheckKind.objects.get(code="anc")
    assert (anc.unit, anc.threshold, anc.threshold_hard_stop) == ("/mm³", Decimal("1500"), True)


def test_every_qualitative_check_has_a_clearing_and_a_non_clearing_answer():
    for kind in CheckKind.objects.filter(result_type="qualitative", is_active=True).prefetch_related("answers"):
        outcomes = {a.outcome for a in kind.answers.all()}
        assert "clears" in outcomes, kind.code
        assert outcomes & {"not_cleared", "hard_stop", "clears_warning"}, kind.code
    hard = set(CheckAnswer.objects.filter(outcome="hard_stop").values_list("check_kind__code", "code"))
    assert {("hep_b", "positive"), ("rems", "not_authorised")} <= hard
    assert CheckKind.objects.filter(is_active=True).count() == len(KINDS)


# ---- typed results in the service ----


@pytest.mark.parametrize(
    ("kind", "result", "words"),
    [
        ("rems", "positive", "can only be: Authorised, Not authorised, Pending."),
        ("hep_b", "authorised", "can only be: Negative, Positive, Indeterminate."),
        ("pregnancy", "abnormal", "can only be: Negative, Positive, Inconclusive."),
    ],
)
def test_an_answer_of_another_check_is_refused_in_words(kind, result, words):
    patient = PatientFactory()
    with pytest.raises(ValidationError) as refused:
        screening_record(patient=patient, kind=kind, taken_on=timezone.localdate(), result=result, user=None)
    assert words in str(refused.value)
    assert not Screening.objects.filter(patient=patient).exists()


def test_a_numeric_check_takes_a_value_not_an_answer():
    patient = PatientFactory()
    with pytest.raises(ValidationError, match="Enter the measured LVEF"):
        screening_record(patient=patient, kind="lvef", taken_on=timezone.localdate(), result="", user=None)
    with pytest.raises(ValidationError, match="is a measured value, not an answer"):
        screening_record(
            patient=patient, kind="lvef", taken_on=timezone.localdate(), result="normal", value=60, user=None
        )
    saved = screening_record(
        patient=patient, kind="lvef", taken_on=timezone.localdate(), result="", value=45, user=None
    )
    assert saved.valid_days == 90 and saved.outcome == "hard_stop"
    assert str(saved).startswith("LVEF (echocardiogram or MUGA): 45 %")


def test_results_that_do_not_clear_never_pass_silently():
    patient = PatientFactory()
    day = timezone.localdate()
    indeterminate = screening_record(patient=patient, kind="hep_b", taken_on=day, result="indeterminate", user=None)
    assert indeterminate.outcome == "not_cleared"
    plan = TreatmentPlanFactory(patient=patient)
    readiness = readiness_for_plans([(plan, plan_next_dose(plan=plan), day)])[plan.pk]
    assert readiness.status == "blocked" and any("Indeterminate" in m for m in readiness.blocking)


def test_a_new_lemtrada_patient_with_no_screenings_is_blocked(client, center, scheduler):
    plan = TreatmentPlanFactory(patient=PatientFactory(last_name="Noether"), drug=seeded_drug("Lemtrada"))
    day = timezone.localdate() + datetime.timedelta(days=10)
    readiness = readiness_for_plans([(plan, plan_next_dose(plan=plan), day)])[plan.pk]
    assert readiness.status == "blocked"
    assert any("Full blood count (CBC with differential) is needed at baseline" in m for m in readiness.blocking)
    appointment = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(day, 8),
        plan=plan,
        phase_order=1,
        infusion_number=1,
    )
    assert readiness_for_appointments([appointment])[appointment.pk].status == "blocked"
    client.force_login(scheduler)
    html = client.get(appointment.get_absolute_url()).content.decode()
    assert "Ready, with warnings" not in html and "HIV test is needed at baseline" in html


# ---- the screening form ----


def test_the_form_first_asks_for_the_check_then_offers_only_its_answers(client, nurse):
    patient = PatientFactory()
    client.force_login(nurse)
    url = reverse("patients:screening-create", args=[patient.pk])
    chooser = client.get(url).content.decode()
    assert "Choose a check" in chooser and "Absolute neutrophil count (ANC)" in chooser
    html = client.get(url, {"kind": "rems"}).content.decode()
    assert 'value="authorised"' in html and 'value="not_authorised"' in html and 'value="pending"' in html
    assert 'value="positive"' not in html and 'value="negative"' not in html
    numeric = client.get(url, {"kind": "anc"}).content.decode()
    assert "Absolute neutrophil count (ANC) (/mm³)" in numeric and "clears when ≥ 1,500 /mm³" in numeric
    assert 'name="result"' not in numeric
    assert client.get(url, {"kind": "no-such-check"}).status_code == 400


def test_the_form_refuses_a_nonsense_answer_in_words(client, nurse):
    patient = PatientFactory()
    client.force_login(nurse)
    url = reverse("patients:screening-create", args=[patient.pk])
    today = timezone.localdate().isoformat()
    response = client.post(url, {"kind": "rems", "taken_on": today, "result": "positive"})
    assert response.status_code == 400
    assert "Safety programme (REMS) authorisation can only be: Authorised, Not authorised, Pending." in (
        response.content.decode()
    )
    response = client.post(url, {"kind": "lvef", "taken_on": today, "value": "about fifty"})
    assert response.status_code == 400 and "Enter the measured value as a number in %" in response.content.decode()
    assert not Screening.objects.filter(patient=patient).exists()
    response = client.post(url, {"kind": "lvef", "taken_on": today, "value": "45"})
    assert response.status_code == 302
    page = client.get(patient.get_absolute_url()).content.decode()
    assert "LVEF (echocardiogram or MUGA)</strong>: 45 %" in page and "hard stop" in page


# ---- the catalogue in admin ----


def test_the_drug_admin_keeps_checks_in_admin_with_history(client, drug_admin):
    client.force_login(drug_admin)
    url = reverse("admin:patients_checkkind_add")
    data = {
        "name": "Vitamin D",
        "code": "vitamin_d",
        "result_type": "numeric",
        "unit": "ng/mL",
        "threshold": "20",
        "threshold_comparison": "at_least",
        "default_validity_days": "90",
        "is_active": "on",
        "notes": "Center protocol.",
        "answers-TOTAL_FORMS": "0",
        "answers-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    kind = CheckKind.objects.get(code="vitamin_d")
    assert kind.history.get().history_user == drug_admin
    change = client.get(reverse("admin:patients_checkkind_change", args=[kind.pk])).content.decode()
    assert 'name="code"' not in change  # the code is fixed once saved
    numeric_without_threshold = {**data, "code": "ferritin", "name": "Ferritin", "threshold": ""}
    response = client.post(url, numeric_without_threshold)
    assert response.status_code == 200 and "A numeric check needs the threshold" in response.content.decode()


def test_a_nurse_cannot_edit_the_check_catalogue(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("admin:patients_checkkind_changelist")).status_code in (302, 403)


def test_admin_refuses_a_result_that_is_not_an_answer_of_its_check(client, superuser_client):
    patient = PatientFactory()
    response = superuser_client.post(
        reverse("admin:patients_screening_add"),
        {
            "patient": patient.pk,
            "kind": "rems",
            "taken_on": timezone.localdate().isoformat(),
            "result": "positive",
            "valid_days": "182",
        },
    )
    assert response.status_code == 200 and "can only be: Authorised, Not authorised, Pending." in (
        response.content.decode()
    )


# ---- booking gated on the echo ----


def test_mitoxantrone_cannot_be_booked_without_a_current_clearing_echo(center):
    plan = TreatmentPlanFactory(patient=PatientFactory(), drug=seeded_drug("Mitoxantrone"))
    start = local(timezone.localdate() + datetime.timedelta(days=3), 9)
    with pytest.raises(
        BookingError,
        match=r"Mitoxantrone can only be booked with a current result that clears .* LVEF .* none is on record",
    ):
        appointment_book(plan=plan, chair_id=center[0].pk, premed_start=start, user=None)
    ScreeningFactory(patient=plan.patient, kind="lvef", value=45, valid_days=90)
    with pytest.raises(BookingError, match="below the minimum of 50 %"):
        appointment_book(plan=plan, chair_id=center[0].pk, premed_start=start, user=None)
    ScreeningFactory(patient=plan.patient, kind="lvef", value=58, valid_days=90)
    assert appointment_book(plan=plan, chair_id=center[0].pk, premed_start=start, user=None).pk


# ---- override policy ----


def test_the_override_permission_belongs_to_the_charge_nurse_not_every_nurse(midday, nurse, charge_nurse):
    assert not nurse.has_perm("scheduling.override_readiness")
    assert charge_nurse.has_perm("scheduling.override_readiness")
    assert charge_nurse.has_perm("scheduling.perform_visit")
    assert "scheduling.override_readiness" not in roles.ROLE_PERMISSIONS[roles.NURSE]


@pytest.fixture
def positive_hep_b_visit(center):
    patient = PatientFactory(first_name="Ada", last_name="Byron")
    ScreeningFactory(patient=patient, kind="hep_b", result="positive")
    ScreeningFactory(patient=patient, kind="infection", valid_days=3)
    plan = TreatmentPlanFactory(patient=patient)
    return AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=timezone.now() - datetime.timedelta(minutes=10),
        plan=plan,
        status=S.CHECKED_IN,
        **FIRST_DOSE,
    )


def test_a_hard_stop_cannot_be_overridden_by_anyone(positive_hep_b_visit, charge_nurse):
    with pytest.raises(visits.ReadinessBlocked) as blocked:
        visits.infusion_start(appointment=positive_hep_b_visit, user=charge_nurse, override_reason="Doctor said ok")
    assert blocked.value.hard_stops and not blocked.value.overridable
    assert "Hard stop: nobody can override it." in blocked.value.hard_stops[0]
    assert not ReadinessOverride.objects.exists()
    assert Appointment.objects.get(pk=positive_hep_b_visit.pk).status == S.CHECKED_IN


def test_the_page_offers_no_override_for_a_hard_stop(client, positive_hep_b_visit, charge_nurse):
    client.force_login(charge_nurse)
    url = reverse("scheduling:visit-start", args=[positive_hep_b_visit.pk])
    html = client.post(url).content.decode()
    assert "Hard stop:" in html and "Start anyway, with this reason" not in html
    response = client.post(url, {"override_reason": "Doctor said ok"})
    assert response.status_code == 409 and not ReadinessOverride.objects.exists()


def test_every_override_shows_on_the_appointments_history_with_who_when_and_why(midday, client, center, charge_nurse):
    plan = TreatmentPlanFactory(patient=PatientFactory())  # no hepatitis B screening: blocking, not a hard stop
    appointment = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=timezone.now() - datetime.timedelta(minutes=10),
        plan=plan,
        status=S.CHECKED_IN,
        **FIRST_DOSE,
    )
    client.force_login(charge_nurse)
    response = client.post(
        reverse("scheduling:visit-start", args=[appointment.pk]), {"override_reason": "Lab phoned: HBsAg negative"}
    )
    assert response.status_code == 302
    override = ReadinessOverride.objects.get(appointment=appointment)
    html = client.get(appointment.get_absolute_url()).content.decode()
    history = html[html.index('id="history-h"') :]
    when = f"{timezone.localtime(override.overridden_at):%-d %b %Y %H:%M}"
    assert f"{when} · <strong>cora</strong> · Readiness override: Lab phoned: HBsAg negative" in history
