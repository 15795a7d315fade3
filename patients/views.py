"""Patient pages: thin views that parse input, call a selector or service, and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from infusion_center.paging import EstimatedCountPaginator
from patients import selectors, services
from patients.access import patient_shown, patients_shown
from patients.forms import (
    CheckChoiceForm,
    EmergencyContactFormSet,
    PatientForm,
    PatientSearchForm,
    ScreeningForm,
    active_checks,
)
from patients.models import Patient
from patients.search import possible_duplicates

PAGE_SIZE = 25


@login_required
@permission_required("patients.view_patient", raise_exception=True)
def patient_list(request: HttpRequest) -> HttpResponse:
    # The search is posted, never put in the URL: a name typed here must not end up in server or proxy logs.
    data = request.POST if request.method == "POST" else None
    form = PatientSearchForm(data)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    # every patient: the planner's estimate of a large table, not a count of 50,000 rows (a search counts)
    paginator = EstimatedCountPaginator(selectors.patient_list(search=search), PAGE_SIZE)
    page = paginator.get_page((data or request.GET).get("page"))
    patients_shown(request, (row["pk"] for row in page.object_list))
    context = {"form": form, "page": page, "search": search, "nav": "patients"}
    template = "patients/_patient_rows.html" if request.htmx else "patients/patient_list.html"
    return render(request, template, context)


@login_required
@permission_required("patients.view_patient", raise_exception=True)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from scheduling.reminders.selectors import reminders_for_patient
    from scheduling.selectors.appointments import patient_overview

    try:
        patient = selectors.patient_for_detail(pk=pk)
    except Patient.DoesNotExist as exc:
        raise Http404("No such patient.") from exc
    patient_shown(request, patient)
    context = {
        "patient": patient,
        "nav": "patients",
        "reminders": reminders_for_patient(patient_id=patient.pk),
        **patient_overview(patient=patient),
    }
    return render(request, "patients/patient_detail.html", context)


def _patient_form_page(request: HttpRequest, patient: Patient | None) -> HttpResponse:
    form = PatientForm(request.POST or None, instance=patient)
    contacts = EmergencyContactFormSet(request.POST or None, instance=patient or Patient(), prefix="contacts")
    duplicates = []
    if request.method == "POST" and form.is_valid() and contacts.is_valid():
        duplicates = _unconfirmed_duplicates(request, form, patient)
        if not duplicates:
            patient = form.save(commit=False)
            contacts.instance = patient
            changed = contacts.save(commit=False)
            saved = services.patient_save(patient=patient, contacts=changed, removed_contacts=contacts.deleted_objects)
            messages.success(request, f"{saved.full_name} is saved.")
            return redirect(saved)
    patient_shown(request, patient)
    patients_shown(request, [duplicate.patient for duplicate in duplicates])
    context = {
        "form": form,
        "contacts": contacts,
        "patient": patient,
        "nav": "patients",
        "duplicates": duplicates,
        "duplicate_ids": ",".join(str(duplicate.patient.pk) for duplicate in duplicates),
    }
    # 409: nothing is saved until the user confirms this is not one of the patients shown
    status = (409 if duplicates else 400) if request.method == "POST" else 200
    return render(request, "patients/patient_form.html", context, status=status)


def _unconfirmed_duplicates(request: HttpRequest, form: PatientForm, patient: Patient | None) -> list:
    """Patients who may be the same person, unless the user has already seen exactly these and saved anyway."""
    data = form.cleaned_data
    duplicates = possible_duplicates(
        first_name=data["first_name"],
        last_name=data["last_name"],
        date_of_birth=data["date_of_birth"],
        email=data.get("email", ""),
        mrn=data["mrn"],
        exclude_pk=patient.pk if patient else None,
    )
    confirmed = set(request.POST.get("confirm_duplicates", "").split(","))
    return [] if all(str(duplicate.patient.pk) in confirmed for duplicate in duplicates) else duplicates


@login_required
@permission_required("patients.add_patient", raise_exception=True)
def patient_create(request: HttpRequest) -> HttpResponse:
    return _patient_form_page(request, None)


@login_required
@permission_required("patients.change_patient", raise_exception=True)
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _patient_form_page(request, get_object_or_404(Patient, pk=pk))


@login_required
@permission_required("patients.add_screening", raise_exception=True)
def screening_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a safety check result: first choose the check, then one of its answers or its measured value."""
    patient = get_object_or_404(Patient, pk=pk)
    code = request.POST.get("kind") if request.method == "POST" else request.GET.get("kind")
    check = active_checks().filter(code=code).first() if code else None
    context = {"patient": patient, "nav": "patients"}
    if check is None:
        chooser = CheckChoiceForm(request.GET if code else None)
        if code:
            chooser.is_valid()
        status = 400 if request.method == "POST" or code else 200
        patient_shown(request, patient)
        return render(request, "patients/screening_form.html", {**context, "chooser": chooser}, status=status)
    form = ScreeningForm(request.POST or None, check=check)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            screening = services.screening_record(
                patient=patient,
                kind=check,
                taken_on=data["taken_on"],
                result=data.get("result", ""),
                value=data.get("value"),
                valid_days=data["valid_days"],
                notes=data["notes"],
                user=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{screening} is recorded for {patient.full_name}.")
            return redirect(patient)
    status = 400 if request.method == "POST" else 200
    patient_shown(request, patient)
    return render(request, "patients/screening_form.html", {**context, "form": form, "check": check}, status=status)
