"""FHIR R4 read API (JSON only). Each view checks the token's scope, reads through the selectors, answers a
resource or a searchset Bundle, and logs every patient it returns. Errors are OperationOutcome resources."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from integrations.fhir import resources as r
from integrations.fhir import selectors as s
from integrations.fhir.auth import fhir_caller
from integrations.fhir.services import fhir_access_record
from scheduling.services.booking import slots_search

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}


def fhir_response(resource, status: int = 200) -> HttpResponse:
    response = HttpResponse(resource.model_dump_json(exclude_none=True), status=status, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def outcome(status: int, code: str, text: str) -> HttpResponse:
    response = fhir_response(r.operation_outcome(code, text), status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="fhir"'
    elif status == 403:
        response["WWW-Authenticate"] = 'Bearer realm="fhir", error="insufficient_scope"'
    return response


def _wants_other_format(request: HttpRequest) -> bool:
    fmt = request.GET.get("_format")
    if fmt:
        return fmt not in JSON_FORMATS
    accept = request.headers.get("Accept", "")
    if not accept or "*/*" in accept:
        return False
    offered = {part.split(";")[0].strip() for part in accept.split(",")}
    return not offered & (JSON_FORMATS | {"application/*"})


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir").rstrip("/")


def fhir_view(scope: str | None):
    def decorate(view):
        @require_GET
        @never_cache
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if _wants_other_format(request):
                return outcome(406, "not-supported", "This server answers JSON only (application/fhir+json).")
            caller = None
            if scope is not None:
                caller = fhir_caller(request)
                if caller is None:
                    return outcome(401, "login", "A valid bearer token is required (OAuth 2.0 client credentials).")
                if scope not in caller.scopes:
                    return outcome(403, "forbidden", f"The token lacks the scope {scope}.")
            try:
                return view(request, caller, *args, **kwargs)
            except s.SearchError as exc:
                return outcome(400, "invalid", exc.message)

        return wrapper

    return decorate


def _page(request: HttpRequest, queryset, kind: str):
    count, page = s.page_params(request.GET)
    total = queryset.count()
    offset = (page - 1) * count
    items = list(queryset[offset : offset + count]) if count else []
    params = [(k, v) for k in request.GET for v in request.GET.getlist(k) if k != "page"]
    url = f"{base_url(request)}/{kind}"

    def link(number: int) -> str:
        return f"{url}?{urlencode([*params, ('page', number)])}"

    links = {"self": link(page), "first": link(1)}
    last = max((total + count - 1) // count, 1) if count else 1
    if page > 1:
        links["previous"] = link(page - 1)
    if count and page < last:
        links["next"] = link(page + 1)
    links["last"] = link(last)
    return items, total, links


@fhir_view(None)
def metadata(request: HttpRequest, caller) -> HttpResponse:
    return fhir_response(r.capability_statement(base_url(request)))


def not_found(kind: str, resource_id: str) -> HttpResponse:
    return outcome(404, "not-found", f"{kind}/{resource_id} is not known.")


@fhir_view("system/Patient.read")
def patient_read(request: HttpRequest, caller, resource_id: str) -> HttpResponse:
    pk = s.as_pk(resource_id)
    patient = s.patients_search(QueryDict()).filter(pk=pk).first() if pk is not None else None
    if patient is None:
        return not_found("Patient", resource_id)
    fhir_access_record(client_name=caller.client_name, patient_ids=[patient.pk], request=request)
    return fhir_response(r.patient_resource(patient))


@fhir_view("system/Patient.read")
def patient_search(request: HttpRequest, caller) -> HttpResponse:
    items, total, links = _page(request, s.patients_search(request.GET), "Patient")
    fhir_access_record(client_name=caller.client_name, patient_ids=[p.pk for p in items], request=request)
    return fhir_response(
        r.searchset([r.patient_resource(p) for p in items], total=total, links=links, base=base_url(request))
    )


def _appointments(items):
    nurses = s.nurses_by_appointment([a.pk for a in items])
    return [r.appointment_resource(a, nurse=nurses.get(a.pk)) for a in items]


@fhir_view("system/Appointment.read")
def appointment_read(request: HttpRequest, caller, resource_id: str) -> HttpResponse:
    appointment = s.appointment_get(resource_id)
    if appointment is None:
        return not_found("Appointment", resource_id)
    fhir_access_record(client_name=caller.client_name, patient_ids=[appointment.patient_id], request=request)
    return fhir_response(_appointments([appointment])[0])


@fhir_view("system/Appointment.read")
def appointment_search(request: HttpRequest, caller) -> HttpResponse:
    items, total, links = _page(request, s.appointments_search(request.GET), "Appointment")
    fhir_access_record(client_name=caller.client_name, patient_ids=[a.patient_id for a in items], request=request)
    return fhir_response(r.searchset(_appointments(items), total=total, links=links, base=base_url(request)))


@fhir_view("system/Schedule.read")
def schedule_read(request: HttpRequest, caller, resource_id: str) -> HttpResponse:
    chair = s.chair_get(resource_id)
    return fhir_response(r.schedule_resource(chair)) if chair else not_found("Schedule", resource_id)


@fhir_view("system/Schedule.read")
def schedule_search(request: HttpRequest, caller) -> HttpResponse:
    items, total, links = _page(request, s.chairs_search(request.GET), "Schedule")
    return fhir_response(
        r.searchset([r.schedule_resource(c) for c in items], total=total, links=links, base=base_url(request))
    )


@fhir_view("system/Location.read")
def location_read(request: HttpRequest, caller, resource_id: str) -> HttpResponse:
    chair = s.chair_get(resource_id)
    return fhir_response(r.location_resource(chair)) if chair else not_found("Location", resource_id)


@fhir_view("system/Location.read")
def location_search(request: HttpRequest, caller) -> HttpResponse:
    items, total, links = _page(request, s.chairs_search(request.GET), "Location")
    return fhir_response(
        r.searchset([r.location_resource(c) for c in items], total=total, links=links, base=base_url(request))
    )


@fhir_view("system/Slot.read")
def slot_search(request: HttpRequest, caller) -> HttpResponse:
    """Free times for the patient's next dose, computed by the engine as the booking page offers them."""
    s.status_of_slot_search(request.GET)
    query = s.slot_query(request.GET)
    count, _page_number = s.page_params(request.GET)
    found = slots_search(
        plan=query.plan,
        date_from=query.date_from,
        date_to=query.date_to,
        chair_id=query.chair_id,
        limit=max(count, 1),
    )
    fhir_access_record(client_name=caller.client_name, patient_ids=[query.plan.patient_id], request=request)
    slots = [r.slot_resource(slot, plan=query.plan, drug=query.plan.drug) for slot in found.slots][:count]
    note = None
    if not slots and found.reasons:
        note = r.operation_outcome("informational", " ".join(found.reasons), severity="information")
    url = f"{base_url(request)}/Slot?{request.GET.urlencode()}"
    return fhir_response(
        r.searchset(slots, total=len(slots), links={"self": url}, base=base_url(request), outcome=note)
    )
