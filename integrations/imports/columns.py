"""The documented columns of each import file: the template download, the README and the parser read this list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str
    example: str


PATIENTS = "patients"
PLANS = "plans"
DOSES = "doses"
SCREENINGS = "screenings"
FHIR = "fhir"

KIND_LABELS = {
    PATIENTS: "Patients (CSV)",
    PLANS: "Treatment plans (CSV)",
    DOSES: "Past doses given (CSV)",
    SCREENINGS: "Screenings (CSV)",
    FHIR: "FHIR R4 Bundle of Patient resources (JSON)",
}

COLUMNS: dict[str, tuple[Column, ...]] = {
    PATIENTS: (
        Column("mrn", True, "Medical record number: matches the patient on every later import.", "MRN100234"),
        Column("first_name", True, "Given name.", "Maria"),
        Column("last_name", True, "Family name.", "Lopez"),
        Column("date_of_birth", True, "YYYY-MM-DD.", "1984-03-07"),
        Column("sex", False, "F, M or X (other / not stated).", "F"),
        Column("reproductive_potential", False, "yes or no: pregnancy tests apply where a drug needs them.", "yes"),
        Column("email", False, "For appointment emails.", "maria.lopez@example.org"),
        Column("phone", False, "Patient's phone.", "+1 555 010 4477"),
        Column("address", False, "Postal address.", "12 Elm Street, Springfield"),
        Column("reminder_consent", False, "yes or no: the patient agreed to appointment emails.", "yes"),
        Column("ms_type", False, "CIS, RRMS, SPMS or PPMS.", "RRMS"),
        Column("allergies", False, "Free text.", "Penicillin"),
        Column("conditions", False, "Other conditions, free text.", "Type 2 diabetes"),
        Column("current_medications", False, "Free text.", "Vitamin D 2000 IU"),
        Column("height_cm", False, "Height in cm (40-250).", "165"),
        Column("weight_kg", False, "Weight in kg (20-350).", "62.5"),
        Column("fluid_restriction", False, "yes or no.", "no"),
        Column("contact_name", False, "Emergency contact's name.", "Jorge Lopez"),
        Column("contact_relationship", False, "Emergency contact's relationship.", "Husband"),
        Column("contact_phone", False, "Emergency contact's phone (needed with a contact name).", "+1 555 010 4478"),
        Column("notes", False, "Free text.", ""),
    ),
    PLANS: (
        Column("mrn", True, "The patient (in the patients file or already in the app).", "MRN100234"),
        Column("drug", True, "The drug's name as in the catalogue, e.g. Ocrevus (IV), Tysabri.", "Ocrevus (IV)"),
        Column("start_date", True, "YYYY-MM-DD: the date the first dose was due.", "2025-01-13"),
        Column("status", False, "active (default), paused, completed or stopped.", "active"),
        Column("course_days", False, "Prescribed days for a course with a range (e.g. 3-5).", ""),
        Column("notes", False, "Free text.", ""),
    ),
    DOSES: (
        Column("mrn", True, "The patient.", "MRN100234"),
        Column("drug", True, "The drug's name as in the catalogue.", "Ocrevus (IV)"),
        Column("phase", True, "The regimen step: its number (1, 2, ...) or its name.", "1"),
        Column("given_on", True, "YYYY-MM-DD: the (first) day it was given.", "2025-01-13"),
        Column("days", False, "Days of a course (default 1).", "1"),
        Column("dose_mg", True, "Dose given in mg (a course: per day).", "300"),
        Column("dose_mg_per_m2", False, "Dose in mg/m2 per day, for drugs with a lifetime limit.", ""),
        Column("site", False, "Where it was given (default: this center, before the app).", ""),
    ),
    SCREENINGS: (
        Column("mrn", True, "The patient.", "MRN100234"),
        Column(
            "kind",
            True,
            "The safety check's code or name in the catalogue, e.g. hep_b, jcv, lvef, anc, infection, rems, cbc.",
            "hep_b",
        ),
        Column("taken_on", True, "YYYY-MM-DD.", "2025-01-02"),
        Column(
            "result",
            False,
            "Qualitative checks: one of the check's answers (code or label), e.g. negative; empty for a value.",
            "negative",
        ),
        Column("value", False, "Numeric checks: the measured value in the check's unit, e.g. LVEF %, ANC /mm³.", ""),
        Column("valid_days", False, "Days the result stays valid (default: the usual validity of the test).", ""),
        Column("notes", False, "Free text.", ""),
    ),
}

CSV_KINDS = (PATIENTS, PLANS, DOSES, SCREENINGS)


def template_csv(kind: str) -> str:
    """The header and one example row of a kind of file."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.name for c in COLUMNS[kind]])
    writer.writerow([c.example for c in COLUMNS[kind]])
    return out.getvalue()
