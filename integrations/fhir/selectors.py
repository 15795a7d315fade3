"""Reads for the FHIR API: search parameters parsed into querysets, with errors a client can act on."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from integrations.fhir.resources import APPOINTMENT_STATUS
from patients.models import Patient
from scheduling.models import Appointment, Chair, TreatmentPlan
from scheduling.selectors.center import center_tz

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
DEFAULT_COUNT = 20


def as_pk(value: str) -> int | None:
    """A database id from a FHIR id, or None (not digits, or too large for any row)."""
    return int(value) if value.isdigit() and len(value) <= 18 else None


class SearchError(Exception):
    """A search parameter the server cannot use: answered 400 with an OperationOutcome."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class DateBound:
    prefix: str
    start: datetime.datetime  # the instant or the first moment of the day given
    end: datetime.datetime  # exclusive end of the precision given


def parse_date(name: str, raw: str) -> DateBound:
    prefix = raw[:2] if raw[:2] in PREFIXES else "eq"
    value = raw[2:] if raw[:2] in PREFIXES else raw
    tz = center_tz()
    try:
        if len(value) == 10:
            day = datetime.date.fromisoformat(value)
            start = datetime.datetime.combine(day, datetime.time(), tzinfo=tz)
            return DateBound(prefix, start, start + datetime.timedelta(days=1))
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(
            f"{name}={raw}: not a FHIR date (YYYY-MM-DD or an instant), with an optional prefix ge, le, gt, lt or eq."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return DateBound(prefix, moment, moment + datetime.timedelta(seconds=1))


def date_filter(field: str, bounds: list[DateBound]) -> Q:
    q = Q()
    for b in bounds:
        if b.prefix == "eq":
            q &= Q(**{f"{field}__gte": b.start, f"{field}__lt": b.end})
        elif b.prefix == "ne":
            q &= ~Q(**{f"{field}__gte": b.start, f"{field}__lt": b.end})
        elif b.prefix in ("gt", "sa"):
            q &= Q(**{f"{field}__gte": b.end})
        elif b.prefix == "ge":
            q &= Q(**{f"{field}__gte": b.start})
        elif b.prefix in ("lt", "eb"):
            q &= Q(**{f"{field}__lt": b.start})
        elif b.prefix == "le":
            q &= Q(**{f"{field}__lt": b.end})
    return q


def reference_id(name: str, raw: str, kind: str) -> str:
    """'Patient/12', a full URL ending in it, or '12' -> '12'."""
    value = raw.rstrip("/")
    if "/" in value:
        parts = value.split("/")
        if parts[-2] != kind:
            raise SearchError(f"{name}={raw}: expected a reference to a {kind}.")
        value = parts[-1]
    if not value:
        raise SearchError(f"{name}={raw}: empty reference.")
    return value


def chair_pk(name: str, raw: str, kind: str) -> int:
    value = reference_id(name, raw, kind)
    pk = as_pk(value[6:]) if value.startswith("chair-") else None
    if pk is None:
        raise SearchError(f"{name}={raw}: unknown {kind} (ids look like chair-1).")
    return pk


def patient_pk(name: str, raw: str) -> int:
    pk = as_pk(reference_id(name, raw, "Patient"))
    if pk is None:
        raise SearchError(f"{name}={raw}: unknown Patient.")
    return pk


def page_params(params) -> tuple[int, int]:
    try:
        count = int(params.get("_count", DEFAULT_COUNT))
        page = int(params.get("page", 1))
    except ValueError:
        raise SearchError("_count and page must be whole numbers.") from None
    if count < 0 or not 1 <= page <= 1_000_000:
        raise SearchError("_count must be 0 or more and page between 1 and 1000000.")
    return min(count, settings.FHIR_PAGE_SIZE_MAX), page


def patients_search(params) -> QuerySet[Patient]:
    queryset = Patient.objects.prefetch_related("emergency_contacts").order_by("pk")
    if "_id" in params:
        ids = [as_pk(v) for v in params.get("_id").split(",") if v]
        queryset = queryset.filter(pk__in=[pk for pk in ids if pk is not None])
    if "identifier" in params:
        value = params.get("identifier").split("|")[-1]
        queryset = queryset.filter(mrn=value)
    if "name" in params:
        name = params.get("name")
        queryset = queryset.filter(Q(first_name__istartswith=name) | Q(last_name__istartswith=name))
    if "birthdate" in params:
        bound = parse_date("birthdate", params.get("birthdate"))
        day = bound.start.date()
        lookups = {"eq": "", "ge": "__gte", "le": "__lte", "gt": "__gt", "lt": "__lt"}
        if bound.prefix not in lookups:
            raise SearchError(f"birthdate: the prefix {bound.prefix} is not supported.")
        queryset = queryset.filter(**{f"date_of_birth{lookups[bound.prefix]}": day})
    return queryset


FHIR_TO_STATUSES: dict[str, list[str]] = {}
for _ours, _theirs in APPOINTMENT_STATUS.items():
    FHIR_TO_STATUSES.setdefault(_theirs, []).append(_ours)


def appointments_search(params) -> QuerySet[Appointment]:
    queryset = Appointment.objects.select_related("patient", "chair", "phase__drug").order_by("premed_start", "pk")
    if "_id" in params:
        queryset = queryset.filter(uid__in=[_uuid(v) for v in params.get("_id").split(",") if v])
    if params.getlist("date"):
        queryset = queryset.filter(date_filter("premed_start", [parse_date("date", v) for v in params.getlist("date")]))
    for name in ("patient", "actor"):
        for raw in params.getlist(name):
            if name == "actor" and "Location/" in raw:
                queryset = queryset.filter(chair_id=chair_pk(name, raw, "Location"))
            else:
                queryset = queryset.filter(patient_id=patient_pk(name, raw))
    for raw in params.getlist("location"):
        queryset = queryset.filter(chair_id=chair_pk("location", raw, "Location"))
    if "status" in params:
        wanted = [s for s in params.get("status").split(",") if s]
        unknown = [s for s in wanted if s not in FHIR_TO_STATUSES]
        if unknown:
            raise SearchError(
                f"status={','.join(unknown)}: this server uses " + ", ".join(sorted(FHIR_TO_STATUSES)) + "."
            )
        queryset = queryset.filter(status__in=[o for s in wanted for o in FHIR_TO_STATUSES[s]])
    if "service-type" in params:
        code = as_pk(params.get("service-type").split("|")[-1])
        queryset = queryset.filter(phase__drug_id=code) if code is not None else queryset.none()
    return queryset


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)


