"""Deploy checks for catalog settings that production must not leave unsafe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.files.storage import FileSystemStorage, InMemoryStorage, storages
from django.core.files.storage.handler import InvalidStorageError

from shopstack.catalog.importing.runner import max_columns, max_row_chars
from shopstack.catalog.importing.storage import STORAGE_ALIAS

# Well above the defaults (500 columns, 1 MiB rows), well below what holds a worker for seconds.
SAFE_MAX_COLUMNS = 5_000
SAFE_MAX_ROW_CHARS = 16 * 1024 * 1024


@register(Tags.security, deploy=True)
def check_catalog_import_storage(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        imports = storages[STORAGE_ALIAS]
    except InvalidStorageError as error:
        return [
            Error(
                f"STORAGES has no usable {STORAGE_ALIAS!r} storage for uploaded catalog files: {error}",
                hint="Keep the entry config/settings/base.py defines, or set CATALOG_IMPORT_STORAGE "
                "to a private storage class.",
                id="shopstack.E040",
            )
        ]
    problems: list[CheckMessage] = []
    if isinstance(imports, FileSystemStorage):
        location = Path(imports.location).resolve()
        if location.is_relative_to(Path(settings.MEDIA_ROOT).resolve()):
            problems.append(
                Error(
                    f"Uploaded catalog files are stored in {location}, inside MEDIA_ROOT, which is "
                    "served to anyone: their prices and stock would be public.",
                    hint="Give the catalog_imports storage a location outside MEDIA_ROOT.",
                    id="shopstack.E041",
                )
            )
        media = storages["default"]
        if not isinstance(media, FileSystemStorage | InMemoryStorage):
            problems.append(
                Warning(
                    "Uploaded catalog files are kept on this machine's disk while the media storage "
                    "is remote: a task worker on another machine cannot read them, and large imports "
                    "would fail there.",
                    hint="Set CATALOG_IMPORT_STORAGE to a storage class for a private bucket.",
                    id="shopstack.W040",
                )
            )
    return problems


@register(Tags.security, deploy=True)
def check_catalog_import_caps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if max_columns() > SAFE_MAX_COLUMNS:
        problems.append(
            Warning(
                f"CATALOG_IMPORT_MAX_COLUMNS is {max_columns():,}: a CSV header that wide holds a "
                "worker for seconds and renders a mapping page of megabytes.",
                hint=f"A real catalog has tens of columns; keep it at most {SAFE_MAX_COLUMNS:,}.",
                id="shopstack.W041",
            )
        )
    if max_row_chars() > SAFE_MAX_ROW_CHARS:
        problems.append(
            Warning(
                f"CATALOG_IMPORT_MAX_ROW_CHARS is {max_row_chars():,}: one row that long is held in "
                "memory and parsed whole.",
                hint=f"Keep it at most {SAFE_MAX_ROW_CHARS:,}.",
                id="shopstack.W042",
            )
        )
    return problems
