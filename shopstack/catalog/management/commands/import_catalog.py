"""`manage.py import_catalog FILE.csv`: create or update the catalog from a CSV file.

Exit status: 0 when every row was imported, 1 when some rows were invalid (the valid ones
were imported) or the file could not be read to the end, 2 when the file was refused as
a whole (bad header or mapping; nothing was written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from shopstack.catalog.importing import (
    DEFAULT_BATCH_SIZE,
    HeaderError,
    ImportReport,
    RowError,
    import_catalog,
    parse_mapping,
)


class Command(BaseCommand):
    help = (
        "Create or update products, variants, categories, attributes and stock from a catalog CSV "
        "file (docs/import-catalog.md). Rows are matched by SKU; a second run of the same file "
        "changes nothing. Exits 1 if any row was invalid (valid rows are still imported), 2 if the "
        "header or mapping is refused (nothing is written)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, with a header row")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="CANONICAL=THEIRS,...",
            help="Read a canonical column from the file's own column, e.g. --map 'sku=Item No,price=Cost'",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and count, write nothing")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}", returncode=2)
        # tqdm writes its own line endings; the command's stderr must not add more meanwhile.
        self.stderr.ending = ""
        try:
            report = self._import(path, options)
        finally:
            self.stderr.ending = "\n"
        self.stdout.write(report.as_text())
        if report.file_error:
            raise CommandError(f"The file could not be read to the end {report.file_error}", returncode=1)
        if report.invalid:
            done = "checked" if report.dry_run else "imported"
            raise CommandError(
                f"{report.invalid:,} invalid row(s); the valid rows were {done}.", returncode=1
            )

    def _import(self, path: Path, options: dict[str, Any]) -> ImportReport:
        progress = tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc="Importing",
            disable=options["verbosity"] == 0,
            dynamic_ncols=True,
            file=self.stderr,
        )
        with path.open("rb") as stream, progress as bar:

            def on_error(error: RowError) -> None:
                bar.write(f"error: {error}", file=self.stderr)

            def on_batch(report: ImportReport) -> None:
                bar.update(stream.tell() - bar.n)
                bar.set_postfix(rows=report.rows, invalid=report.invalid, refresh=False)

            try:
                report = import_catalog(
                    stream=stream,
                    # Whoever runs manage.py operates the server: the shop itself, not a staff user.
                    actor=None,
                    mapping=parse_mapping(options["map"]),
                    dry_run=options["dry_run"],
                    batch_size=options["batch_size"],
                    on_error=on_error,
                    on_batch=on_batch,
                )
            except HeaderError as error:
                problems = [f"  {field}: {message}" for field, ms in error.fields.items() for message in ms]
                raise CommandError("\n".join([error.message, *problems]), returncode=2) from error
            bar.update(bar.total - bar.n)
        return report
