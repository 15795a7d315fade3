"""PostgreSQL only: the database itself refuses overlapping active appointments.

One exclusion constraint per scarce resource: a chair, and a patient. Cancelled and
no-show appointments do not hold time. SQLite has no exclusion constraints; there the
booking service's IMMEDIATE transactions give the same guarantee.
"""

from django.db import migrations

ACTIVE = "status NOT IN ('cancelled', 'no_show')"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE scheduling_appointment ADD CONSTRAINT appt_no_chair_overlap "
    "EXCLUDE USING gist (chair_id WITH =, tstzrange(premed_start, observation_end, '[)') WITH &&) "
    f"WHERE ({ACTIVE})",
    "ALTER TABLE scheduling_appointment ADD CONSTRAINT appt_no_patient_overlap "
    "EXCLUDE USING gist (patient_id WITH =, tstzrange(premed_start, observation_end, '[)') WITH &&) "
    f"WHERE ({ACTIVE})",
]
BACKWARD = [
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appt_no_patient_overlap",
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appt_no_chair_overlap",
]


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(add_constraints, drop_constraints, elidable=False)]
