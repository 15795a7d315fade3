from django.db import migrations, models

# The seeded catalogue: the expensive biologics are mixed only after check-in and checks; the rest can be prepared
# ahead. Whether a drug needs a prior authorisation depends on the center's payers: the drug admin sets it.
MIX_AFTER_CHECK_IN = ["Ocrevus (IV)", "Ocrevus Zunovo (SC)", "Tysabri", "Tyruko", "Lemtrada", "Briumvi"]


REASON = "Seeded: mixed only after check-in and checks"


def seed_flags(apps, schema_editor):
    """Set the flag on the seeded biologics, with a history entry each (so the next admin edit shows only itself)."""
    from django.utils import timezone

    Drug = apps.get_model("scheduling", "Drug")
    HistoricalDrug = apps.get_model("scheduling", "HistoricalDrug")
    now = timezone.now()
    for drug in Drug.objects.filter(name__in=MIX_AFTER_CHECK_IN, mix_after_check_in=False).order_by("pk"):
        drug.mix_after_check_in = True
        drug.save(update_fields=["mix_after_check_in"])
        entry = HistoricalDrug(history_date=now, history_type="~", history_change_reason=REASON)
        for field in Drug._meta.concrete_fields:
            setattr(entry, field.attname, getattr(drug, field.attname))
        entry.save()


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0030_reoptimisation_proposals")]

    operations = [
        migrations.AddField(
            model_name="drug",
            name="needs_prior_authorisation",
            field=models.BooleanField(
                default=False, help_text="Every dose needs an insurance authorisation covering its date (and units)."
            ),
        ),
        migrations.AddField(
            model_name="drug",
            name="pharmacy_prepared",
            field=models.BooleanField(
                default=True,
                help_text="Doses go through the pharmacy queue; the infusion starts only once the dose is ready.",
            ),
        ),
        migrations.AddField(
            model_name="drug",
            name="mix_after_check_in",
            field=models.BooleanField(
                "mix only after check-in and checks",
                default=False,
                help_text="Expensive doses: released to mix only once the patient is checked in and the blocking "
                "checks pass.",
            ),
        ),
        migrations.AddField(
            model_name="historicaldrug",
            name="needs_prior_authorisation",
            field=models.BooleanField(
                default=False, help_text="Every dose needs an insurance authorisation covering its date (and units)."
            ),
        ),
        migrations.AddField(
            model_name="historicaldrug",
            name="pharmacy_prepared",
            field=models.BooleanField(
                default=True,
                help_text="Doses go through the pharmacy queue; the infusion starts only once the dose is ready.",
            ),
        ),
        migrations.AddField(
            model_name="historicaldrug",
            name="mix_after_check_in",
            field=models.BooleanField(
                "mix only after check-in and checks",
                default=False,
                help_text="Expensive doses: released to mix only once the patient is checked in and the blocking "
                "checks pass.",
            ),
        ),
        migrations.RunPython(seed_flags, migrations.RunPython.noop),
    ]
