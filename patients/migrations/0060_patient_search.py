"""Front-desk patient search: normalising SQL functions and the indexes that serve them.

On PostgreSQL: the `pg_trgm` and `unaccent` extensions, the immutable functions `patient_search_norm` (lower
case, no accents, no punctuation), `patient_search_name` (first and last name normalised as one text) and
`patient_digits` (the digits of a phone number), and trigram (GIN) indexes on the name, MRN and phone digits,
so that "contains" searches are index scans. SQLite gets the same functions in Python on each connection
(patients.search.register_sqlite_functions) and no trigram indexes.
"""

from django.db import migrations, models

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    r"""CREATE OR REPLACE FUNCTION patient_search_norm(value text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, value)),
                                    '[^[:alnum:][:space:]]+', '', 'g') $$""",
    """CREATE OR REPLACE FUNCTION patient_search_name(first_name text, last_name text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT patient_search_norm(first_name || ' ' || last_name) $$""",
    """CREATE OR REPLACE FUNCTION patient_digits(value text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT regexp_replace(value, '[^0-9]+', '', 'g') $$""",
    """CREATE INDEX IF NOT EXISTS patient_search_name_trgm ON patients_patient
        USING gin (patient_search_name(first_name, last_name) gin_trgm_ops)""",
    """CREATE INDEX IF NOT EXISTS patient_search_mrn_trgm ON patients_patient
        USING gin (patient_search_norm(mrn) gin_trgm_ops)""",
    """CREATE INDEX IF NOT EXISTS patient_search_phone_trgm ON patients_patient
        USING gin (patient_digits(phone) gin_trgm_ops)""",
    "CREATE INDEX IF NOT EXISTS patient_email_upper ON patients_patient (UPPER(email::text))",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS patient_email_upper",
    "DROP INDEX IF EXISTS patient_search_phone_trgm",
    "DROP INDEX IF EXISTS patient_search_mrn_trgm",
    "DROP INDEX IF EXISTS patient_search_name_trgm",
    "DROP FUNCTION IF EXISTS patient_digits(text)",
    "DROP FUNCTION IF EXISTS patient_search_name(text, text)",
    "DROP FUNCTION IF EXISTS patient_search_norm(text)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("patients", "0020_check_catalogue")]

    operations = [
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD)),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["date_of_birth"], name="patient_birth_date_idx"),
        ),
    ]
