"""Sets the active ingredient of the seeded drugs: IV and SC ocrelizumab share one dose history, as do Tysabri
and its biosimilar Tyruko; every other drug has its own."""

from django.db import migrations

INGREDIENTS = {
    "Ocrevus (IV)": "ocrelizumab",
    "Ocrevus Zunovo (SC)": "ocrelizumab",
    "Tysabri": "natalizumab",
    "Tyruko": "natalizumab",
    "Lemtrada": "alemtuzumab",
    "Briumvi": "ublituximab",
    "Mitoxantrone": "mitoxantrone",
    "IV methylprednisolone (relapse)": "methylprednisolone",
}


def set_ingredients(apps, schema_editor):
    Drug = apps.get_model("scheduling", "Drug")
    HistoricalDrug = apps.get_model("scheduling", "HistoricalDrug")
    for name, ingredient in INGREDIENTS.items():
        Drug.objects.filter(name=name, ingredient="").update(ingredient=ingredient)
        # the new column's value in the drug's existing history rows (a backfill, not a change by anyone)
        HistoricalDrug.objects.filter(name=name, ingredient="").update(ingredient=ingredient)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0010_dose_history_and_attention")]

    operations = [migrations.RunPython(set_ingredients, migrations.RunPython.noop)]
