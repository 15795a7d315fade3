"""Staff: the reminder outbox and the retry action. Patients: the unsubscribe page (public, by signed link)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from infusion_center.paging import NextPagePaginator
from patients.access import patients_shown
from scheduling.models import Reminder
from scheduling.reminders.emails import patient_id_from_token
from scheduling.reminders.health import mail_outage
from scheduling.reminders.selectors import failed_reminder_count, patient_for_unsubscribe, reminder_outbox
from scheduling.reminders.services import ReminderError, patient_unsubscribe, reminder_retry, reminders_retry_failed


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def outbox(request):
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    status = status if status in Reminder.Status.values else ""
    kind = kind if kind in Reminder.Kind.values else ""
    page = NextPagePaginator(reminder_outbox(status=status, kind=kind), 50).get_page(request.GET.get("page"))
    patients_shown(request, (reminder.appointment.patient_id for reminder in page.object_list))
    return render(
        request,
        "scheduling/reminder_outbox.html",
        {
            "page": page,
            "reminders": page.object_list,
            "status": status,
            "kind": kind,
            "statuses": Reminder.Status.choices,
            "kinds": Reminder.Kind.choices,
            "failed_count": failed_reminder_count(),
            "mail_outage": mail_outage(),
            "retry_hours": settings.REMINDERS_RETRY_HOURS,
            "nav": "outbox",
        },
    )


@login_required
@permission_required("scheduling.change_appointment", raise_exception=True)
@require_POST
def reminder_retry_view(request, pk: int):
    reminder = get_object_or_404(Reminder, pk=pk)
    try:
        reminder_retry(reminder=reminder)
    except ReminderError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"{reminder.get_kind_display()} queued to be sent again.")
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(next_url)  # a path back to the page the retry was made from
    return redirect("scheduling:outbox")


@login_required
@permission_required("scheduling.change_appointment", raise_exception=True)
@require_POST
def reminders_retry_all_view(request):
    queued = reminders_retry_failed()
    if queued:
        messages.success(request, f"{queued} failed reminder{'s' if queued != 1 else ''} queued to be sent again.")
    else:
        messages.info(request, "There were no failed reminders to retry.")
    return redirect("scheduling:outbox")


@csrf_exempt  # one-click unsubscribe (RFC 8058) posts from the mail provider; the signed link is the credential
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """Shows the patient's first name only. GET asks; POST turns reminders off (a link scanner's GET does not)."""
    patient_id = patient_id_from_token(token)
    patient = patient_for_unsubscribe(patient_id)
    if patient is None:
        return render(request, "scheduling/reminder_unsubscribe.html", {"invalid": True}, status=404)
    done = patient.reminders_opted_out_at is not None
    if request.method == "POST":
        patient_unsubscribe(patient=patient)
        done = True
    return render(request, "scheduling/reminder_unsubscribe.html", {"first_name": patient.first_name, "done": done})
