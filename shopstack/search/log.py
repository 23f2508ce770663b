"""The search log: every search a shopper makes is a row, for the staff's reports (top
searches, searches that found nothing, clicks) and for the popular searches autocomplete
suggests.

A shopper should not wait for it: inside a request the row is kept with that request's
other rows in a `PendingRows` batch, and written in one INSERT when the server closes the
request's response (after the body went out). Outside a request (a task, the shell, a test
calling the services) it is written at once. A row is known by a token made here (uuid4),
so the page can link its results' clicks to the row before the row is written. A write that
fails is logged and tried again with the next batch, with at most RETRY_ROWS rows kept.

The batch belongs to the request, not to the thread that serves it: `SearchLogMiddleware`
(middleware.py) makes one per request, makes it current only while the view runs (a context variable, so
code that runs on the thread after the view, inside or outside another request, never adds
to it), and hands it to the response, whose `close()` writes it. A server may start the
thread's next request before it closes this response (an HTTP client that reads the body
late, a test harness that never closes it): each keeps its own rows.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from shopstack.search.models import SearchQuery

logger = logging.getLogger(__name__)

RETRY_ROWS = 1_000

_retry: list[SearchQuery] = []
_retry_lock = threading.Lock()


class PendingRows:
    """The log rows of one request (or one `search_log_deferred` block), written together."""

    def __init__(self) -> None:
        self.rows: list[SearchQuery] = []

    def waiting(self) -> bool:
        """Whether a flush has anything to write (rows of its own or left by a failed write)."""
        return bool(self.rows or _retry)

    def flush(self) -> int:
        """Write the rows kept here (and rows a failed write left); returns how many were
        written. A second flush writes only what was added since."""
        rows, self.rows = self.rows, []
        with _retry_lock:
            rows[:0] = _retry
            _retry.clear()
        if not rows:
            return 0
        try:
            _write(rows)
        except Exception:
            logger.exception("Could not write %d search log rows; trying again with the next ones", len(rows))
            with _retry_lock:
                _retry[:0] = rows[-RETRY_ROWS:]
                del _retry[RETRY_ROWS:]
            return 0
        return len(rows)


_current: ContextVar[PendingRows | None] = ContextVar("search_log_pending", default=None)


def new_token() -> uuid.UUID:
    return uuid.uuid4()


def search_log_add(entry: SearchQuery) -> None:
    """Write the row now, or with its request's rows when that request's response is closed."""
    pending = _current.get()
    if pending is None:
        _write([entry])
    else:
        pending.rows.append(entry)


@contextmanager
def search_log_kept(pending: PendingRows) -> Iterator[PendingRows]:
    """Rows added in the block (on this thread or context) go to `pending`, which the
    caller writes (`pending.flush()`) when it chooses."""
    reset = _current.set(pending)
    try:
        yield pending
    finally:
        _current.reset(reset)


@contextmanager
def search_log_deferred() -> Iterator[PendingRows]:
    """As in a request: rows added in the block wait in the batch it yields, and are written
    when the block ends (or earlier, by the batch's `flush()`)."""
    pending = PendingRows()
    try:
        with search_log_kept(pending):
            yield pending
    finally:
        pending.flush()


def _write(rows: list[SearchQuery]) -> None:
    SearchQuery.objects.bulk_create(rows)
