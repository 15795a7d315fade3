"""Gives each seeded catalogue row a first history entry, so the first edit in admin shows what it changed.

Rows created by migration 0003 have no history (historical models send no signals in migrations).
Only rows without any history get one; running it again changes nothing.
"""

from django.db import migrations
from django.utils import timezone

CATALOGUE_MODELS = ("Drug", "RegimenPhase", "Premedication", "ScreeningRequirement")
REASON = "Seeded from the center's reference"


def add_baseline(apps, schema_editor):
    now = timezone.now()
    for name in CATALOGUE_MODELS:
        model = apps.get_model("scheduling", name)
        historical = apps.get_model("scheduling", f"Historical{name}")
        recorded = set(historical.objects.values_list("id", flat=True).distinct())
        rows = []
        for obj in model.objects.exclude(pk__in=recorded).order_by("pk"):
            entry = historical(history_date=now, history_type="+", history_change_reason=REASON)
            for field in model._meta.concrete_fields:
                setattr(entry, field.attname, getattr(obj, field.attname))
            rows.append(entry)
        historical.objects.bulk_create(rows)


def remove_baseline(apps, schema_editor):
    for name in CATALOGUE_MODELS:
        apps.get_model("scheduling", f"Historical{name}").objects.filter(history_change_reason=REASON).delete()


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_appointment_permissions")]

    operations = [migrations.RunPython(add_baseline, remove_baseline)]
