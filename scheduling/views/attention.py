"""The "Needs attention" queue: each flagged booking, why, and one click to rebook it or accept it after review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from patients.access import patients_shown
from scheduling.models import Appointment
from scheduling.selectors.attention import accepted_after_review, attention_count, needing_attention
from scheduling.services.derive import AttentionError, attention_accept


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def attention_queue(request: HttpRequest) -> HttpResponse:
    flagged = list(needing_attention())
    accepted = list(accepted_after_review()[:50])
    patients_shown(request, (a.patient_id for a in flagged + accepted))  # the queue names patients
    context = {
        "flagged": flagged,
        "accepted": accepted,
        "can_change": request.user.has_perm("scheduling.change_appointment"),
        "nav": "attention",
    }
    return render(request, "scheduling/attention_queue.html", context)


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def attention_count_badge(request: HttpRequest) -> HttpResponse:
    """The navigation's count, loaded after the page (so no page pays for it): a badge, or nothing."""
    return render(request, "scheduling/_attention_count.html", {"count": attention_count()})


@login_required
@permission_required("scheduling.change_appointment", raise_exception=True)
@require_POST
def attention_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_object_or_404(Appointment, pk=pk)
    try:
        attention_accept(appointment=appointment, user=request.user)
    except AttentionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Accepted after review: {appointment.patient.full_name}'s booking stays as it is.")
    return redirect("scheduling:attention")
