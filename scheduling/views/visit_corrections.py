"""Pages for correcting a recorded visit step (a time, or undoing the last step), each with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from scheduling.services import visit_corrections
from scheduling.services.visits import VisitError
from scheduling.views.visits import _appointment_or_404, _appointment_page
from scheduling.visit_forms import TimeCorrectionForm, UndoStepForm


@login_required
@permission_required("scheduling.perform_visit", raise_exception=True)
@require_POST
def visit_correct_time(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_or_404(pk)
    form = TimeCorrectionForm(request.POST, steps=visit_corrections.correctable_steps(appointment))
    if not form.is_valid():
        return _appointment_page(request, appointment, status=400, correction_form=form, open_corrections=True)
    data = form.cleaned_data
    try:
        visit_corrections.visit_time_correct(
            appointment=appointment,
            user=request.user,
            step=data["step"],
            new_time=data["new_time"],
            reason=data["reason"],
        )
    except VisitError as exc:
        form.add_error(None, exc.message)
        return _appointment_page(
            request, _appointment_or_404(pk), status=409, correction_form=form, open_corrections=True
        )
    messages.success(request, "The time is corrected; the original stays in the history.")
    return redirect(appointment)


@login_required
@permission_required("scheduling.perform_visit", raise_exception=True)
@require_POST
def visit_undo_step(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_or_404(pk)
    form = UndoStepForm(request.POST)
    if not form.is_valid():
        return _appointment_page(request, appointment, status=400, undo_form=form, open_corrections=True)
    try:
        step = visit_corrections.visit_step_undo(
            appointment=appointment, user=request.user, reason=form.cleaned_data["reason"]
        )
    except VisitError as exc:
        return _appointment_page(request, _appointment_or_404(pk), status=409, error=exc.message)
    messages.success(request, f"{step} is undone; it stays in the history with your reason.")
    return redirect(appointment)
