"""Audit trail reads: the change history of every history-tracked model, newest first, with field diffs.

The history tables differ in shape, so one page is read in a fixed number of queries: a UNION of the
common columns (who, when, what kind of change, which patient, the previous version's id) for the count
and the page, then one query per model present on the page for the versions and their previous versions,
one for the users and one for the patients.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Cast

from infusion_center import formats
from patients.models import Patient

AUDITED_APPS = ("patients", "scheduling", "authorisations", "pharmacy", "daylist")
NOT_SHOWN_IN_DIFFS = {"updated_at"}
TYPE_LABELS = {"+": "Created", "~": "Changed", "-": "Deleted"}


def tracked_models() -> list[type[models.Model]]:
    """Models of the audited apps that keep a django-simple-history trail."""
    found = []
    for label in AUDITED_APPS:
        for model in apps.get_app_config(label).get_models():
            if hasattr(model._meta, "simple_history_manager_attribute") and not model.__name__.startswith("Historical"):
                found.append(model)
    return found


def _history_model(model: type[models.Model]) -> type[models.Model]:
    return getattr(model, model._meta.simple_history_manager_attribute).model


def _patient_expression(model: type[models.Model]):
    """How a version of `model` names its patient, or None when the model is not about one patient."""
    if model is Patient:
        return F("id")
    names = {f.name for f in model._meta.get_fields()}
    if "patient" in names:
        return F("patient_id")
    if "appointment" in names:
        return F("appointment__patient_id")
    if "plan" in names:
        return F("plan__patient_id")
    return None


def change_history(*, patient_id: int | None = None, user_id: int | None = None):
    """The UNION queryset of every tracked model's versions (plain rows), newest first."""
    parts = []
    for model in tracked_models():
        history = _history_model(model)
        patient_expr = _patient_expression(model)
        if patient_id is not None and patient_expr is None:
            continue
        qs = history.objects.order_by()  # no per-part ordering: the union is ordered as a whole
        if user_id is not None:
            qs = qs.filter(history_user_id=user_id)
        previous = (
            history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
            .order_by("-history_id")
            .values("history_id")[:1]
        )
        qs = qs.annotate(
            model_label=Value(model._meta.label_lower, output_field=models.CharField()),
            patient_ref=Cast(patient_expr if patient_expr is not None else Value(None), models.BigIntegerField()),
            previous_history_id=Subquery(previous, output_field=models.BigIntegerField()),
        )
        if patient_id is not None:
            qs = qs.filter(patient_ref=patient_id)
        parts.append(
            qs.values(
                "history_id",
                "history_date",
                "history_type",
                "history_user_id",
                "history_change_reason",
                "model_label",
                "patient_ref",
                "previous_history_id",
            )
        )
    if not parts:
        return Patient.history.none().values("history_id")
    first, *rest = parts
    return first.union(*rest, all=True).order_by("-history_date", "-history_id")


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class ChangeEntry:
    when: datetime.datetime
    kind: str
    model_name: str
    object_id: int | None
    user: object | None
    patient: Patient | None
    patient_id: int | None
    reason: str
    changes: list[FieldChange] = field(default_factory=list)
    object_name: str = ""  # the record as staff know it ("Chair 7", "Sofia Doyle"); empty once deleted


# Linked records are named the way staff know them; these need their own links read with them.
_NAME_JOINS = {
    "scheduling.appointment": ("patient", "phase__drug"),
    "scheduling.treatmentplan": ("patient", "drug"),
    "scheduling.regimenphase": ("drug",),
    "scheduling.screeningrequirement": ("drug",),
    "scheduling.closure": ("chair",),
    "scheduling.premedication": (),
}
# Records whose name reads a list of related rows: fetched with the names, not one query per record.
_NAME_PREFETCHES = {"patients.screening": ("kind__answers",)}


def _record_name(obj) -> str:
    if isinstance(obj, Patient):
        return obj.full_name
    if isinstance(obj, get_user_model()):
        return obj.get_full_name() or obj.get_username()
    label = obj._meta.label_lower
    if label == "scheduling.appointment":
        return f"{obj.patient.full_name}, {obj.phase.drug.name} {formats.date(obj.local_date)}"
    if label == "scheduling.treatmentplan":
        return f"{obj.patient.full_name}'s {obj.drug.name} plan"
    return str(obj)


