import datetime

from django import template
from django.utils import timezone

from authorisations.models import Authorisation
from authorisations.selectors import front_desk_count
from authorisations.services import expiry_warning_days, usage_for_plans
from infusion_center.shared_figures import shared_figure

register = template.Library()


NAV_COUNT_KEY = "authorisations:front-desk-count"
NAV_COUNT_SECONDS = 60  # the badge is on every page: counted at most once a minute (and after each save)


@register.simple_tag
def authorisation_alert_count() -> int:
    """Expiring authorisations and uncovered booked doses, for the navigation badge."""
    return shared_figure(NAV_COUNT_KEY, front_desk_count, NAV_COUNT_SECONDS)  # counted once for every process


@register.inclusion_tag("authorisations/_patient_authorisations.html", takes_context=True)
def patient_authorisations(context, patient):
    """The patient page's authorisations, per plan, with what each has been counted for."""
    plans = list(patient.plans.select_related("drug").order_by("-created_at"))
    rows = list(Authorisation.objects.filter(plan__in=plans).order_by("plan_id", "-valid_to", "-id"))
    used = usage_for_plans([p.pk for p in plans]) if rows else {}
    today = timezone.localdate()
    soon = today + datetime.timedelta(days=expiry_warning_days())
    by_plan = {plan.pk: [] for plan in plans}
    for row in rows:
        row.used = used.get(row.pk, 0)
        row.expired = row.valid_to < today
        row.expiring = not row.expired and row.valid_to <= soon
        by_plan[row.plan_id].append(row)
    return {
        "plans": [
            (plan, by_plan[plan.pk]) for plan in plans if plan.drug.needs_prior_authorisation or by_plan[plan.pk]
        ],
        "perms": context.get("perms"),
        "patient": patient,
    }
