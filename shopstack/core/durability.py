"""Transactions that may skip waiting for the disk, because losing them in a crash is harmless.

On PostgreSQL a durable commit waits for its WAL to be flushed: about 4 ms on this
machine's disk, more than everything else a small request does. A write whose loss in a
database crash would do no harm (a claim that a retry simply makes again) can commit with
`synchronous_commit` off for that one transaction: PostgreSQL still writes it in order,
so any later durable commit (the order the claim led to) flushes it as well; only the
last fraction of a second before a crash can be lost, never half of a transaction.
SQLite in WAL mode with synchronous=NORMAL does not wait for the disk on commit anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


@contextmanager
def losable_on_crash(using: str | None = None) -> Iterator[None]:
    """Run the block as one transaction that does not wait for the disk on commit (see
    above). Inside an enclosing transaction it changes nothing: that one decides."""
    connection = transaction.get_connection(using)
    enclosed = connection.in_atomic_block
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and not enclosed:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield
