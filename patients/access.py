"""Access logging for every response that shows a patient's identifying or clinical data.

A view (or an admin page) says which patients its response shows with `patients_shown(request, patients)`;
`PatientAccessMiddleware` then writes one PatientAccess row per patient, in one INSERT, once the response is
known to show them (a page answered, or a form re-shown with its errors; not a redirect, 403 or 404).

The chair board's background refresh (htmx polling) shows the same patients again and again: a patient already
logged for that user and page within `REFRESH_MINUTES` is not logged again by a background request.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from functools import wraps

from django.contrib.admin.utils import unquote
from django.utils import timezone

from infusion_center.paging import EstimatedCountPaginator
from patients.models import Patient, PatientAccess
from patients.services import patient_accesses_record

_SHOWN = "_patients_shown"
REFRESH_MINUTES = 15
# Answers that show the page's data: pages, and forms shown again with their errors or a conflict.
_SHOWING_STATUSES = {200, 400, 409, 422}


def patients_shown(request, patients: Iterable[Patient | int | None]) -> None:
    """Note that the response to `request` shows these patients (objects or ids; None is ignored)."""
    shown = getattr(request, _SHOWN, None)
    if shown is None:
        shown = {}
        setattr(request, _SHOWN, shown)
    for patient in patients:
        patient_id = patient.pk if isinstance(patient, Patient) else patient
        if patient_id is not None:
            shown[int(patient_id)] = None


def patient_shown(request, patient: Patient | int | None) -> None:
    patients_shown(request, [patient])


class PatientAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        shown = getattr(request, _SHOWN, None)
        user = getattr(request, "user", None)
        if shown and user is not None and user.is_authenticated and response.status_code in _SHOWING_STATUSES:
            patient_ids = list(shown)
            if _is_background(request):
                patient_ids = _not_logged_recently(request, user, patient_ids)
            if patient_ids:
                patient_accesses_record(user=user, patient_ids=patient_ids, request=request)
        return response


def _is_background(request) -> bool:
    from infusion_center.session_timeout import is_background_request

    return is_background_request(request)


def _not_logged_recently(request, user, patient_ids: list[int]) -> list[int]:
    since = timezone.now() - datetime.timedelta(minutes=REFRESH_MINUTES)
    match = getattr(request, "resolver_match", None)
    logged = set(
        PatientAccess.objects.filter(
            user=user,
            view_name=(match.view_name if match is not None else "")[:200],
            patient_id__in=patient_ids,
            accessed_at__gte=since,
        )
        .order_by()
        .values_list("patient_id", flat=True)
        .distinct()  # a patient once: each full page of the board logged all of them again
    )
    return [pid for pid in patient_ids if pid not in logged]


def logs_patient_access(view=None, *, patient_kwarg: str = "pk"):
    """Decorate a function view whose URL carries the patient's id in `patient_kwarg`.

    @login_required
    @logs_patient_access
    def patient_detail(request, pk): ...

    @logs_patient_access(patient_kwarg="patient_id")
    def screening_list(request, patient_id): ...
    """

    def decorator(func):
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            response = func(request, *args, **kwargs)
            if response.status_code == 200:
                patient_shown(request, kwargs.get(patient_kwarg))
            return response

        return wrapped

    return decorator(view) if view is not None else decorator


class PatientAccessLogMixin:
    """For class-based views: logs the access once the response is a 200.

    The patient is `self.object` when it is a Patient, else `self.get_access_patient()` (override it), else
    the id in the URL kwarg named by `access_patient_kwarg`.
    """

    access_patient_kwarg = "pk"

    def get_access_patient(self) -> Patient | int | None:
        obj = getattr(self, "object", None)
        if isinstance(obj, Patient):
            return obj
        value = self.kwargs.get(self.access_patient_kwarg)
        return int(value) if value is not None else None

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 200:
            patient_shown(request, self.get_access_patient())
        return response


class PatientAccessAdminMixin:
    """For the ModelAdmin of a patient's records: the list logs each patient on the page; the change, history,
    history-version and delete pages log the record's patient.

    `access_patient_attribute` names the attribute path from the record to the patient's id.
    """

    access_patient_attribute = "patient_id"
    # Patients' records are the large tables: no second COUNT(*) of the whole table for "N total", and the
    # planner's estimate for an unfiltered list (see infusion_center.paging).
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def access_patient_id(self, obj) -> int | None:
        value = obj
        for part in self.access_patient_attribute.split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def _note_object(self, request, object_id) -> None:
        if object_id is None:
            return
        obj = self.get_object(request, unquote(str(object_id)))
        if obj is not None:
            patient_shown(request, self.access_patient_id(obj))

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            patients_shown(request, (self.access_patient_id(obj) for obj in changelist.result_list))
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        self._note_object(request, object_id)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._note_object(request, object_id)
        return response

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        self._note_object(request, object_id)
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        response = super().history_form_view(request, object_id, version_id, extra_context)
        self._note_object(request, object_id)
        return response
