"""The table of the "board" cache (settings.CACHES): rendered chair board grids shared by every web process."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", "board_cache", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name('board_cache')}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0063_planning_snapshot")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
