"""Importing a center's patients, plans, past doses and screenings: one code path for the page and the command.

Every row is checked and applied inside one transaction. A dry run, or a run where any row failed (unless the
user chose to import the valid rows), is rolled back: nothing is written, and the report says per row what would
have been created or updated and every error in words. Rows are matched by MRN (and by drug and date for plans,
doses and screenings), so importing the same files again changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from infusion_center import formats
from integrations.imports.columns import DOSES, FHIR, KIND_LABELS, PATIENTS, PLANS, SCREENINGS
from integrations.imports.sources import FileProblem, SourceRow, read_source
from patients.models import CheckKind, EmergencyContact, Patient, Screening
from patients.services import screening_record
from scheduling.models import Drug, OutsideDose, RegimenPhase, TreatmentPlan
from scheduling.services.derive import derive_patients
from scheduling.services.outside_doses import outside_dose_record
from scheduling.services.plans import PlanError, plan_start

CREATE, UPDATE, UNCHANGED, ERROR, SKIPPED = "create", "update", "unchanged", "error", "skipped"
IMPORT_REASON = "Imported"
DEFAULT_SITE = "Given at this center before the scheduling system (imported)"
ORDER = (PATIENTS, PLANS, DOSES, SCREENINGS)

YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


@dataclass
class RowError:
    file: str
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        value = f'"{self.value}"' if self.value else "(empty)"
        return f"{self.file} row {self.row}, {self.column} {value}: {self.message}"


@dataclass
class RowOutcome:
    file: str
    row: int
    kind: str
    mrn: str
    action: str = UNCHANGED
    summary: str = ""
    changes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowOutcome]
    file_problems: list[FileProblem]
    dry_run: bool
    valid_rows_only: bool
    imported: bool = False
    patient_ids: list[int] = field(default_factory=list)

    @property
    def errors(self) -> list[RowError]:
        return [e for r in self.rows for e in r.errors]

    @property
    def has_errors(self) -> bool:
        return bool(self.file_problems) or any(r.errors for r in self.rows)

    def counts(self) -> dict[str, int]:
        counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0, ERROR: 0, SKIPPED: 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts

    def as_dict(self) -> dict:
        return {
            "rows": [asdict(r) for r in self.rows],
            "file_problems": [asdict(p) for p in self.file_problems],
            "dry_run": self.dry_run,
            "valid_rows_only": self.valid_rows_only,
            "imported": self.imported,
            "counts": self.counts(),
        }


class _Rollback(Exception):
    pass


# --- cell parsing: each returns the value or raises ValueError with the reason in words ---------------------------


def _date(text: str, *, past: bool = True) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError("not a date: write it as YYYY-MM-DD, e.g. 1984-03-07.") from None
    if past and day > timezone.localdate():
        raise ValueError("is in the future: only what has already happened can be imported.")
    return day


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise ValueError("write yes or no.")


def _decimal(text: str, low: Decimal | None = None, high: Decimal | None = None) -> Decimal:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValueError("not a number.") from None
    if not value.is_finite():
        raise ValueError("not a number.")
    if low is not None and value < low or high is not None and value > high:
        raise ValueError(f"must be between {low} and {high}.")
    return value


def _int(text: str, low: int, high: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("not a whole number.") from None
    if value < low or (high is not None and value > high):
        raise ValueError(f"must be between {low} and {high}." if high is not None else f"must be at least {low}.")
    return value


def _choice(text: str, choices, aliases: dict[str, str] | None = None) -> str:
    lowered = text.lower()
    for value, label in choices:
        if lowered in (str(value).lower(), str(label).lower()):
            return value
    if aliases and lowered in aliases:
        return aliases[lowered]
    raise ValueError("must be one of " + ", ".join(str(v) for v, _ in choices) + ".")


SEX_ALIASES = {"female": "F", "male": "M", "other": "X", "unknown": "X"}


class _Row:
    """A source row being cleaned: typed values, and the errors in the user's terms."""

    def __init__(self, source: SourceRow, outcome: RowOutcome):
        self.source = source
        self.outcome = outcome
        self.values: dict[str, object] = {}

    def text(self, name: str) -> str:
        return self.source.values.get(name, "")

    def error(self, name: str, message: str) -> None:
        self.outcome.errors.append(
            RowError(self.source.file, self.source.row, self.source.column(name), self.text(name), message)
        )
        self.outcome.action = ERROR

    def take(self, name: str, parse: Callable[[str], object] | None = None, *, required: bool = False, limit=None):
        text = self.text(name)
        if not text:
            if required:
                self.error(name, "is required.")
            return None
        if limit and len(text) > limit:
            self.error(name, f"is longer than {limit} characters.")
            return None
        try:
            value = parse(text) if parse else text
        except ValueError as exc:
            self.error(name, str(exc))
            return None
        self.values[name] = value
        return value

    def model_errors(self, exc: ValidationError, names: dict[str, str] | None = None) -> None:
        names = names or {}
        if hasattr(exc, "error_dict"):
            for model_field, errors in exc.error_dict.items():
                for error in errors:
                    self.error(names.get(model_field, model_field), " ".join(error.messages))
        else:
            self.error("mrn", " ".join(exc.messages))


