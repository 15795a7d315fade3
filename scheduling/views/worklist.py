"""The worklist: the plans whose next dose is due within the horizon, overdue first."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from patients.access import patients_shown
from scheduling.models import Appointment
from scheduling.selectors import appointments as selectors
from scheduling.selectors.readiness import (
    readiness_for_plans,
)

S = Appointment.Status
WORKLIST_HORIZON_DAYS = 30


@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
def worklist(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=WORKLIST_HORIZON_DAYS)
    rows = []
    for plan, next_dose in selectors.next_doses_for_plans(selectors.plans_needing_booking()):
        if next_dose is None or next_dose.target > horizon:
            continue
        rows.append(
            {
                "plan": plan,
                "next": next_dose,
                "overdue": next_dose.is_overdue(today),
                "days": (next_dose.target - today).days,
                "late_days": (today - next_dose.latest).days,
            }
        )
    readiness = readiness_for_plans((row["plan"], row["next"], max(row["next"].target, today)) for row in rows)
    for row in rows:
        row["readiness"] = readiness[row["plan"].pk]
    rows.sort(key=lambda r: (not r["overdue"], r["next"].latest, r["next"].target, r["plan"].patient.last_name))
    patients_shown(request, (row["plan"].patient_id for row in rows))
    return render(request, "scheduling/worklist.html", {"rows": rows, "today": today, "nav": "worklist"})
