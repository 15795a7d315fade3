"""The project's URLconf plus small probe views that the security tests drive."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from infusion_center.urls import urlpatterns as project_urlpatterns
from patients.access import PatientAccessLogMixin, logs_patient_access
from patients.models import Patient


@login_required
def protected(request):
    return HttpResponse("protected page")


def show_messages(request):
    return HttpResponse("\n".join(str(m) for m in messages.get_messages(request)))


_PAGE = engines["django"].from_string(
    '<!doctype html><form method="post">{% csrf_token %}</form><script nonce="{{ CSP_NONCE }}">1</script>'
)


def page_with_form(request):
    get_token(request)
    request.session["visited"] = True
    return HttpResponse(_PAGE.render({}, request))


@login_required
@logs_patient_access
def patient_page(request, pk):
    patient = Patient.objects.filter(pk=pk).first()
    if patient is None:
        return HttpResponse("not found", status=404)
    return HttpResponse(patient.full_name)


class PatientDetailProbe(PatientAccessLogMixin, DetailView):
    model = Patient

    def render_to_response(self, context, **kwargs):
        return HttpResponse(self.object.full_name)


@login_required
@require_POST
def rename_patient(request, pk):
    patient = Patient.objects.get(pk=pk)
    patient.last_name = request.POST["last_name"]
    patient.save()
    return HttpResponse("saved")


urlpatterns = [
    path("_probe/protected/", protected, name="probe-protected"),
    path("_probe/messages/", show_messages, name="probe-messages"),
    path("_probe/form/", page_with_form, name="probe-form"),
    path("_probe/patient/<int:pk>/", patient_page, name="probe-patient"),
    path("_probe/patient-cbv/<int:pk>/", PatientDetailProbe.as_view(), name="probe-patient-cbv"),
    path("_probe/patient/<int:pk>/rename/", rename_patient, name="probe-rename"),
    *project_urlpatterns,
]
