"""The batched next-dose selector agrees with the booking service's own `plan_next_dose`."""

import datetime

import pytest
from django.utils import timezone

from scheduling.models import Appointment, InfusionReaction, TreatmentPlan
from scheduling.selectors.appointments import next_doses_for_plans
from scheduling.selectors.plan_state import plan_next_dose
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, TreatmentPlanFactory, seeded_drug
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db
S = Appointment.Status


def test_batched_next_doses_match_the_service(center):
    today = timezone.localdate()
    plans = []
    for k, name in enumerate(["Ocrevus (IV)", "Tysabri", "Briumvi", "Ocrevus (IV)", "Lemtrada"]):
        (chair,) = chairs(1)
        plan = TreatmentPlanFactory(
            patient=PatientFactory(), drug=seeded_drug(name), start_date=today - datetime.timedelta(days=60)
        )
        if k % 2 == 0:
            given = AppointmentFactory(
                ocrevus_maintenance=True,
                chair=chair,
                premed_start=local(today - datetime.timedelta(days=40 + k), 9),
                plan=plan,
                phase_order=1,
                infusion_number=1,
                status=S.COMPLETED,
            )
            if k == 4:
                InfusionReaction.objects.create(
                    appointment=given,
                    patient=plan.patient,
                    drug=plan.drug,
                    occurred_at=given.infusion_start,
                    severity="severe",
                    symptoms="Hypotension",
                )
        plans.append(plan)
    plans.append(TreatmentPlanFactory(patient=PatientFactory(), status=TreatmentPlan.Status.STOPPED))
    batched = dict(next_doses_for_plans(list(TreatmentPlan.objects.select_related("patient"))))
    for plan in plans:
        expected = plan_next_dose(plan=TreatmentPlan.objects.get(pk=plan.pk))
        got = batched[next(p for p in batched if p.pk == plan.pk)]
        assert got == expected, plan.drug.name


def test_the_week_counts_each_chairs_booked_hours_and_each_days_bookings(center):
    from scheduling.selectors.reports import week_fill

    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday() + 7)
    first, second, _third = center
    AppointmentFactory(ocrevus_maintenance=True, chair=first, premed_start=local(monday, 8))  # 5 h in the chair
    AppointmentFactory(ocrevus_maintenance=True, chair=first, premed_start=local(monday, 13))
    AppointmentFactory(ocrevus_maintenance=True, chair=second, premed_start=local(monday + datetime.timedelta(2), 9))
    AppointmentFactory(ocrevus_maintenance=True, chair=second, premed_start=local(monday, 9), status=S.CANCELLED)
    fill = week_fill(monday=monday)
    cells = {row["chair"].pk: row["cells"] for row in fill["rows"]}
    assert [cell["used_h"] for cell in cells[first.pk][:3]] == [10, 0, 0]
    assert [cell["used_h"] for cell in cells[second.pk][:3]] == [0, 0, 5]  # a cancelled booking holds no chair
    assert [total["count"] for total in fill["totals"]] == [2, 0, 1, 0, 0, 0, 0]
    assert fill["totals"][0]["peak"] == 1
