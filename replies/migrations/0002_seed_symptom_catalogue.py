from django.db import migrations

from replies.catalogue import seed


class Migration(migrations.Migration):
    dependencies = [
        ("replies", "0001_initial"),
        ("scheduling", "0003_seed_drug_catalogue"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
