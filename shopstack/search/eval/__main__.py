"""Command line of the relevance evaluation (docs/search-eval.md).

    python -m shopstack.search.eval run [--dataset DIR] [--output FILE]   # make eval-search
    python -m shopstack.search.eval label DIR        # rewrite DIR/labels.csv from intents + corrections
    python -m shopstack.search.eval export-demo      # products.csv from a database where import_demo ran

`run` uses a new empty database: a temporary SQLite file, or, when DATABASE_URL names a
PostgreSQL database, `<that name>_search_eval` (created, then dropped). It always uses the
in-process and database caches, so a shared Redis is never touched: caching plays no part in ranking.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
DEMO_DATASET = PACKAGE / "datasets" / "demo"
REPO = PACKAGE.parents[2]
TANTIVY = "shopstack.search.backends.tantivy_engine.TantivyBackend"
DEFAULT_OUTPUT = REPO / "bench" / "results" / "search-eval-latest.md"


def _django(settings: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    import django

    django.setup()


@contextlib.contextmanager
def _shop_default_engine() -> Iterator[None]:
    """The engine a shop gets on this database, unless SEARCH_BACKEND names one. The test
    profile runs FTS5 on SQLite (a tantivy directory outlives the rollback that ends each
    test); a shop's embedded default is tantivy, here with an index directory of its own."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    if connection.vendor != "sqlite" or os.environ.get("SEARCH_BACKEND"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="shopstack-eval-tantivy-") as directory:
        engine = {"BACKEND": TANTIVY, "OPTIONS": {"path": directory}}
        with override_settings(SEARCH={**settings.SEARCH, **engine}):
            yield


def _run(args: argparse.Namespace) -> int:
    from shopstack.search.eval.dataset import DatasetError, dataset_load

    try:
        dataset = dataset_load(args.dataset)
    except DatasetError as error:
        print(f"eval-search: {error}", file=sys.stderr)
        return 2
    for name in ("REDIS_URL", "CACHE_URL"):
        os.environ.pop(name, None)
    if not os.environ.get("DATABASE_URL"):
        # The test profile names its own per-process file for the test database; this is
        # only the never-opened "main" database it is derived from.
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.gettempdir()}/shopstack-search-eval.sqlite3"
    _django("config.settings.test")
    from django.test.utils import setup_test_environment

    from shopstack.search.eval.report import report_markdown
    from shopstack.search.eval.runner import EvalError, evaluate_fresh

    setup_test_environment()
    # The figures are the output; the library's and the task runner's chatter is not.
    for name in ("bm25s", "django.tasks"):
        logging.getLogger(name).setLevel(logging.WARNING)
    print(
        f"eval-search: {len(dataset.products):,} products, {len(dataset.queries)} queries "
        f"from {args.dataset}",
        file=sys.stderr,
    )
    try:
        with _shop_default_engine():
            run = evaluate_fresh(dataset)
    except EvalError as error:
        print(f"eval-search: {error}", file=sys.stderr)
        return 1
    text = report_markdown(run)
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"eval-search: written to {args.output}", file=sys.stderr)
    return 0


def _label(args: argparse.Namespace) -> int:
    from shopstack.search.eval.dataset import DatasetError
    from shopstack.search.eval.judging import labels_write

    try:
        count = labels_write(args.dataset)
    except DatasetError as error:
        print(f"label: {error}", file=sys.stderr)
        return 2
    print(f"label: {count:,} labels with grade 1 or 2 written to {args.dataset / 'labels.csv'}")
    return 0


def _export(args: argparse.Namespace) -> int:
    _django("config.settings.base")
    from shopstack.search.eval.export import catalog_export

    count = catalog_export(args.output)
    print(f"export-demo: {count:,} rows written to {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shopstack.search.eval", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="score the shop's search and BM25 on a judgement set")
    run.add_argument("--dataset", type=Path, default=DEMO_DATASET)
    run.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="also write the report here")
    run.set_defaults(handler=_run)
    label = commands.add_parser("label", help="rewrite labels.csv by the documented rule")
    label.add_argument("dataset", type=Path, nargs="?", default=DEMO_DATASET)
    label.set_defaults(handler=_label)
    export = commands.add_parser("export-demo", help="write products.csv from the current database")
    export.add_argument("--output", type=Path, default=DEMO_DATASET / "products.csv")
    export.set_defaults(handler=_export)
    args = parser.parse_args(argv)
    return args.handler(args)  # type: ignore[no-any-return]


if __name__ == "__main__":
    sys.exit(main())
