from django import template

from pharmacy.models import Preparation
from pharmacy.selectors import latest_preparations

register = template.Library()

P = Preparation.Status
BADGE = {
    P.TO_PREPARE: "text-bg-light border",
    P.RELEASED: "text-bg-info",
    P.IN_PREPARATION: "text-bg-primary",
    P.READY: "text-bg-success",
    P.GIVEN: "text-bg-secondary",
    P.WASTED: "text-bg-danger",
}


@register.filter
def rx_badge(status: str) -> str:
    """The badge colour of a preparation status."""
    return BADGE.get(status, "text-bg-light border")


@register.inclusion_tag("pharmacy/_appointment_preparation.html", takes_context=True)
def appointment_preparation(context, appointment):
    """The appointment page's pharmacy line: the dose's status, for drugs that go through the pharmacy; and, for a
    nurse who may override readiness, letting the pharmacy mix a checked-in patient's dose despite the checks."""
    from pharmacy.services import unresolved_blocks

    drug = appointment.phase.drug
    if not drug.pharmacy_prepared:
        return {"shown": False}
    preparation = latest_preparations([appointment.pk]).get(appointment.pk)
    status = preparation.status if preparation else P.TO_PREPARE
    readiness = context.get("readiness")
    perms = context.get("perms")
    can_allow_mix = bool(
        drug.mix_after_check_in
        and status in (P.TO_PREPARE, P.WASTED)
        and appointment.status in ("checked_in", "premedicated")
        and perms is not None
        and perms["scheduling"]["override_readiness"]
        and unresolved_blocks(appointment, readiness)
    )
    return {
        "appointment": appointment,
        "can_allow_mix": can_allow_mix,
        "csrf_token": context.get("csrf_token"),
        "shown": True,
        "drug": drug,
        "preparation": preparation,
        "status": status,
        "label": preparation.get_status_display() if preparation else P.TO_PREPARE.label,
        "badge": BADGE[status],
    }
