"""The warehouse's periodic sweeps (registered in apps.py): thin wrappers of the services."""

from __future__ import annotations

import logging

from django.tasks import task

from shopstack.analytics.warehouse.lock import WarehouseBusy

logger = logging.getLogger(__name__)


@task()
def warehouse_events_compact() -> int:
    """Compact the events waiting in the store; returns how many were new to the warehouse.
    A compaction still running (a long one, or the command) keeps its turn: this one skips."""
    # Imported here, not at startup: every process registers the sweep (AppConfig.ready),
    # only the worker that runs it needs pyarrow's writer, fsspec and the shop's models.
    from shopstack.analytics.warehouse.compaction import events_compact

    try:
        return events_compact(wait=False).added
    except WarehouseBusy:
        logger.info("analytics: compaction skipped, another one is running")
        return 0


@task()
def warehouse_tables_rebuild() -> int:
    """Rebuild the facts and dimension snapshots; returns how many tables were written."""
    from shopstack.analytics.warehouse.snapshots import tables_rebuild

    try:
        return len(tables_rebuild(wait=False).tables)
    except WarehouseBusy:
        logger.info("analytics: facts rebuild skipped, another one is running")
        return 0
