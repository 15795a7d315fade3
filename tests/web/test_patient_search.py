"""Front-desk patient search: names in any order, accents and punctuation, date of birth, phone, partial MRN.

The same cases run on SQLite and PostgreSQL; the PostgreSQL-only tests show the trigram indexes serve the
search and that near misses rank by similarity."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from patients.models import Patient
from patients.search import normalise, parse_query, patient_search
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "sofia": PatientFactory(
            first_name="Sofia", last_name="Doyle", mrn="B000023", date_of_birth=datetime.date(1985, 3, 14)
        ),
        "obrien": PatientFactory(first_name="Seán", last_name="O'Brien", mrn="C004417", phone="(555) 010-2323"),
        "nunez": PatientFactory(first_name="Inés", last_name="Núñez-García", mrn="C009900"),
        "other": PatientFactory(first_name="Sofia", last_name="Marsh", mrn="D000100", phone="+1 555 010 9999"),
        "doyle": PatientFactory(first_name="Brendan", last_name="Doyle", mrn="D000200"),
    }


def found(text: str) -> list[str]:
    return [p.mrn for p in patient_search(text)]


@pytest.mark.parametrize("text", ["Doyle, Sofia", "Sofia Doyle", "doyle sofia", "DOYLE,SOFIA", "  sofia   DOYLE  "])
def test_a_name_in_any_order_with_or_without_a_comma(people, text):
    assert found(text) == ["B000023"]


@pytest.mark.parametrize("text", ["obrien", "O'Brien", "o brien", "OBRIEN", "Sean O'Brien", "seán"])
def test_case_accents_and_punctuation_are_ignored(people, text):
    assert found(text) == ["C004417"]


@pytest.mark.parametrize("text", ["nunez", "Núñez García", "garcia ines", "NUNEZGARCIA", "Inés"])
def test_accented_and_double_barrelled_names(people, text):
    assert found(text) == ["C009900"]


@pytest.mark.parametrize(
    "text", ["14/03/1985", "14.03.1985", "14-03-1985", "1985-03-14", "14/3/1985", "14/03/85", "14.3.85"]
)
def test_date_of_birth_in_the_centers_format(people, text):
    assert found(text) == ["B000023"]


def test_a_date_of_birth_with_a_name_narrows_to_both(people):
    PatientFactory(first_name="Sofia", last_name="Doyle", mrn="E000001", date_of_birth=datetime.date(1990, 1, 2))
    assert sorted(found("Doyle")) == ["B000023", "D000200", "E000001"]
    assert found("Doyle, Sofia 14/03/1985") == ["B000023"]


def test_an_impossible_date_finds_nobody_and_does_not_fail(people, client, scheduler):
    assert found("31/02/1985") == []
    client.force_login(scheduler)
    response = client.post(reverse("patients:patient-list"), {"q": "31/02/1985"})
    assert response.status_code == 200 and "No patient matches" in response.content.decode()


@pytest.mark.parametrize("text", ["5550102323", "(555) 010-2323", "555-010-2323", "555.010.2323", "0102323"])
def test_phone_digits_whatever_the_punctuation(people, text):
    assert found(text) == ["C004417"]


@pytest.mark.parametrize(("text", "expected"), [("0023", ["B000023"]), ("4417", ["C004417"]), ("c0044", ["C004417"])])
def test_a_partial_mrn(people, text, expected):
    assert found(text) == expected


def test_an_exact_mrn_comes_first_then_names_starting_with_the_words(people):
    PatientFactory(first_name="Ann", last_name="Zoyle", mrn="D000201")
    PatientFactory(first_name="Ann", last_name="Doyle-Zed", mrn="D0002000")
    assert found("D000200")[0] == "D000200"
    # "Doyle" exactly before "Doyle-Zed" (starts with the word) before names that only contain it
    PatientFactory(first_name="Ann", last_name="Macdoyle", mrn="F1")
    doyles = found("doyle")
    assert set(doyles[:2]) == {"D000200", "B000023"} and doyles[2:] == ["D0002000", "F1"]
    assert found("Sofia")[:2] == ["B000023", "D000100"]  # both exact first names: then alphabetical


def test_every_word_must_match(people):
    assert found("Sofia Nobody") == []
    assert found("Sofia") == ["B000023", "D000100"]


def test_an_empty_search_lists_everyone_alphabetically(people):
    assert found("") == [p.mrn for p in Patient.objects.order_by("last_name", "first_name", "mrn")]
    assert found("  ,;  ") == []


def test_normalising_and_parsing():
    assert normalise("Ñúñez-O'Brien Æsa Straße") == "nunezobrien aesa strasse"
    query = parse_query("Doyle, Sofia 14.03.1985")
    assert query.words == ["doyle", "sofia"] and query.birth_dates == [datetime.date(1985, 3, 14)]
    assert parse_query("+1 (555) 010-2323").number == "15550102323"
    assert parse_query("01/02/03").birth_dates == [datetime.date(2003, 2, 1)]
    assert parse_query("01-02-2323").number == "01022323"  # not a date of birth: in the future


def test_the_patient_list_page_uses_the_search(people, client, scheduler):
    client.force_login(scheduler)
    url = reverse("patients:patient-list")
    page = client.post(url, {"q": "Doyle, Sofia"}).content.decode()
    assert "Doyle, Sofia" in page and "Marsh" not in page
    assert "O&#x27;Brien, Seán" in client.post(url, {"q": "obrien"}).content.decode()
    assert "Doyle, Sofia" in client.post(url, {"q": "14/03/1985"}).content.decode()


def test_the_admin_patient_search_and_pickers_use_it(people, admin_client):
    page = admin_client.get(reverse("admin:patients_patient_changelist"), {"q": "Doyle, Sofia"}).content.decode()
    assert "B000023" in page and "D000200" not in page
    picker = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "obrien", "app_label": "scheduling", "model_name": "treatmentplan", "field_name": "patient"},
    )
    assert picker.status_code == 200
    assert [r["id"] for r in picker.json()["results"]] == [str(people["obrien"].pk)]


@pytest.mark.postgres
def test_on_postgres_the_trigram_indexes_serve_the_search(people):
    queryset = patient_search("Doyle, Sofia")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small is otherwise read whole
        plans = {}
        for text in ("Doyle, Sofia", "0023", "5550102323"):
            sql, params = patient_search(text).query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plans[text] = "\n".join(row[0] for row in cursor.fetchall())
    assert "patient_search_name_trgm" in plans["Doyle, Sofia"]
    assert "patient_search_mrn_trgm" in plans["0023"]
    assert "patient_search_phone_trgm" in plans["5550102323"]
    assert [p.mrn for p in queryset] == ["B000023"]


@pytest.mark.postgres
def test_on_postgres_names_rank_by_similarity_after_the_exact_ones(people):
    PatientFactory(first_name="Ann", last_name="Zsmith", mrn="G1")
    PatientFactory(first_name="Marisa", last_name="Asmithson-Applebaum", mrn="G2")
    # neither name starts with "smith": the closer whole name comes first, not the first alphabetically
    assert found("smith") == ["G1", "G2"]


def test_the_search_page_runs_the_same_queries_for_few_or_many_matches(client, scheduler):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    client.force_login(scheduler)
    url = reverse("patients:patient-list")

    def queries(text: str) -> int:
        with CaptureQueriesContext(db) as captured:
            assert client.post(url, {"q": text}).status_code == 200
        return len(captured)

    PatientFactory(first_name="Una", last_name="Quill")
    queries("nobody")  # the first request of a session also loads the user's permissions
    few = queries("quill")
    PatientFactory.create_batch(40, last_name="Quillon")
    assert queries("quill") == few
