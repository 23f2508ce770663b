"""PostgreSQL only: the GIN indexes write straight into the index (no pending list), an index
for suggestions, and the search tables' statistics (see backends/postgres.py, TUNE_SQL)."""

from django.db import migrations

from shopstack.search.backends.postgres import UNTUNE_SQL, TUNE_SQL, on_postgresql


class Migration(migrations.Migration):
    dependencies = [("search", "0005_searchquery_token")]

    operations = [migrations.RunPython(on_postgresql(TUNE_SQL), on_postgresql(UNTUNE_SQL))]
