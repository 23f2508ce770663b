"""`manage.py analytics_compact`: compact the waiting events into the warehouse and rebuild
the facts and dimension snapshots (what the periodic tasks do), with progress bars.

    analytics_compact                          everything waiting, then facts and dimensions
    analytics_compact --events-only            only the events
    analytics_compact --facts-only             only the facts and dimensions
    analytics_compact --day 2026-03-14         only that day's events
    analytics_compact --day 2026-03-14 --rebuild
                                               rewrite that day's file from what it holds plus
                                               the store, even with nothing new

Waits for a compaction already running (the periodic task) to finish first.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from shopstack.analytics.warehouse.compaction import DayCompacted, events_compact
from shopstack.analytics.warehouse.snapshots import TABLE_COUNT, TableWritten, tables_rebuild

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class Command(BaseCommand):
    help = (
        "Compact the analytics events waiting in the event store into the warehouse's daily "
        "Parquet files, and rebuild the facts and dimension snapshots (docs/analytics.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="Only this UTC day's events (YYYY-MM-DD)")
        parser.add_argument(
            "--rebuild", action="store_true", help="With --day: rewrite the day's file even with nothing new"
        )
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--facts-only", action="store_true", help="Only the facts and dimensions")
        only.add_argument("--events-only", action="store_true", help="Only the events")

    def handle(self, *args: Any, **options: Any) -> None:
        day: str | None = options["day"]
        if day is not None and not _DAY.fullmatch(day):
            raise CommandError(f"--day: enter a day as YYYY-MM-DD, not {day!r}")
        if options["rebuild"] and day is None:
            raise CommandError("--rebuild rebuilds one day's file: name it with --day YYYY-MM-DD")
        if day is not None and options["facts_only"]:
            raise CommandError("--day names a day of events; it cannot go with --facts-only")
        quiet = options["verbosity"] == 0
        if not options["facts_only"]:
            self._events(day, rebuild=options["rebuild"], quiet=quiet)
        if not options["events_only"] and day is None:
            self._tables(quiet=quiet)

    def _events(self, day: str | None, *, rebuild: bool, quiet: bool) -> None:
        with tqdm(desc="Events", unit="day", disable=quiet, file=self.stderr._out, dynamic_ncols=True) as bar:

            def on_days(days: list[str]) -> None:
                bar.reset(total=len(days))

            def on_day(compacted: DayCompacted) -> None:
                bar.set_postfix(day=compacted.day, added=compacted.added, refresh=False)
                bar.update(1)

            report = events_compact(day=day, rebuild=rebuild, on_day=on_day, on_days=on_days)
        if not quiet:
            self.stdout.write(
                f"Events: {report.read:,} read from the store, {report.added:,} new to the warehouse, "
                f"{len(report.days)} day file(s)."
            )

    def _tables(self, *, quiet: bool) -> None:
        with tqdm(
            total=TABLE_COUNT, desc="Facts and dimensions", unit="table", disable=quiet, file=self.stderr._out
        ) as bar:

            def on_table(written: TableWritten) -> None:
                bar.set_postfix(table=written.name, rows=written.rows, refresh=False)
                bar.update(1)

            report = tables_rebuild(on_table=on_table)
        if not quiet:
            for table in report.tables:
                self.stdout.write(f"{table.name}: {table.rows:,} rows")
