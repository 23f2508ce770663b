"""The engines' own tables: FTS5 on SQLite, a tsvector table and pg_trgm on PostgreSQL.

Each step runs only on its database; the SQL lives beside the backend that uses it."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from shopstack.search.backends import postgres, sqlite_fts

STATEMENTS = {
    "sqlite": (sqlite_fts.CREATE_SQL, sqlite_fts.DROP_SQL),
    "postgresql": (postgres.CREATE_SQL, postgres.DROP_SQL),
}


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ((), ()))[0]:
        schema_editor.execute(statement)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ((), ()))[1]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        TrigramExtension(),  # PostgreSQL only; a no-op elsewhere
        migrations.RunPython(create, drop),
    ]
