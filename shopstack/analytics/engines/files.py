"""Whether a table's files exist under a warehouse root (a folder or an fsspec URL)."""

from __future__ import annotations

import fsspec


def location_has_parquet(location: str, *, partitioned: bool) -> bool:
    filesystem, path = fsspec.core.url_to_fs(location)
    if not partitioned:
        return bool(filesystem.exists(path))
    return bool(filesystem.glob(f"{path}/day=*/*.parquet"))
