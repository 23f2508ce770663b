"""PostgreSQL only: search_pg_text keeps the units sold and the title-and-aliases vector for
suggestions, each indexed (see backends/postgres.py, SUGGEST_SQL)."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from shopstack.search.backends import postgres


def add(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in postgres.SUGGEST_SQL:
            schema_editor.execute(statement)


def remove(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in postgres.UNSUGGEST_SQL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0006_pg_gin_tuning")]

    operations = [migrations.RunPython(add, remove)]
