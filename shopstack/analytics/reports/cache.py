"""Answers cached until the warehouse changes.

A report's answer depends only on its question and on the warehouse's files, and the files
change only when compaction or a facts rebuild writes one, which gives the warehouse a new
stamp (warehouse/state.py). So the key is the question plus the stamp: an answer is reused
until something is written and never served after, with no timeout to tune. The "pages"
cache holds them (in-process memory on the embedded tier, Redis when the shop has it, so
one computation serves every process).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.cache import caches

from shopstack.analytics.warehouse.files import warehouse
from shopstack.analytics.warehouse.state import state_read

# Bumped when a cached answer's shape changes, so a new release never reads an old one.
VERSION = 1
# Kept a day at most: a warehouse that stops changing (a paused shop) must not pin answers forever.
TIMEOUT_SECONDS = 24 * 3600


def warehouse_stamp() -> str:
    return state_read(warehouse()).stamp


def cached[T](question: str, compute: Callable[[], T]) -> T:
    """compute()'s answer to `question` (a string naming everything the answer depends on
    besides the warehouse), reused while the warehouse is unchanged."""
    # The warehouse's location is part of the key: two warehouses never written have the
    # same (empty) stamp, and one cache may serve both (a shop and its bench, tests).
    where = warehouse()
    text = f"{VERSION}|{where.fs.unstrip_protocol(where.root)}|{state_read(where).stamp}|{question}"
    key = "analytics:" + hashlib.sha256(text.encode()).hexdigest()
    store = caches["pages"]
    found = store.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    answer = compute()
    store.set(key, answer, TIMEOUT_SECONDS)
    return answer
