"""SQLite: search_fts rows are now keyed by units sold and product id (sqlite_fts.text_key).

Rows written under the old keys (the product id alone) could not be found again to be
replaced, so the SQLite index is emptied; the sync sees every product as changed and a
worker rebuilds it (or run `manage.py search_reindex`)."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def empty_sqlite_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in (
        "DELETE FROM search_fts",
        "DELETE FROM search_searchfacet",
        "DELETE FROM search_searchdocument",
        "DELETE FROM search_searchstate",
    ):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_pg_text_without_foreign_key")]

    operations = [migrations.RunPython(empty_sqlite_index, migrations.RunPython.noop)]