Names = dict[tuple[str, object], str]


def _names(wanted: dict[tuple[type[models.Model], str], set]) -> Names:
    """The names of linked records, one query per kind of record and the field links point at (the primary key,
    or a foreign key's own target such as a check's code)."""
    names: Names = {}
    for (model, key), ids in wanted.items():
        ids = {i for i in ids if i is not None}
        if not ids:
            continue
        label = model._meta.label_lower
        queryset = model._default_manager.all()
        joins = _NAME_JOINS.get(label)
        if joins is None:
            joins = [f.name for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
        if joins:
            queryset = queryset.select_related(*joins)
        if label in _NAME_PREFETCHES:
            queryset = queryset.prefetch_related(*_NAME_PREFETCHES[label])
        for obj in queryset.filter(**{f"{key}__in": ids}):
            names[(label, getattr(obj, key))] = _record_name(obj)
    return names


def _display(model_field: models.Field, value, names: Names | None = None) -> str:
    if value is None or value == "":
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        related = model_field.related_model._meta.label_lower
        return (names or {}).get((related, value), f"#{value} (deleted)" if names is not None else f"#{value}")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        return formats.datetime(value)
    if isinstance(value, datetime.date):
        return formats.date(value)
    return str(value)


def _label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a field removed since the version was written
        return name


def _field_changes(model: type[models.Model], record, previous, names: Names | None = None) -> list[FieldChange]:
    if record.history_type == "-":
        return []
    if previous is None:
        changes = []
        for model_field in record.instance_type._meta.concrete_fields:
            if model_field.primary_key or model_field.name in NOT_SHOWN_IN_DIFFS or not model_field.editable:
                continue
            value = getattr(record, model_field.attname, None)
            if value is None or value == "":
                continue
            changes.append(FieldChange(_label(model, model_field.name), "", _display(model_field, value, names)))
        return changes
    delta = record.diff_against(previous, excluded_fields=NOT_SHOWN_IN_DIFFS)
    result = []
    for change in delta.changes:
        model_field = model._meta.get_field(change.field)
        result.append(
            FieldChange(
                _label(model, change.field),
                _display(model_field, change.old, names),
                _display(model_field, change.new, names),
            )
        )
    return result


def change_entries(rows: list[dict]) -> list[ChangeEntry]:
    """Turn one page of change_history() rows into entries with their field diffs, in a fixed number of queries."""
    by_model: dict[str, set[int]] = {}
    for row in rows:
        ids = by_model.setdefault(row["model_label"], set())
        ids.add(row["history_id"])
        if row["previous_history_id"] is not None:
            ids.add(row["previous_history_id"])
    versions: dict[tuple[str, int], object] = {}
    for label, ids in by_model.items():
        model = apps.get_model(label)
        for record in _history_model(model).objects.filter(history_id__in=ids):
            versions[(label, record.history_id)] = record
    wanted: dict[tuple[type[models.Model], str], set] = defaultdict(set)
    for (label, _), record in versions.items():
        model = apps.get_model(label)
        wanted[(model, model._meta.pk.attname)].add(record.id)
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.ForeignKey):
                target = (model_field.related_model, model_field.target_field.attname)
                wanted[target].add(getattr(record, model_field.attname, None))
    names = _names(wanted)
    users = get_user_model()._default_manager.in_bulk({r["history_user_id"] for r in rows if r["history_user_id"]})
    patients = Patient.objects.in_bulk({r["patient_ref"] for r in rows if r["patient_ref"]})

    entries = []
    for row in rows:
        label = row["model_label"]
        model = apps.get_model(label)
        record = versions.get((label, row["history_id"]))
        previous = versions.get((label, row["previous_history_id"])) if row["previous_history_id"] else None
        entries.append(
            ChangeEntry(
                when=row["history_date"],
                kind=TYPE_LABELS.get(row["history_type"], row["history_type"]),
                model_name=str(model._meta.verbose_name).capitalize(),
                object_id=getattr(record, "id", None),
                object_name=names.get((label, getattr(record, "id", None)), ""),
                user=users.get(row["history_user_id"]),
                patient=patients.get(row["patient_ref"]),
                patient_id=row["patient_ref"],
                reason=row["history_change_reason"] or "",
                changes=_field_changes(model, record, previous, names) if record is not None else [],
            )
        )
    return entries
