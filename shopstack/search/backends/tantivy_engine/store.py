"""Where the tantivy index lives, and how many processes share it.

One directory per database and index format (var/search/tantivy-v2-<database name>), so tiers,
test runs and benchmarks never read each other's index, and an index of an earlier format is
never opened with this schema (a new format starts empty, as a lost index does, and is filled
again; see docs/search.md). Any number of processes read it; tantivy allows
one writer at a time (a lock file in the directory), so a write waits for the lock,
retrying, and holds it only while it writes and commits. Readers reload on their own:
tantivy watches the index's meta.json and swaps in the new searcher after a commit (within
about half a second in another process); the writing process reloads at once.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy
from django.conf import settings
from django.db import connection

from shopstack.search.backends.tantivy_engine.schema import SCHEMA, TOKENIZER, analyzer

logger = logging.getLogger(__name__)

WRITER_HEAP_BYTES = 64_000_000
# How long a write waits for another process's writer before giving up (a full rebuild's
# batches hold the lock for a second or so each).
LOCK_WAIT_SECONDS = 60.0
LOCK_RETRY_SECONDS = (0.01, 0.5)  # first and longest pause between tries


class IndexLockTimeout(RuntimeError):
    pass


# Part of the directory's name; moves whenever the schema changes (2: facet_id).
INDEX_FORMAT = 2


def default_directory() -> Path:
    """var/search/tantivy-v<format>-<database name>: the test database, a benchmark's and the
    shop's each get their own, and so does each index format."""
    name = Path(str(connection.settings_dict["NAME"])).name
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "default"
    return Path(settings.VAR_DIR) / "search" / f"tantivy-v{INDEX_FORMAT}-{safe}"


class IndexStore:
    """The index of one directory: a shared reader, and writers taken one at a time."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._index: tantivy.Index | None = None
        self._opening = threading.Lock()
        self.created = False  # True when this process found no index and made an empty one

    @property
    def index(self) -> tantivy.Index:
        if self._index is None:
            with self._opening:
                if self._index is None:
                    self._index = self._open()
        return self._index

    def _open(self) -> tantivy.Index:
        self.directory.mkdir(parents=True, exist_ok=True)
        existed = tantivy.Index.exists(str(self.directory))
        if existed and not tantivy.Index.is_compatible(str(self.directory)):
            raise RuntimeError(
                f"The search index in {self.directory} was written by another tantivy version:"
                " delete the directory and run `manage.py search_reindex`."
            )
        index = tantivy.Index(SCHEMA, path=str(self.directory), reuse=True)
        index.register_tokenizer(TOKENIZER, analyzer())
        # Reload when a commit changes meta.json (tantivy's file watcher): cheap, no polling
        # of ours, and another process's commit is seen within about half a second.
        index.config_reader(reload_policy="commit")
        self.created = not existed
        return index

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()

    @contextmanager
    def writing(self) -> Iterator[tantivy.IndexWriter]:
        """A writer, once the lock is ours: committed when the block ends, rolled back if it
        raises. The lock is released when the writer goes."""
        writer = self._acquire_writer()
        try:
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            # Each commit adds a segment; merges run in the writer's threads, and a writer
            # dropped at once would cancel them: wait, so segments stay few (searching and
            # counting cost grow with them: 50 segments made 100k-product searches 2-4x slower).
            writer.wait_merging_threads()
        finally:
            del writer  # drops the writer (if the wait did not consume it): releases the lock file
        self.index.reload()  # this process sees its own write at once

    def _acquire_writer(self) -> tantivy.IndexWriter:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        pause, longest = LOCK_RETRY_SECONDS
        while True:
            try:
                return self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            except ValueError as error:
                if "LockBusy" not in str(error):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexLockTimeout(
                        f"Another process held the search index writer for {LOCK_WAIT_SECONDS:.0f} s"
                    ) from error
                time.sleep(pause)
                pause = min(pause * 2, longest)
