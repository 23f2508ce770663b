"""When the warehouse last changed, for the dashboards' cache and their "last compaction" line.

Three small files under `<root>/_state/`, each holding one ISO time and a random token:

- `written`: replaced by every file write (Warehouse.write), so any change to the tables
  gives a new stamp and cached answers computed before it are never served again;
- `events_compacted` and `tables_rebuilt`: when the last compaction and the last facts
  rebuild finished, shown to staff.

One file per fact, not one JSON document: compaction and the facts rebuild hold different
locks and may finish at once, and a read-modify-write of a shared file would lose one.
A file is replaced whole (fs.pipe_file on object stores, a rename locally), so a reader
sees the old content or the new, never half of either.
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from shopstack.analytics.warehouse.files import Warehouse

STATE_FOLDER = "_state"
WRITTEN = "written"
EVENTS_COMPACTED = "events_compacted"
TABLES_REBUILT = "tables_rebuilt"


@dataclass(frozen=True)
class WarehouseState:
    stamp: str  # changes whenever a warehouse file is written; "" for a warehouse never written
    events_compacted_at: datetime | None
    tables_rebuilt_at: datetime | None


def state_note(where: Warehouse, name: str, *, now: datetime | None = None) -> None:
    """Record that `name` happened now (a new random token makes every note a new stamp)."""
    moment = now or timezone.now()
    content = f"{moment.isoformat()} {secrets.token_hex(8)}\n".encode()
    path = f"{where.root}/{STATE_FOLDER}/{name}"
    if where.is_local:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f".{name}.{uuid.uuid4().hex}.tmp"
        temporary.write_bytes(content)
        os.replace(temporary, target)
    else:
        where.fs.pipe_file(path, content)


def state_read(where: Warehouse) -> WarehouseState:
    written = _read(where, WRITTEN)
    return WarehouseState(
        stamp=written,
        events_compacted_at=_when(_read(where, EVENTS_COMPACTED)),
        tables_rebuilt_at=_when(_read(where, TABLES_REBUILT)),
    )


def _read(where: Warehouse, name: str) -> str:
    path = f"{where.root}/{STATE_FOLDER}/{name}"
    try:
        if where.is_local:
            return Path(path).read_text().strip()
        return bytes(where.fs.cat_file(path)).decode().strip()
    except (FileNotFoundError, OSError):
        return ""


def _when(content: str) -> datetime | None:
    text = content.split(" ", 1)[0]
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
