"""Fill the stored next dose due of every active plan (the worklist reads it)."""

from django.db import migrations


def fill(apps, schema_editor):
    # The engine needs the drug catalogue and the dose history as objects, so the service itself is used; on an
    # empty database (a new install, the test database) there is nothing to fill.
    TreatmentPlan = apps.get_model("scheduling", "TreatmentPlan")
    if not TreatmentPlan.objects.filter(status="active").exists():
        return
    from scheduling.services.next_dose import next_doses_refresh

    next_doses_refresh()


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0060_plan_next_dose")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