# --- the import ---------------------------------------------------------------------------------------------------


class _Catalogue:
    def __init__(self) -> None:
        self.checks: dict[str, CheckKind] | None = None  # read on the first screening row
        self.drugs = {d.name.lower(): d for d in Drug.objects.all()}
        self.phases: dict[int, list[RegimenPhase]] = {}
        for phase in RegimenPhase.objects.order_by("drug_id", "order"):
            self.phases.setdefault(phase.drug_id, []).append(phase)

    def drug(self, name: str) -> Drug:
        drug = self.drugs.get(name.lower())
        if drug is None:
            raise ValueError(
                "is not a drug in the catalogue: use one of " + ", ".join(d.name for d in self.drugs.values()) + "."
            )
        return drug

    def check(self, text: str) -> CheckKind:
        if self.checks is None:
            self.checks = {}
            for kind in CheckKind.objects.prefetch_related("answers"):
                self.checks[kind.code.lower()] = self.checks[kind.name.lower()] = kind
        kind = self.checks.get(text.lower())
        if kind is None:
            codes = sorted({k.code for k in self.checks.values()})
            raise ValueError("is not a safety check of the catalogue: use one of " + ", ".join(codes) + ".")
        return kind

    def answer(self, check: CheckKind, text: str) -> str:
        answers = list(check.answers.all())
        for answer in answers:
            if text.lower() in (answer.code.lower(), answer.label.lower()):
                return answer.code
        options = ", ".join(a.code for a in answers)
        raise ValueError(f"is not an answer of {check.name}: use {options}.")

    def phase(self, drug: Drug, text: str) -> RegimenPhase:
        phases = self.phases.get(drug.pk, [])
        for phase in phases:
            if text == str(phase.order) or text.lower() == phase.name.lower():
                return phase
        options = "; ".join(f"{p.order} = {p.name}" for p in phases)
        raise ValueError(f"is not a step of {drug.name}'s regimen: use {options}.")


