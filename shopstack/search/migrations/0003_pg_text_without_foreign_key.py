"""search_pg_text loses its foreign key to the documents (see backends/postgres.py)."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def drop_foreign_key(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE IF EXISTS search_pg_text DROP CONSTRAINT IF EXISTS search_pg_text_product_id_fkey"
        )


class Migration(migrations.Migration):
    dependencies = [("search", "0002_engine_tables")]

    operations = [migrations.RunPython(drop_foreign_key, migrations.RunPython.noop)]
