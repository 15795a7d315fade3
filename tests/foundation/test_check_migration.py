"""Existing screenings move onto the check catalogue: nonsense answers become non-clearing ones, the combined
Lemtrada labs become three results, and the drugs' requirements name the new checks."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("patients", "0002_patient_access"), ("scheduling", "0007_board_cache_history")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_screenings_migrate_to_the_new_kinds():
    old = _migrate(BEFORE)
    Patient = old.get_model("patients", "Patient")
    Screening = old.get_model("patients", "Screening")
    patient = Patient.objects.create(mrn="MIG-1", first_name="Old", last_name="Record", date_of_birth="1980-01-01")
    day = datetime.date(2026, 11, 1)
    rows = {
        "rems_nonsense": ("rems", "positive"),
        "rems_ok": ("rems", "authorised"),
        "hep_b_nonsense": ("hep_b", "authorised"),
        "hep_b_abnormal": ("hep_b", "abnormal"),
        "infection_ok": ("infection", "negative"),
        "pregnancy_abnormal": ("pregnancy", "abnormal"),
        "lvef": ("lvef", "normal"),
        "labs": ("lemtrada_labs", "normal"),
    }
    ids = {}
    for name, (kind, result) in rows.items():
        value = 61 if kind == "lvef" else None
        ids[name] = Screening.objects.create(
            patient=patient, kind=kind, taken_on=day, result=result, value=value, valid_days=30
        ).pk

    latest = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    Screening = latest.get_model("patients", "Screening")
    Requirement = latest.get_model("scheduling", "ScreeningRequirement")

    def result(name):
        row = Screening.objects.get(pk=ids[name])
        return row.kind_id, row.result

    assert result("rems_nonsense") == ("rems", "pending")
    assert "'positive'" in Screening.objects.get(pk=ids["rems_nonsense"]).notes
    assert result("rems_ok") == ("rems", "authorised")
    assert result("hep_b_nonsense") == ("hep_b", "indeterminate")
    assert result("hep_b_abnormal") == ("hep_b", "indeterminate")
    assert result("infection_ok") == ("infection", "none")
    assert result("pregnancy_abnormal") == ("pregnancy", "inconclusive")
    assert result("lvef") == ("lvef", "")
    assert Screening.objects.get(pk=ids["lvef"]).value == 61
    labs = set(Screening.objects.filter(patient_id=patient.pk, taken_on=day).values_list("kind_id", "result"))
    assert {("cbc", "normal"), ("creatinine", "normal"), ("urinalysis", "normal")} <= labs
    assert not Screening.objects.filter(kind_id="lemtrada_labs").exists()
    assert not Requirement.objects.filter(kind_id="lemtrada_labs").exists()
    assert Requirement.objects.filter(drug__name="Lemtrada", kind_id="cbc", when="monthly", blocking=True).exists()
