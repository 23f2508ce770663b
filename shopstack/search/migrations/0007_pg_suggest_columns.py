"""PostgreSQL only: search_pg_text keeps the units sold and the title-and-aliases vector for
suggestions, each indexed (see backends/postgres.py, SUGGEST_SQL)."""

from django.db import migrations

from shopstack.search.backends.postgres import UNSUGGEST_SQL, SUGGEST_SQL, on_postgresql


class Migration(migrations.Migration):
    dependencies = [("search", "0006_pg_gin_tuning")]

    operations = [migrations.RunPython(on_postgresql(SUGGEST_SQL), on_postgresql(UNSUGGEST_SQL))]