class _Importer:
    def __init__(self, user, *, dry_run: bool, valid_rows_only: bool) -> None:
        self.user = user
        self.dry_run = dry_run
        self.valid_rows_only = valid_rows_only
        self.catalogue = _Catalogue()
        self.patients: dict[str, Patient] = {}
        self.patient_rows: dict[str, RowOutcome] = {}
        self.affected: set[int] = set()

    # each `_apply_*` writes one row through the services; it raises ValidationError / PlanError on refusal

    def patient_for(self, row: _Row) -> Patient | None:
        mrn = row.text("mrn")
        outcome = self.patient_rows.get(mrn)
        if outcome is not None and outcome.errors:
            row.error("mrn", f"the patient's row ({outcome.file} row {outcome.row}) has errors.")
            return None
        patient = self.patients.get(mrn)
        if patient is None:
            patient = Patient.objects.filter(mrn=mrn).first()
            if patient is None:
                row.error("mrn", "no patient has this MRN: add the patient to the patients file.")
                return None
            self.patients[mrn] = patient
        return patient

    def clean_patient(self, row: _Row) -> None:
        row.take("mrn", required=True, limit=32)
        row.take("first_name", required=True, limit=100)
        row.take("last_name", required=True, limit=100)
        row.take("date_of_birth", _date, required=True)
        row.take("sex", lambda t: _choice(t, Patient.Sex.choices, SEX_ALIASES))
        for name in ("reproductive_potential", "reminder_consent", "fluid_restriction"):
            row.take(name, _bool)

        def email(text: str) -> str:
            try:
                validate_email(text)
            except ValidationError:
                raise ValueError("not an email address.") from None
            return text

        row.take("email", email, limit=254)
        row.take("phone", limit=40)
        row.take("ms_type", lambda t: _choice(t, Patient.MSType.choices))
        row.take("height_cm", lambda t: _decimal(t, Decimal("40"), Decimal("250")))
        row.take("weight_kg", lambda t: _decimal(t, Decimal("20"), Decimal("350")))
        for name in ("address", "allergies", "conditions", "current_medications", "notes"):
            row.take(name)
        row.take("contact_name", limit=150)
        row.take("contact_relationship", limit=60)
        row.take("contact_phone", limit=40)
        if row.values.get("contact_name") and not row.values.get("contact_phone"):
            row.error("contact_phone", "is required with an emergency contact's name.")

    def apply_patient(self, row: _Row) -> None:
        values = {k: v for k, v in row.values.items() if not k.startswith("contact_")}
        mrn = values["mrn"]
        patient = self.patients.get(mrn) or Patient.objects.filter(mrn=mrn).first()
        if patient is None:
            patient = Patient(**values)
            row.outcome.action = CREATE
            row.outcome.summary = f"New patient {patient.full_name}"
        else:
            changes = [k for k, v in values.items() if getattr(patient, k) != v]
            for name in changes:
                setattr(patient, name, values[name])
            row.outcome.summary = f"Patient {patient.full_name}"
            if changes:
                row.outcome.action = UPDATE
                row.outcome.changes += [Patient._meta.get_field(n).verbose_name for n in changes]
        if row.outcome.action != UNCHANGED:
            patient.full_clean()
            patient._history_user = self.user
            patient._change_reason = IMPORT_REASON
            patient.save()
            self.affected.add(patient.pk)
        self.patients[mrn] = patient
        name = row.values.get("contact_name")
        if name:
            contact = EmergencyContact.objects.filter(patient=patient, name=name).first()
            wanted = {"relationship": row.values.get("contact_relationship", ""), "phone": row.values["contact_phone"]}
            if contact is None:
                contact = EmergencyContact(patient=patient, name=name, **wanted)
                row.outcome.changes.append("emergency contact added")
            elif any(getattr(contact, k) != v for k, v in wanted.items()):
                for key, value in wanted.items():
                    setattr(contact, key, value)
                row.outcome.changes.append("emergency contact changed")
            else:
                contact = None
            if contact is not None:
                contact.full_clean()
                contact._history_user = self.user
                contact.save()
                if row.outcome.action == UNCHANGED:
                    row.outcome.action = UPDATE

    def clean_plan(self, row: _Row) -> None:
        row.take("mrn", required=True)
        row.take("drug", self.catalogue.drug, required=True)
        row.take("start_date", lambda t: _date(t, past=False), required=True)
        row.take("status", lambda t: _choice(t, TreatmentPlan.Status.choices))
        row.take("course_days", lambda t: _int(t, 1, 14))
        row.take("notes")

    def apply_plan(self, row: _Row, patient: Patient) -> None:
        drug: Drug = row.values["drug"]
        start = row.values["start_date"]
        status = row.values.get("status") or TreatmentPlan.Status.ACTIVE
        plan = TreatmentPlan.objects.filter(patient=patient, drug=drug, start_date=start).first()
        row.outcome.summary = f"{drug.name} from {formats.date(start)} ({TreatmentPlan.Status(status).label.lower()})"
        wanted = {"status": status}
        for name in ("course_days", "notes"):
            if name in row.values:
                wanted[name] = row.values[name]
        if plan is None:
            row.outcome.action = CREATE
            self.affected.add(patient.pk)
            if status == TreatmentPlan.Status.ACTIVE:
                plan_start(
                    patient=patient,
                    drug=drug,
                    start_date=start,
                    user=self.user,
                    course_days=wanted.get("course_days"),
                    notes=wanted.get("notes", ""),
                )
                return
            plan = TreatmentPlan(patient=patient, drug=drug, start_date=start, created_by=self.user, **wanted)
            plan.full_clean()
            plan._history_user = self.user
            plan._change_reason = IMPORT_REASON
            plan.save()
            return
        changes = [k for k, v in wanted.items() if getattr(plan, k) != v]
        if not changes:
            return
        if row.outcome.action != CREATE:
            row.outcome.action = UPDATE
            row.outcome.changes += changes
        for name in changes:
            setattr(plan, name, wanted[name])
        plan.full_clean()
        plan._history_user = self.user
        plan._change_reason = IMPORT_REASON
        plan.save()
        self.affected.add(patient.pk)

    def clean_dose(self, row: _Row) -> None:
        row.take("mrn", required=True)
        drug = row.take("drug", self.catalogue.drug, required=True)
        if drug is not None:
            row.take("phase", lambda t: self.catalogue.phase(drug, t), required=True)
        elif not row.text("phase"):
            row.error("phase", "is required.")
        row.take("given_on", _date, required=True)
        row.take("days", lambda t: _int(t, 1, 14))
        row.take("dose_mg", lambda t: _decimal(t, Decimal("0"), Decimal("99999")), required=True)
        row.take("dose_mg_per_m2", lambda t: _decimal(t, Decimal("0"), Decimal("9999")))
        row.take("site", limit=200)

    def apply_dose(self, row: _Row, patient: Patient) -> None:
        drug: Drug = row.values["drug"]
        values = {
            "phase": row.values["phase"],
            "days": row.values.get("days") or 1,
            "dose_mg": row.values["dose_mg"],
            "dose_mg_per_m2": row.values.get("dose_mg_per_m2"),
            "source": row.values.get("site") or DEFAULT_SITE,
        }
        given_on = row.values["given_on"]
        row.outcome.summary = (
            f"{drug.name}, {values['phase'].name}: {values['dose_mg'].normalize():f} mg on {formats.date(given_on)}"
        )
        dose = OutsideDose.objects.filter(patient=patient, drug=drug, given_on=given_on).first()
        if dose is None:
            row.outcome.action = CREATE
            outside_dose_record(patient=patient, user=self.user, drug=drug, given_on=given_on, **values)
            self.affected.add(patient.pk)
            return
        changes = [k for k, v in values.items() if getattr(dose, k) != v]
        if changes:
            row.outcome.action = UPDATE
            row.outcome.changes += [OutsideDose._meta.get_field(n).verbose_name for n in changes]
            for name in changes:
                setattr(dose, name, values[name])
            dose.full_clean()
            dose._history_user = self.user
            dose._change_reason = IMPORT_REASON
            dose.save()
            self.affected.add(patient.pk)

    def clean_screening(self, row: _Row) -> None:
        row.take("mrn", required=True)
        check = row.take("kind", self.catalogue.check, required=True)
        row.take("taken_on", _date, required=True)
        row.take("value", lambda t: _decimal(t, Decimal("-999999"), Decimal("999999")))
        row.take("valid_days", lambda t: _int(t, 1, 3650))
        row.take("notes", limit=255)
        if check is None:
            return
        if check.result_type == CheckKind.ResultType.NUMERIC:
            if row.values.get("value") is None:
                row.error("value", f"is required: {check.name} is a measured value in {check.unit or 'its unit'}.")
            row.values["result"] = ""
            return
        row.take("result", lambda t: self.catalogue.answer(check, t), required=True)

    def apply_screening(self, row: _Row, patient: Patient) -> None:
        check, taken_on = row.values["kind"], row.values["taken_on"]
        result = row.values["result"] or f"{row.values['value']} {check.unit}".strip()
        row.outcome.summary = f"{check.name} on {formats.date(taken_on)}: {result}"
        kind = check
        screening = Screening.objects.filter(patient=patient, kind=kind, taken_on=taken_on).first()
        wanted = {
            "result": row.values["result"],
            "value": row.values.get("value"),
            "notes": row.values.get("notes", ""),
        }
        if row.values.get("valid_days"):
            wanted["valid_days"] = row.values["valid_days"]
        if screening is None:
            row.outcome.action = CREATE
            screening_record(patient=patient, kind=kind, taken_on=taken_on, user=self.user, **wanted)
            self.affected.add(patient.pk)
            return
        changes = [k for k, v in wanted.items() if getattr(screening, k) != v]
        if changes:
            row.outcome.action = UPDATE
            row.outcome.changes += changes
            for name in changes:
                setattr(screening, name, wanted[name])
            screening.full_clean()
            screening._history_user = self.user
            screening.save()
            self.affected.add(patient.pk)

    def run(self, sources: list[SourceRow]) -> list[RowOutcome]:
        cleaners = {
            PATIENTS: self.clean_patient,
            PLANS: self.clean_plan,
            DOSES: self.clean_dose,
            SCREENINGS: self.clean_screening,
        }
        appliers = {PLANS: self.apply_plan, DOSES: self.apply_dose, SCREENINGS: self.apply_screening}
        outcomes = []
        rows = []
        for source in sorted(sources, key=lambda s: ORDER.index(s.kind)):
            outcome = RowOutcome(source.file, source.row, source.kind, source.values.get("mrn", ""))
            row = _Row(source, outcome)
            cleaners[source.kind](row)
            if source.kind == PATIENTS and outcome.mrn:
                first = self.patient_rows.get(outcome.mrn)
                if first is not None:
                    row.error("mrn", f"appears twice: already on {first.file} row {first.row}.")
                else:
                    self.patient_rows[outcome.mrn] = outcome
            rows.append(row)
            outcomes.append(outcome)
        existing = {row.text("mrn") for row in rows if row.text("mrn")}
        self.patients.update({p.mrn: p for p in Patient.objects.filter(mrn__in=existing)})
        for row in rows:
            if row.outcome.errors:
                continue
            try:
                with transaction.atomic():
                    if row.source.kind == PATIENTS:
                        self.apply_patient(row)
                    else:
                        patient = self.patient_for(row)
                        if patient is None:
                            continue
                        appliers[row.source.kind](row, patient)
            except ValidationError as exc:
                row.outcome.changes = []
                row.model_errors(exc)
            except PlanError as exc:
                row.error("drug", exc.message)
        return outcomes


