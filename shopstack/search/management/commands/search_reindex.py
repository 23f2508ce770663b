"""`manage.py search_reindex`: rebuild the whole search index, with a progress bar."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from shopstack.catalog.models import Product
from shopstack.search.indexing import REBUILD_BATCH, index_rebuild, index_sync


class Command(BaseCommand):
    help = "Rebuild the product search index from the catalog (or, with --changed, catch it up)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=REBUILD_BATCH)
        parser.add_argument(
            "--changed", action="store_true", help="Only reindex products changed since the last run"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["changed"]:
            looked_at = index_sync(limit=None)
            self.stdout.write(f"Looked at {looked_at} changed products.")
            return
        total = Product.objects.filter(is_published=True).count()
        with tqdm(
            total=total, unit="products", disable=options["verbosity"] == 0, file=self.stderr._out
        ) as bar:
            done = index_rebuild(batch_size=options["batch_size"], progress=bar.update)
        elapsed = time.perf_counter() - started
        if options["verbosity"]:
            rate = done / elapsed if elapsed else 0
            self.stdout.write(f"Indexed {done} products in {elapsed:.1f} s ({rate:,.0f}/s).")
