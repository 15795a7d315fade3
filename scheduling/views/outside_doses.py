"""A nurse records a dose the patient was given elsewhere (before coming here, or at another site)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from patients.access import logs_patient_access
from patients.models import Patient
from scheduling.history_forms import OutsideDoseForm
from scheduling.services.outside_doses import outside_dose_record


@login_required
@permission_required("scheduling.add_outsidedose", raise_exception=True)
@logs_patient_access(patient_kwarg="patient_id")
def outside_dose_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id)
    form = OutsideDoseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dose = outside_dose_record(patient=patient, user=request.user, **form.cleaned_data)
        messages.success(request, f"Recorded in {patient.full_name}'s dose history: {dose}.")
        return redirect(patient)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "patient": patient, "nav": "patients"}
    return render(request, "scheduling/outside_dose_form.html", context, status=status)
