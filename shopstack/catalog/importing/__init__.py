"""Catalog import from a CSV file (docs/import-catalog.md): header and mapping (`columns`),
row checks (`rows`), the in-memory category and attribute caches (`structure`), the batch
writer (`writer`) and the streaming runner (`runner`). The command and the admin upload
call `import_catalog`; the admin's uploads and their progress are kept by `uploads`."""

from shopstack.catalog.importing.columns import (
    CANONICAL_COLUMNS,
    REQUIRED_COLUMNS,
    HeaderError,
    parse_mapping,
)
from shopstack.catalog.importing.rows import RowError
from shopstack.catalog.importing.runner import DEFAULT_BATCH_SIZE, ImportReport, import_catalog, read_header

__all__ = [
    "CANONICAL_COLUMNS",
    "DEFAULT_BATCH_SIZE",
    "REQUIRED_COLUMNS",
    "HeaderError",
    "ImportReport",
    "RowError",
    "import_catalog",
    "parse_mapping",
    "read_header",
]
