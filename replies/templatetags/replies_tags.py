"""Template tags: the navigation counts and the appointment page's replies card."""

from __future__ import annotations

from django import template

from replies import selectors
from replies.models import WaitlistEntry
from scheduling.models import Appointment

register = template.Library()


@register.simple_tag(takes_context=True)
def reply_counts(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return selectors.nav_counts(user)


@register.inclusion_tag("replies/staff/_appointment_replies.html", takes_context=True)
def appointment_replies(context, appointment: Appointment) -> dict:
    user = context["request"].user
    mark = selectors.confirmation_marks([appointment]).get(appointment.pk)
    waiting = WaitlistEntry.objects.filter(plan_id=appointment.plan_id, status=WaitlistEntry.Status.WAITING)
    return {
        "appointment": appointment,
        "mark": mark,
        "requests": list(appointment.another_time_requests.order_by("-requested_at")[:3]),
        "calls": list(appointment.call_attempts.all()[:3]),
        "answers": selectors.after_visit_answers(appointment),
        "waitlist": list(appointment.waitlist_entries.order_by("-created_at")[:2]),
        "can_waitlist": user.has_perm("scheduling.change_appointment")
        and appointment.status == Appointment.Status.SCHEDULED
        and not appointment.course_id
        and not waiting.exists(),
    }
