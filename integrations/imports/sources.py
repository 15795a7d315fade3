"""Reading import files into rows of text values: CSV with the documented columns, or a FHIR R4 Bundle."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from pydantic import ValidationError

from integrations.imports.columns import COLUMNS, FHIR, PATIENTS

# SNOMED CT codes of the MS types (Condition.code) and LOINC codes of body height and weight (Observation.code).
MS_TYPE_SNOMED = {"426373005": "RRMS", "425500002": "SPMS", "428700003": "PPMS", "445967004": "CIS"}
LOINC_HEIGHT = "8302-2"
LOINC_WEIGHT = "29463-7"
FHIR_GENDER = {"female": "F", "male": "M", "other": "X", "unknown": "X"}


@dataclass
class SourceRow:
    """One row of one file: its number as the user sees it, and the cells as text."""

    file: str
    kind: str
    row: int
    values: dict[str, str]
    columns: dict[str, str] = field(default_factory=dict)  # field name -> where it came from (FHIR element path)

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


@dataclass
class FileProblem:
    file: str
    message: str


def read_csv(kind: str, name: str, text: str) -> tuple[list[SourceRow], list[FileProblem]]:
    """Rows numbered as in a spreadsheet (the header is row 1). Unknown columns are a problem, not ignored."""
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    known = {c.name for c in COLUMNS[kind]}
    problems = []
    if not header:
        return [], [FileProblem(name, "The file is empty: it needs a header row with the column names.")]
    unknown = [h for h in header if h and h not in known]
    if unknown:
        problems.append(
            FileProblem(
                name,
                f"Unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: the columns are "
                + ", ".join(c.name for c in COLUMNS[kind])
                + ".",
            )
        )
    missing = [c.name for c in COLUMNS[kind] if c.required and c.name not in header]
    if missing:
        problems.append(
            FileProblem(name, f"Required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}.")
        )
    if problems:
        return [], problems
    rows = []
    for number, raw in enumerate(reader, start=2):
        values = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(values.values()):
            continue  # blank line
        rows.append(SourceRow(name, kind, number, values))
    return rows, problems


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def read_fhir_bundle(name: str, text: str) -> tuple[list[SourceRow], list[FileProblem]]:
    """Patients from a Bundle of Patient resources, with their AllergyIntolerance, Condition (MS type and other
    conditions) and body height/weight Observation resources when the bundle has them. Validated with the R4 models."""
    from fhir.resources.R4B.bundle import Bundle

    try:
        data = json.loads(text)
    except ValueError as exc:
        return [], [FileProblem(name, f"Not JSON: {exc}.")]
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        return [], [FileProblem(name, 'Not a FHIR Bundle: resourceType must be "Bundle".')]
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return [], [FileProblem(name, f"Not a valid FHIR R4 Bundle: {where}: {first['msg']}.")]
    patients: dict[str, SourceRow] = {}
    rows: list[SourceRow] = []
    others = []
    for number, entry in enumerate(bundle.entry or [], start=1):
        resource = entry.resource
        if resource is None:
            continue
        kind = resource.get_resource_type()
        if kind != "Patient":
            others.append((number, resource))
            continue
        row = _patient_row(name, number, resource)
        rows.append(row)
        for ref in {f"Patient/{resource.id}" if resource.id else None, entry.fullUrl}:
            if ref:
                patients[ref] = row
    for number, resource in others:
        subject = getattr(resource, "patient", None) or getattr(resource, "subject", None)
        row = patients.get(subject.reference) if subject is not None and subject.reference else None
        if row is None:
            continue
        _add_clinical(row, number, resource)
    if not rows:
        return [], [FileProblem(name, "The bundle has no Patient resources.")]
    return rows, []


def _patient_row(name: str, number: int, patient) -> SourceRow:
    values: dict[str, str] = {}
    columns: dict[str, str] = {}

    def put(field_name: str, value, path: str) -> None:
        values[field_name] = _text(value)
        columns[field_name] = f"entry {number} {path}"

    identifiers = patient.identifier or []
    mrn = next(
        (i.value for i in identifiers if i.type is not None and any(c.code == "MR" for c in (i.type.coding or []))),
        identifiers[0].value if identifiers else "",
    )
    put("mrn", mrn, "Patient.identifier (MR)")
    names = patient.name or []
    official = next((n for n in names if n.use == "official"), names[0] if names else None)
    put("first_name", " ".join(official.given or []) if official else "", "Patient.name.given")
    put("last_name", official.family if official else "", "Patient.name.family")
    put("date_of_birth", patient.birthDate.isoformat() if patient.birthDate else "", "Patient.birthDate")
    if patient.gender:
        put("sex", FHIR_GENDER.get(patient.gender, "X"), "Patient.gender")
    for point in patient.telecom or []:
        if point.system == "email" and "email" not in values:
            put("email", point.value, "Patient.telecom (email)")
        if point.system == "phone" and "phone" not in values:
            put("phone", point.value, "Patient.telecom (phone)")
    if patient.address:
        address = patient.address[0]
        text = address.text or ", ".join(p for p in [*(address.line or []), address.city, address.postalCode] if p)
        put("address", text, "Patient.address")
    for contact in patient.contact or []:
        if contact.name is None:
            continue
        full = contact.name.text or " ".join([*(contact.name.given or []), contact.name.family or ""])
        put("contact_name", full, "Patient.contact.name")
        relation = (contact.relationship or [None])[0]
        if relation is not None:
            put("contact_relationship", _concept_text(relation), "Patient.contact.relationship")
        phone = next((t.value for t in contact.telecom or [] if t.system == "phone"), "")
        put("contact_phone", phone, "Patient.contact.telecom")
        break
    return SourceRow(name, PATIENTS, number, values, columns)


def _concept_text(concept) -> str:
    if concept is None:
        return ""
    if concept.text:
        return concept.text
    return next((c.display or c.code for c in concept.coding or [] if c.display or c.code), "")


def _add_clinical(row: SourceRow, number: int, resource) -> None:
    kind = resource.get_resource_type()
    where = f"entry {number} {kind}"
    if kind == "AllergyIntolerance":
        text = _concept_text(resource.code)
        if text:
            row.values["allergies"] = "; ".join(v for v in [row.values.get("allergies", ""), text] if v)
            row.columns["allergies"] = f"{where}.code"
    elif kind == "Condition":
        codes = [c.code for c in (resource.code.coding or [])] if resource.code else []
        ms_type = next((MS_TYPE_SNOMED[c] for c in codes if c in MS_TYPE_SNOMED), None)
        if ms_type:
            row.values["ms_type"] = ms_type
            row.columns["ms_type"] = f"{where}.code"
        else:
            text = _concept_text(resource.code)
            if text:
                row.values["conditions"] = "; ".join(v for v in [row.values.get("conditions", ""), text] if v)
                row.columns["conditions"] = f"{where}.code"
    elif kind == "Observation" and resource.code is not None:
        codes = {c.code for c in resource.code.coding or []}
        quantity = resource.valueQuantity
        if quantity is None or quantity.value is None:
            return
        if LOINC_HEIGHT in codes:
            value = quantity.value * 100 if (quantity.code or quantity.unit) == "m" else quantity.value
            row.values["height_cm"] = str(value)
            row.columns["height_cm"] = f"{where}.valueQuantity"
        elif LOINC_WEIGHT in codes:
            row.values["weight_kg"] = str(quantity.value)
            row.columns["weight_kg"] = f"{where}.valueQuantity"


def read_source(kind: str, name: str, text: str) -> tuple[list[SourceRow], list[FileProblem]]:
    if kind == FHIR:
        return read_fhir_bundle(name, text)
    return read_csv(kind, name, text)
