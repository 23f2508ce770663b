"""PostgreSQL only: the GIN indexes write straight into the index (no pending list), an index
for suggestions, and the search tables' statistics (see backends/postgres.py, TUNE_SQL)."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from shopstack.search.backends import postgres


def tune(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in postgres.TUNE_SQL:
            schema_editor.execute(statement)


def untune(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in postgres.UNTUNE_SQL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0005_searchquery_token")]

    operations = [migrations.RunPython(tune, untune)]
