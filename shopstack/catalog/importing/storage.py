"""Where uploaded catalog files are kept: the `catalog_imports` storage of STORAGES.

They hold a shop's prices and stock, so they are never in the media storage (served to
anyone at MEDIA_URL): the embedded default is a directory under var/ with no URL, read
only through the admin's download view; a scale-out tier names a private bucket's storage
class in CATALOG_IMPORT_STORAGE so that a task worker on another machine reads the file.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage, Storage, storages

STORAGE_ALIAS = "catalog_imports"


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on the local disk that have no URL: nothing links to them, nothing serves them."""

    def url(self, name: str | None) -> str:
        raise ValueError("Catalog uploads have no URL; staff download them through the admin.")


def imports_storage() -> Storage:
    return storages[STORAGE_ALIAS]
