"""Import: dry run with every error in words, all-or-nothing unless asked, idempotent by MRN, history feeds dosing."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from integrations.imports.columns import DOSES, FHIR, PATIENTS, PLANS, SCREENINGS, template_csv
from integrations.imports.services import import_run
from patients.models import Patient
from scheduling.models import OutsideDose, TreatmentPlan
from scheduling.selectors.plan_state import plan_next_dose
from scheduling.services.outside_doses import outside_dose_record
from scheduling.services.plans import plan_start
from tests.factories import UserFactory, seeded_drug

pytestmark = pytest.mark.django_db


@pytest.fixture
def importer(db):
    return UserFactory(username="importer")


TODAY = datetime.date.today()


def days_ago(n: int) -> str:
    return (TODAY - datetime.timedelta(days=n)).isoformat()


PATIENTS_CSV = (
    "mrn,first_name,last_name,date_of_birth,sex,email,reminder_consent,ms_type,allergies,height_cm,weight_kg,"
    "contact_name,contact_phone\n"
    "A1,Maria,Lopez,1984-03-07,F,maria@example.org,yes,RRMS,Penicillin,165,62.5,Jorge Lopez,+1 555 0101\n"
    "A2,Tom,Berg,1979-11-30,M,,no,PPMS,,180,80,,\n"
)
PLANS_CSV = f"mrn,drug,start_date\nA1,Ocrevus (IV),{days_ago(400)}\nA2,Ocrevus (IV),{days_ago(30)}\n"
DOSES_CSV = (
    "mrn,drug,phase,given_on,dose_mg\n"
    f"A1,Ocrevus (IV),1,{days_ago(400)},300\n"
    f"A1,Ocrevus (IV),2,{days_ago(386)},300\n"
    f"A1,Ocrevus (IV),Maintenance,{days_ago(200)},600\n"
)
SCREENINGS_CSV = f"mrn,kind,taken_on,result\nA1,hep_b,{days_ago(20)},negative\n"


def all_files():
    return {
        PATIENTS: ("patients.csv", PATIENTS_CSV),
        PLANS: ("plans.csv", PLANS_CSV),
        DOSES: ("doses.csv", DOSES_CSV),
        SCREENINGS: ("screenings.csv", SCREENINGS_CSV),
    }


def test_dry_run_reports_what_it_would_create_and_writes_nothing(importer):
    report = import_run(files=all_files(), user=importer, dry_run=True)
    assert not report.has_errors, [str(e) for e in report.errors]
    assert report.counts()["create"] == 8
    assert [r.action for r in report.rows if r.kind == PATIENTS] == ["create", "create"]
    assert not Patient.objects.exists() and not OutsideDose.objects.exists()


def test_import_then_reimport_changes_nothing_and_a_changed_cell_is_an_update(importer):
    report = import_run(files=all_files(), user=importer, dry_run=False)
    assert report.imported and not report.has_errors
    maria = Patient.objects.get(mrn="A1")
    assert maria.allergies == "Penicillin" and maria.weight_kg == Decimal("62.5") and maria.reminder_consent
    assert maria.emergency_contacts.get().phone == "+1 555 0101"
    assert OutsideDose.objects.filter(patient=maria).count() == 3
    assert maria.screenings.count() == 1
    history_rows = Patient.history.count()

    again = import_run(files=all_files(), user=importer, dry_run=False)
    assert again.counts() == {"create": 0, "update": 0, "unchanged": 8, "error": 0, "skipped": 0}
    assert Patient.history.count() == history_rows
    assert OutsideDose.objects.count() == 3 and TreatmentPlan.objects.count() == 2

    changed = {PATIENTS: ("patients.csv", PATIENTS_CSV.replace("62.5", "64"))}
    report = import_run(files=changed, user=importer, dry_run=False)
    assert [r.action for r in report.rows] == ["update", "unchanged"]
    assert report.rows[0].changes == ["weight (kg)"]
    assert Patient.objects.get(mrn="A1").weight_kg == Decimal("64")


def test_every_error_in_words_and_nothing_imported_unless_valid_rows_chosen(importer):
    bad = PATIENTS_CSV + "A3,Ann,Kerr,31/02/1980,F,not-an-email,maybe,XX,,500,,,\n"
    doses = DOSES_CSV + f"A9,Ocrevus (IV),7,{days_ago(10)},600\n"
    files = {PATIENTS: ("patients.csv", bad), DOSES: ("doses.csv", doses)}
    report = import_run(files=files, user=importer, dry_run=False)
    assert not report.imported
    assert not Patient.objects.exists()
    messages = [str(e) for e in report.errors]
    assert 'patients.csv row 4, date_of_birth "31/02/1980": not a date: write it as YYYY-MM-DD, e.g. 1984-03-07.' in (
        messages
    )
    assert 'patients.csv row 4, email "not-an-email": not an email address.' in messages
    assert 'patients.csv row 4, reminder_consent "maybe": write yes or no.' in messages
    assert any(m.startswith('patients.csv row 4, ms_type "XX": must be one of CIS, RRMS') for m in messages)
    assert 'patients.csv row 4, height_cm "500": must be between 40 and 250.' in messages
    assert any(m.startswith('doses.csv row 5, phase "7": is not a step of Ocrevus (IV)') for m in messages)

    report = import_run(files=files, user=importer, dry_run=False, valid_rows_only=True)
    assert report.imported
    assert set(Patient.objects.values_list("mrn", flat=True)) == {"A1", "A2"}
    assert OutsideDose.objects.count() == 3
    assert report.counts()["skipped"] == 2


def test_unknown_columns_and_missing_required_columns_are_file_problems(importer):
    report = import_run(files={PLANS: ("plans.csv", "mrn,colour\nA1,red\n")}, user=importer, dry_run=True)
    assert [p.message for p in report.file_problems] == [
        "Unknown column colour: the columns are mrn, drug, start_date, status, course_days, notes.",
        "Required columns missing: drug, start_date.",
    ]


def test_templates_have_every_documented_column(importer):
    header = template_csv(DOSES).splitlines()[0]
    assert header == "mrn,drug,phase,given_on,days,dose_mg,dose_mg_per_m2,site"


def test_fhir_bundle_of_patients_with_allergies_ms_type_and_body_measures(importer):
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:p1",
                "resource": {
                    "resourceType": "Patient",
                    "id": "p1",
                    "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "F100"}],
                    "name": [{"use": "official", "family": "Novak", "given": ["Eva"]}],
                    "gender": "female",
                    "birthDate": "1990-05-01",
                    "telecom": [{"system": "email", "value": "eva@example.org"}],
                    "contact": [{"name": {"text": "Petr Novak"}, "telecom": [{"system": "phone", "value": "555"}]}],
                },
            },
            {
                "resource": {
                    "resourceType": "AllergyIntolerance",
                    "patient": {"reference": "Patient/p1"},
                    "code": {"text": "Latex"},
                }
            },
            {
                "resource": {
                    "resourceType": "Condition",
                    "subject": {"reference": "Patient/p1"},
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "425500002"}]},
                }
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "subject": {"reference": "urn:uuid:p1"},
                    "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                    "valueQuantity": {"value": 71, "unit": "kg"},
                }
            },
        ],
    }
    report = import_run(files={FHIR: ("bundle.json", json.dumps(bundle))}, user=importer, dry_run=False)
    assert report.imported, [str(e) for e in report.errors]
    eva = Patient.objects.get(mrn="F100")
    assert (eva.first_name, eva.sex, eva.ms_type, eva.allergies, eva.weight_kg) == ("Eva", "F", "SPMS", "Latex", 71)
    assert eva.emergency_contacts.get().name == "Petr Novak"

    bundle["entry"][0]["resource"]["birthDate"] = "not-a-date"
    report = import_run(files={FHIR: ("bundle.json", json.dumps(bundle))}, user=importer, dry_run=True)
    assert report.file_problems and "birthDate" in report.file_problems[0].message


def test_management_command_dry_run_then_commit(importer, tmp_path, capsys):
    for _kind, (name, text) in all_files().items():
        (tmp_path / name).write_text(text)
    args = [f"--{k}={tmp_path / name}" for k, (name, _t) in all_files().items()]
    call_command("import_center", *args, "--user=importer")
    assert "Dry run, nothing written: 8 create" in capsys.readouterr().out
    assert not Patient.objects.exists()
    call_command("import_center", *args, "--commit", "--user=importer")
    assert Patient.objects.count() == 2
    (tmp_path / "bad.csv").write_text("mrn,drug,start_date\nZZ,Ocrevus (IV),2025-01-01\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_center", f"--plans={tmp_path / 'bad.csv'}", "--commit", "--user=importer")


# Histories for the 1,000-patient check: (drug, [(phase, days ago, mg, mg/m2)]), with the plan start as days ago.
HISTORIES = [
    ("Ocrevus (IV)", 30, [(1, 30, "300", "")]),
    ("Ocrevus (IV)", 200, [(1, 200, "300", ""), (2, 186, "300", "")]),
    ("Ocrevus (IV)", 600, [(1, 600, "300", ""), (2, 586, "300", ""), (3, 400, "600", ""), (3, 215, "600", "")]),
    ("Tysabri", 100, [(1, 100, "300", ""), (1, 72, "300", ""), (1, 44, "300", "")]),
    ("Mitoxantrone", 300, [(1, 300, "20", "12"), (1, 210, "20", "12"), (1, 120, "20", "12")]),
    ("Briumvi", 20, []),
]


def test_a_thousand_imported_patients_get_the_next_doses_of_the_same_history_typed_in(importer):
    patients = ["mrn,first_name,last_name,date_of_birth,height_cm,weight_kg"]
    plans = ["mrn,drug,start_date"]
    doses = ["mrn,drug,phase,given_on,dose_mg,dose_mg_per_m2"]
    for n in range(1000):
        drug, start, history = HISTORIES[n % len(HISTORIES)]
        mrn = f"IMP{n:04d}"
        patients.append(f"{mrn},Pat{n},Imported,1980-01-01,170,68")
        plans.append(f"{mrn},{drug},{days_ago(start)}")
        doses += [f"{mrn},{drug},{phase},{days_ago(ago)},{mg},{m2}" for phase, ago, mg, m2 in history]
    files = {
        PATIENTS: ("patients.csv", "\n".join(patients) + "\n"),
        PLANS: ("plans.csv", "\n".join(plans) + "\n"),
        DOSES: ("doses.csv", "\n".join(doses) + "\n"),
    }
    report = import_run(files=files, user=importer, dry_run=False)
    assert report.imported and not report.has_errors
    assert Patient.objects.filter(mrn__startswith="IMP").count() == 1000

    typed = []
    for index, (name, start, history) in enumerate(HISTORIES):
        drug = seeded_drug(name)
        patient = Patient.objects.create(
            mrn=f"TYPED{index}",
            first_name="T",
            last_name="Typed",
            date_of_birth=datetime.date(1980, 1, 1),
            height_cm=Decimal("170"),
            weight_kg=Decimal("68"),
        )
        plan = plan_start(patient=patient, drug=drug, start_date=TODAY - datetime.timedelta(days=start), user=importer)
        for phase, ago, mg, m2 in history:
            outside_dose_record(
                patient=patient,
                user=importer,
                drug=drug,
                phase=drug.phases.get(order=phase),
                given_on=TODAY - datetime.timedelta(days=ago),
                dose_mg=Decimal(mg),
                dose_mg_per_m2=Decimal(m2) if m2 else None,
                source="typed in",
            )
        typed.append(plan_next_dose(plan=plan))

    def key(dose):
        if dose is None:
            return None
        return (dose.phase.id, dose.infusion_number, dose.dose_mg, dose.earliest, dose.target, dose.latest)

    assert len({key(d) for d in typed}) == len(HISTORIES)  # the histories are really different
    for plan in TreatmentPlan.objects.filter(patient__mrn__startswith="IMP").select_related("patient", "drug"):
        n = int(plan.patient.mrn[3:])
        assert key(plan_next_dose(plan=plan)) == key(typed[n % len(HISTORIES)]), plan.patient.mrn


def test_readme_documents_every_import_column():
    from pathlib import Path

    from integrations.imports.columns import COLUMNS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("### Importing the center's patients and history") : readme.index("### FHIR R4 API")]
    for kind, columns in COLUMNS.items():
        assert f"(`--{kind}`)" in section
        for column in columns:
            assert f"| `{column.name}` |" in section, (kind, column.name)


def test_booked_doses_follow_the_imported_history(importer):
    from scheduling.models import Appointment
    from tests.clock import local
    from tests.factories import opening_hours
    from tests.reminders.conftest import make_appointment
    from tests.web.helpers import chairs

    opening_hours()
    (chair,) = chairs(1)
    import_run(files={PATIENTS: ("patients.csv", PATIENTS_CSV)}, user=importer, dry_run=False)
    maria = Patient.objects.get(mrn="A1")
    plan = plan_start(patient=maria, drug=seeded_drug("Ocrevus (IV)"), start_date=TODAY, user=importer)
    booked = make_appointment(
        premed_start=local(TODAY + datetime.timedelta(days=3), 9), patient=maria, plan=plan, chair=chair
    )
    assert booked.phase.order == 1
    # the first infusion was in fact given elsewhere 11 days ago: the booking no longer fits and is flagged
    doses = f"mrn,drug,phase,given_on,dose_mg,site\nA1,Ocrevus (IV),1,{days_ago(11)},300,Referring hospital\n"
    import_run(files={DOSES: ("doses.csv", doses)}, user=importer, dry_run=True)
    assert not Appointment.objects.get(pk=booked.pk).attention_reason  # a dry run changes nothing
    report = import_run(files={DOSES: ("doses.csv", doses)}, user=importer, dry_run=False)
    assert report.imported and report.patient_ids == [maria.pk]
    booked = Appointment.objects.get(pk=booked.pk)
    assert booked.attention_reason.startswith("Booked as Initial dose, infusion 1, 300 mg, but the patient's next")
    assert "is Initial dose, infusion 2" in booked.attention_reason