def appointment_get(uid: str) -> Appointment | None:
    return appointments_search(QueryDict()).filter(uid=_uuid(uid)).first() if uid else None


def nurses_by_appointment(appointment_ids: list[int]) -> dict[int, str]:
    """The nurse who started each infusion, where the history knows it."""
    if not appointment_ids:
        return {}
    history = Appointment.history.model
    found: dict[int, str] = {}
    rows = (
        history.objects.filter(id__in=appointment_ids, status=Appointment.Status.INFUSING, history_user__isnull=False)
        .order_by("history_date")
        .values_list("id", "history_user__first_name", "history_user__last_name", "history_user__username")
    )
    for pk, first, last, username in rows:
        found.setdefault(pk, f"{first} {last}".strip() or username)
    return found


def chairs_search(params) -> QuerySet[Chair]:
    queryset = Chair.objects.order_by("position", "name")
    if "_id" in params:
        ids = [as_pk(v[6:]) for v in params.get("_id").split(",") if v.startswith("chair-")]
        queryset = queryset.filter(pk__in=[pk for pk in ids if pk is not None])
    if "name" in params:
        queryset = queryset.filter(name__istartswith=params.get("name"))
    if "status" in params:
        queryset = queryset.filter(is_active=params.get("status") == "active")
    if "active" in params:
        queryset = queryset.filter(is_active=params.get("active") == "true")
    if "actor" in params:
        queryset = queryset.filter(pk=chair_pk("actor", params.get("actor"), "Location"))
    return queryset


def chair_get(resource_id: str) -> Chair | None:
    pk = as_pk(resource_id[6:]) if resource_id.startswith("chair-") else None
    return Chair.objects.filter(pk=pk).first() if pk is not None else None


@dataclass(frozen=True)
class SlotQuery:
    plan: TreatmentPlan
    chair_id: int | None
    date_from: datetime.date | None
    date_to: datetime.date | None


def slot_query(params) -> SlotQuery:
    """Slot?patient=&service-type=&schedule=&start=ge..&start=le..: the patient's active plan and the range."""
    if "patient" not in params:
        raise SearchError("Slot search needs patient=Patient/<id>: free slots are for a patient's next dose.")
    patient_id = patient_pk("patient", params.get("patient"))
    plans = TreatmentPlan.objects.filter(patient_id=patient_id, status=TreatmentPlan.Status.ACTIVE).select_related(
        "drug", "patient"
    )
    if "service-type" in params:
        code = as_pk(params.get("service-type").split("|")[-1])
        plans = plans.filter(drug_id=code) if code is not None else plans.none()
    plans = list(plans)
    if not plans:
        raise SearchError(
            "The patient has no active treatment plan"
            + (" for that service-type." if "service-type" in params else ".")
        )
    if len(plans) > 1:
        options = ", ".join(f"{p.drug_id} ({p.drug.name})" for p in plans)
        raise SearchError(f"The patient has several active plans: give service-type, one of {options}.")
    chair = chair_pk("schedule", params.get("schedule"), "Schedule") if "schedule" in params else None
    date_from = date_to = None
    today = timezone.localdate(timezone.now(), center_tz())
    for raw in params.getlist("start"):
        bound = parse_date("start", raw)
        day = timezone.localtime(bound.start, center_tz()).date()
        if bound.prefix in ("ge", "eq", "gt", "sa"):
            date_from = day + datetime.timedelta(days=1) if bound.prefix in ("gt", "sa") else day
        if bound.prefix in ("le", "eq", "lt", "eb"):
            date_to = day - datetime.timedelta(days=1) if bound.prefix in ("lt", "eb") else day
    if date_from and date_to and (date_to - date_from).days > 92:
        raise SearchError("Search at most 92 days of slots at a time.")
    if date_to is not None and date_from is None:
        date_from = today
    return SlotQuery(plans[0], chair, date_from, date_to)


def status_of_slot_search(params) -> None:
    if "status" in params and params.get("status") not in ("free", ""):
        raise SearchError("Only free slots are published (status=free).")
