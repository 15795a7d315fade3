"""Planning pages: the six-month forecast (managers) and re-optimisation proposals (schedulers)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from infusion_center import formats
from scheduling.models import ProposedMove, ReoptimisationProposal
from scheduling.selectors import planning
from scheduling.selectors.planning import ForecastSummary
from scheduling.services import reoptimise
from scheduling.services.booking import BookingError
from scheduling.services.planning_refresh import forecast_refresh_request

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class WhatIfForm(forms.Form):
    """A staffing change to try on the forecast; nothing is saved."""

    weekday = forms.TypedChoiceField(
        label="On", choices=[("", "—")] + WEEKDAYS, coerce=int, required=False, empty_value=None
    )
    nurses = forms.IntegerField(label="Nurses more (or fewer)", min_value=-20, max_value=20, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("nurses") and cleaned.get("weekday") is None:
            self.add_error("weekday", "Choose the weekday the nurses change on.")
        return cleaned

    @property
    def change(self) -> dict[int, int]:
        if not self.is_bound or not self.is_valid():
            return {}
        weekday, nurses = self.cleaned_data.get("weekday"), self.cleaned_data.get("nurses")
        return {weekday: nurses} if weekday is not None and nurses else {}


@dataclass
class WeekColumn:
    label: str
    x: float
    width: float
    capacity_y: float
    capacity_height: float
    demand_y: float
    demand_height: float
    css: str
    title: str
    over_marks: list[tuple[float, str]]


class WeekChart:
    """Demand against capacity per week, in chair-hours, drawn by the server as SVG coordinates."""

    width, height, left, top, bottom = 900, 280, 48, 12, 36

    def __init__(self, result: ForecastSummary):
        weeks = result.weeks
        top_value = max([w.capacity_minutes for w in weeks] + [w.chair_minutes for w in weeks] + [60]) / 60
        plot = self.height - self.top - self.bottom
        step = (self.width - self.left - 8) / max(1, len(weeks))
        self.columns = []
        for n, week in enumerate(weeks):
            capacity, demand = week.capacity_minutes / 60, week.chair_minutes / 60
            cap_h, dem_h = capacity / top_value * plot, demand / top_value * plot
            x = self.left + n * step + step * 0.15
            over = week.over
            marks = [
                (x + step * 0.7 * (day.weekday() / 7), f"{formats.day(day)}: {'; '.join(why)}") for day, why in over
            ]
            self.columns.append(
                WeekColumn(
                    label=formats.day_month(week.monday),
                    x=round(x, 1),
                    width=round(step * 0.7, 1),
                    capacity_y=round(self.top + plot - cap_h, 1),
                    capacity_height=round(cap_h, 1),
                    demand_y=round(self.top + plot - dem_h, 1),
                    demand_height=round(dem_h, 1),
                    css="bad" if over else "",
                    title=f"Week of {formats.day_month(week.monday)}: "
                    f"{demand:.0f} chair-hours needed of {capacity:.0f}",
                    over_marks=[(round(mx, 1), text) for mx, text in marks],
                )
            )
        self.axis_y = self.top + plot
        self.label_y = self.top + plot + 16
        self.ticks = [
            (round(self.top + plot - v / top_value * plot, 1), f"{v:.0f}")
            for v in (top_value * f for f in (0, 0.25, 0.5, 0.75, 1.0))
        ]
        self.tick_x = self.left - 6
        self.grid_x2 = self.width - 4
        self.mark_y = self.top - 2
        self.every = max(1, len(weeks) // 13)  # label every other week when there are many


def _week_rows(result: ForecastSummary) -> list[dict]:
    return [
        {
            "week": week,
            "percent": round(week.chair_minutes / week.capacity_minutes * 100) if week.capacity_minutes else None,
            "nurse_hours": week.nurse_minutes / 60,
            "nurse_capacity": week.nurse_capacity / 60,
            # worded here once: at a center over capacity on most days these are a hundred lines a page
            "over": [(formats.day(day), "; ".join(problems)) for day, problems in week.over],
        }
        for week in result.weeks
    ]


@login_required
@permission_required("scheduling.view_reports", raise_exception=True)
def forecast_page(request: HttpRequest) -> HttpResponse:
    """As staffed: the forecast the refresh task stored (never worked out here). A "what if" is the manager's own
    question about a staffing no stored forecast has, so it is worked out in the request - without the ceiling's
    plan of the coming weeks (most of the time): the ceiling shown is the one slot search plans against."""
    form = WhatIfForm(request.GET or None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    change = form.change
    stored = planning.stored_forecast()
    if stored is None:
        forecast_refresh_request()
    if change:
        baseline, result = planning.what_if(change, stored.summary if stored is not None else None)
    else:
        result, baseline = (stored.summary if stored is not None else None), None
    context = {
        "form": form,
        "forecast": result,
        "computed_at": None if change or stored is None else stored.computed_at,
        "chart": WeekChart(result) if result is not None else None,
        "rows": _week_rows(result) if result is not None else [],
        "change": [(dict(WEEKDAYS)[d], n) for d, n in change.items()],
        "baseline_over": baseline.over_count if baseline is not None else None,
        "nav": "planning",
    }
    return render(request, "scheduling/planning_forecast.html", context, status=status)


@login_required
@permission_required("scheduling.view_reoptimisationproposal", raise_exception=True)
def proposals_page(request: HttpRequest) -> HttpResponse:
    proposal = planning.latest_proposal()
    moves = planning.proposal_moves(proposal) if proposal else []
    context = {
        "proposal": proposal,
        "moves": moves,
        "pending": [m for m in moves if m.status == ProposedMove.Status.PROPOSED],
        "changed_days": _changed_days(proposal),
        "can_request": request.user.has_perm("scheduling.add_reoptimisationproposal"),
        "can_accept": request.user.has_perm("scheduling.change_reoptimisationproposal"),
        "nav": "planning",
    }
    return render(request, "scheduling/planning_proposals.html", context)


def _changed_days(proposal: ReoptimisationProposal | None) -> list[dict]:
    if proposal is None:
        return []
    return [
        {"day": datetime.date.fromisoformat(day), "before": b, "after": a}
        for day, (b, a) in sorted(proposal.daily_peaks.items())
        if b != a
    ]


@login_required
@permission_required("scheduling.add_reoptimisationproposal", raise_exception=True)
@require_POST
def proposal_request(request: HttpRequest) -> HttpResponse:
    reoptimise.proposal_request(user=request.user)
    messages.success(request, "Computing a re-optimisation proposal; this page shows it when it is ready.")
    return redirect("scheduling:planning-proposals")


@login_required
@permission_required("scheduling.change_reoptimisationproposal", raise_exception=True)
@require_POST
def proposal_accept(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(ReoptimisationProposal, pk=pk)
    if "all" in request.POST:
        ids = list(proposal.moves.filter(status=ProposedMove.Status.PROPOSED).values_list("pk", flat=True))
    else:
        ids = [int(v) for v in request.POST.getlist("move") if v.isdigit()]
    if not ids:
        messages.error(request, "Tick the moves to accept, or accept them all.")
        return redirect("scheduling:planning-proposals")
    try:
        decided = reoptimise.moves_accept(proposal=proposal, move_ids=ids, user=request.user)
    except BookingError as exc:
        messages.error(request, exc.message)
        return redirect("scheduling:planning-proposals")
    accepted = [m for m in decided if m.status == ProposedMove.Status.ACCEPTED]
    refused = [m for m in decided if m.status == ProposedMove.Status.REFUSED]
    if accepted:
        messages.success(request, f"{len(accepted)} appointment{'s' if len(accepted) != 1 else ''} moved.")
    for move in refused:
        messages.error(request, f"{move.appointment.patient.full_name}: {move.refusal}")
    return redirect("scheduling:planning-proposals")