def import_run(
    *, files: dict[str, tuple[str, str]], user, dry_run: bool = True, valid_rows_only: bool = False
) -> ImportReport:
    """Check (dry run) or import the files: kind -> (file name, text). Returns the report of every row."""
    sources: list[SourceRow] = []
    problems: list[FileProblem] = []
    for kind, (name, text) in files.items():
        if kind not in KIND_LABELS:
            raise ValueError(f"unknown kind of file {kind!r}")
        rows, found = read_source(kind, name, text)
        sources += rows
        problems += found
    report = ImportReport([], problems, dry_run=dry_run, valid_rows_only=valid_rows_only)
    if problems:
        return report
    importer = _Importer(user, dry_run=dry_run, valid_rows_only=valid_rows_only)
    try:
        with transaction.atomic():
            report.rows = importer.run(sources)
            if importer.affected:
                # booked doses follow the history just imported, in the same transaction
                derive_patients(importer.affected, user=user)
            if dry_run or (report.has_errors and not valid_rows_only):
                raise _Rollback
            report.imported = True
            report.patient_ids = sorted(importer.affected)
    except _Rollback:
        pass
    if not report.imported:
        for row in report.rows:
            if row.errors:
                row.action = ERROR
    else:
        for row in report.rows:
            if row.errors:
                row.action = SKIPPED
    return report


__all__ = ["FHIR", "ImportReport", "RowError", "RowOutcome", "import_run"]
