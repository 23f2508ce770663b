"""`manage.py analytics_import_ad_spend FILE.csv`: import what campaigns cost per day.

Columns: day, utm_source, utm_medium, utm_campaign, cost, currency (docs/analytics.md).
Exit status 0 when imported; 2 when the file was refused (nothing was imported), with
every problem listed by line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopstack.analytics.warehouse.ad_spend import AdSpendRefused, ad_spend_import


class Command(BaseCommand):
    help = (
        "Import ad spend per campaign and day from a CSV file into the analytics warehouse; rows "
        "replace earlier imports for the same day and campaign. Any invalid row refuses the file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, with a header row")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}", returncode=2)
        try:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                imported = ad_spend_import(stream)
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text: {error}", returncode=2) from error
        except AdSpendRefused as refused:
            lines = [refused.message, *(f"  {problem}" for problem in refused.problems)]
            raise CommandError("\n".join(lines), returncode=2) from refused
        self.stdout.write(
            f"Imported {imported.rows:,} row(s) ({imported.replaced:,} replaced earlier ones); "
            f"{imported.total:,} in the warehouse."
        )
