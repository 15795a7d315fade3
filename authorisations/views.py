"""Front-desk pages for insurance authorisations: the list to chase, and the forms on a plan."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from authorisations import selectors, services
from authorisations.forms import AuthorisationForm
from authorisations.models import Authorisation
from patients.access import patient_shown
from scheduling.models import TreatmentPlan


@login_required
@permission_required("authorisations.view_authorisation", raise_exception=True)
def authorisation_list(request: HttpRequest) -> HttpResponse:
    context = {
        "expiring": list(selectors.expiring_authorisations()),
        "uncovered": selectors.uncovered_doses(),
        "days": services.expiry_warning_days(),
        "blocks": services.authorisations_block(),
        "today": timezone.localdate(),
        "nav": "authorisations",
    }
    return render(request, "authorisations/authorisation_list.html", context)


def _form_page(request: HttpRequest, plan: TreatmentPlan, authorisation: Authorisation | None) -> HttpResponse:
    form = AuthorisationForm(request.POST or None, instance=authorisation)
    if request.method == "POST" and form.is_valid():
        saved = services.authorisation_save(
            plan=plan, data=form.cleaned_data, user=request.user, authorisation=authorisation
        )
        messages.success(request, f"Authorisation {saved.number} is saved for {plan.patient.full_name}.")
        return redirect(plan.patient)
    context = {"form": form, "plan": plan, "patient": plan.patient, "authorisation": authorisation, "nav": "patients"}
    status = 400 if request.method == "POST" else 200
    patient_shown(request, plan.patient)
    return render(request, "authorisations/authorisation_form.html", context, status=status)


@login_required
@permission_required("authorisations.add_authorisation", raise_exception=True)
def authorisation_create(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(TreatmentPlan.objects.select_related("patient", "drug"), pk=plan_id)
    return _form_page(request, plan, None)


@login_required
@permission_required("authorisations.change_authorisation", raise_exception=True)
def authorisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    authorisation = get_object_or_404(Authorisation.objects.select_related("plan__patient", "plan__drug"), pk=pk)
    return _form_page(request, authorisation.plan, authorisation)


def warn_authorisation(request: HttpRequest, appointments) -> None:
    """After a booking or a move: say what is wrong with the doses' authorisation (the booking stands)."""
    for warning in services.booking_warnings(appointments):
        messages.warning(request, f"Authorisation: {warning}")
