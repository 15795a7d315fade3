"""Access logging for views that show a patient's record: a decorator and a mixin.

Every successful (200) view of a patient's record writes one PatientAccess row.
"""

from __future__ import annotations

from functools import wraps

from patients.models import Patient
from patients.services import patient_access_record


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
            if response.status_code == 200 and request.user.is_authenticated:
                patient_id = kwargs.get(patient_kwarg)
                if patient_id is not None:
                    patient_access_record(user=request.user, patient=int(patient_id), request=request)
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
        if response.status_code == 200 and request.user.is_authenticated:
            patient = self.get_access_patient()
            if patient is not None:
                patient_access_record(user=request.user, patient=patient, request=request)
        return response
