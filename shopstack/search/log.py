"""The search log: every search a shopper makes is a row, for the staff's reports (top
searches, searches that found nothing, clicks).

A shopper should not wait for it: inside a request the row is kept, and written when the
server closes the response (Django's `request_finished`, sent after the body went out), with
the request's other rows in one INSERT. Outside a request (a task, the shell, a test calling
the services) it is written at once. A row is known by a token made here (uuid4), so the page
can link its results' clicks to the row before the row is written. A write that fails is
logged and tried again after the next request, with at most RETRY_ROWS rows kept.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.signals import request_finished, request_started

from shopstack.search.models import SearchQuery

logger = logging.getLogger(__name__)

RETRY_ROWS = 1_000

_local = threading.local()
_retry: list[SearchQuery] = []
_retry_lock = threading.Lock()


def new_token() -> uuid.UUID:
    return uuid.uuid4()


def search_log_add(entry: SearchQuery) -> None:
    """Write the row now, or after the response when inside a request."""
    pending: list[SearchQuery] | None = getattr(_local, "pending", None)
    if pending is None:
        _write([entry])
    else:
        pending.append(entry)


def search_log_defer() -> None:
    """From now on this thread's rows wait for `search_log_flush` (a request started)."""
    _local.pending = []


def search_log_flush() -> int:
    """Write the rows this thread kept (and rows a failed write left), stop keeping them;
    returns how many were written."""
    pending: list[SearchQuery] = getattr(_local, "pending", None) or []
    _local.pending = None
    with _retry_lock:
        rows = [*_retry, *pending]
        _retry.clear()
    if not rows:
        return 0
    try:
        _write(rows)
    except Exception:
        logger.exception("Could not write %d search log rows; trying again after the next request", len(rows))
        with _retry_lock:
            _retry[:0] = rows[-RETRY_ROWS:]
            del _retry[RETRY_ROWS:]
        return 0
    return len(rows)


@contextmanager
def search_log_deferred() -> Iterator[None]:
    """As in a request: the rows of the block are written when it ends."""
    search_log_defer()
    try:
        yield
    finally:
        search_log_flush()


def _write(rows: list[SearchQuery]) -> None:
    SearchQuery.objects.bulk_create(rows)


def _request_started(**kwargs: Any) -> None:
    search_log_defer()


def _request_finished(**kwargs: Any) -> None:
    search_log_flush()


def connect_to_requests() -> None:
    request_started.connect(_request_started, dispatch_uid="search.log.started")
    request_finished.connect(_request_finished, dispatch_uid="search.log.finished")
