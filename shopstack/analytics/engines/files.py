"""Whether a table's files exist under a warehouse root (a folder or an fsspec URL)."""

from __future__ import annotations

import fsspec


def location_has_parquet(location: str, *, kept_as: str) -> bool:
    """Whether the table at `location`, kept as engines/base.py's `kept_as` says, has a file."""
    filesystem, path = fsspec.core.url_to_fs(location)
    if kept_as == "file":
        return bool(filesystem.exists(path))
    pattern = f"{path}/day=*/*.parquet" if kept_as == "day_partitions" else f"{path}/*.parquet"
    return bool(filesystem.glob(pattern))
