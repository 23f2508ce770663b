"""Catalog files uploaded in the back office, and the state of their import.

An upload is stored under `catalog-imports/<token>/` in the private `catalog_imports`
storage (catalog.importing.storage), never in the public media, so that the task worker,
in another process or on another machine, reads the same file while nobody else can. The
import's progress and result are written beside it as `status.json` after every batch;
the status page reads that file. A large file's import is requested with a
`CatalogImportRequested` event, whose handler (catalog/tasks.py) enqueues the task.

The uploaded file is deleted when its import ends, done or failed; what is left (files
uploaded and never imported, the status of finished imports) is swept by
`uploads_sweep` once untouched for CATALOG_IMPORT_RETENTION_SECONDS.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.utils import timezone

from shopstack.catalog.importing.columns import HeaderError, resolve_columns
from shopstack.catalog.importing.runner import (
    ImportReport,
    columns_check_allowed,
    import_catalog,
    read_header,
)
from shopstack.catalog.importing.storage import imports_storage
from shopstack.catalog.services import Actor
from shopstack.core.errors import NotFound, ValidationFailed
from shopstack.core.events import event_record

ROOT = "catalog-imports"
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_INLINE_MAX_BYTES = 1024 * 1024  # about 10,000 rows: imported while the page waits
DEFAULT_RETENTION_SECONDS = 24 * 60 * 60
PREVIEW_ROWS = 10_000  # a preview of a larger file checks its first rows only
REQUESTED_EVENT = "CatalogImportRequested"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def max_upload_bytes() -> int:
    return int(getattr(settings, "CATALOG_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def inline_max_bytes() -> int:
    return int(getattr(settings, "CATALOG_IMPORT_INLINE_MAX_BYTES", DEFAULT_INLINE_MAX_BYTES))


def retention_seconds() -> int:
    return int(getattr(settings, "CATALOG_IMPORT_RETENTION_SECONDS", DEFAULT_RETENTION_SECONDS))


def _path(token: str, name: str) -> str:
    if not _TOKEN.match(token):
        raise NotFound("No such upload.")
    return f"{ROOT}/{token}/{name}"


def upload_store(*, file: File[Any]) -> tuple[str, list[str]]:
    """Keep an uploaded catalog file; returns its token and header. A file too large, not
    UTF-8 CSV or without a header is refused (HeaderError / ValidationFailed) and not kept."""
    limit = max_upload_bytes()
    if file.size is not None and file.size > limit:
        raise ValidationFailed(
            "The file is too large.", fields={"file": [f"At most {limit // (1024 * 1024)} MB."]}
        )
    file.seek(0)
    header = read_header(file)
    if not any(header):
        raise HeaderError("The file is empty.", fields={"file": ["The first row must name the columns."]})
    token = uuid.uuid4().hex
    file.seek(0)
    imports_storage().save(_path(token, "upload.csv"), file)
    _status_write(token, {"state": "uploaded", "name": str(file.name or "")[:200]})
    return token, header


def upload_header(*, token: str) -> list[str]:
    with upload_open(token=token) as stream:
        return read_header(stream)


def upload_size(*, token: str) -> int:
    name = _path(token, "upload.csv")
    storage = imports_storage()
    if not storage.exists(name):
        raise NotFound("No such upload.")
    return int(storage.size(name))


def upload_open(*, token: str) -> IO[bytes]:
    """The uploaded file, for reading (NotFound once its import has ended)."""
    name = _path(token, "upload.csv")
    storage = imports_storage()
    if not storage.exists(name):
        raise NotFound("No such upload.")
    return storage.open(name, "rb")


def upload_check_mapping(*, token: str, mapping: Mapping[str, str], actor: Actor | None) -> None:
    """Refuse (HeaderError) a mapping that the import would refuse, before running anything."""
    columns_check_allowed(resolve_columns(upload_header(token=token), mapping), actor)


def upload_preview(
    *, token: str, mapping: Mapping[str, str], actor: Actor | None
) -> tuple[ImportReport, bool]:
    """A dry run over the file, or over its first PREVIEW_ROWS rows when it is large.
    Returns the report and whether the whole file was checked."""
    whole = upload_size(token=token) <= inline_max_bytes()
    with upload_open(token=token) as stream:
        report = import_catalog(
            stream=stream, actor=actor, mapping=mapping, dry_run=True, limit=None if whole else PREVIEW_ROWS
        )
    return report, whole


def upload_import(*, token: str, mapping: Mapping[str, str], actor: Actor | None) -> ImportReport:
    """Import the upload as `actor` (their price and stock permissions apply), writing
    progress after every batch and the result at the end. A mapping refused before the
    import starts (HeaderError) leaves the file, for staff to map it again; once started,
    the file is deleted when the import ends, done or failed."""
    upload_check_mapping(token=token, mapping=mapping, actor=actor)
    size = upload_size(token=token)
    progress = {"state": "running", "bytes_total": size, "started_at": timezone.now().isoformat()}
    _status_write(token, progress)
    try:
        with upload_open(token=token) as stream:

            def on_batch(report: ImportReport) -> None:
                done = min(_position(stream), size)
                _status_write(token, progress | {"bytes_done": done, "report": report.as_dict()})

            report = import_catalog(stream=stream, actor=actor, mapping=mapping, on_batch=on_batch)
    except Exception as error:
        _status_write(token, progress | {"state": "failed", "error": f"{type(error).__name__}: {error}"})
        raise
    finally:
        # Done or failed, the file has served its purpose: it is not kept where it could leak.
        imports_storage().delete(_path(token, "upload.csv"))
    _status_write(token, progress | {"state": "done", "bytes_done": size, "report": report.as_dict()})
    return report


def upload_import_request(*, token: str, mapping: Mapping[str, str], actor: AbstractBaseUser) -> None:
    """Ask the task worker to import the upload as `actor` (catalog/tasks.py handles the event)."""
    upload_check_mapping(token=token, mapping=mapping, actor=actor)
    _status_write(token, {"state": "queued", "bytes_total": upload_size(token=token)})
    with transaction.atomic():
        event_record(
            name=REQUESTED_EVENT,
            aggregate_type="catalog_import",
            aggregate_id=token,
            payload={"token": token, "mapping": dict(mapping), "actor_id": actor.pk},
        )


def upload_import_queued(*, token: str, mapping: Mapping[str, str], actor_id: object) -> dict[str, Any]:
    """The task worker's part: import a queued upload as the staff user who asked for it,
    with their permissions as they are now. Returns the status (run once per queued upload)."""
    status = upload_status(token=token)
    if status.get("state") != "queued":
        return status  # the event was delivered twice: one import is enough
    actor = get_user_model().objects.filter(pk=actor_id, is_active=True).first() if actor_id else None
    if actor is None:
        # Never run as the shop itself: the request names who asked, or nothing is written.
        return _fail(token, status, "The user who asked for this import is unknown or inactive.")
    try:
        return upload_import(token=token, mapping=mapping, actor=actor).as_dict()
    except HeaderError as error:
        # Checked when it was asked for; refused now, e.g. a permission withdrawn meanwhile.
        problems = [message for messages in error.fields.values() for message in messages]
        return _fail(token, status, " ".join([error.message, *problems]))


def _fail(token: str, status: dict[str, Any], error: str) -> dict[str, Any]:
    failed = status | {"state": "failed", "error": error}
    _status_write(token, failed)
    imports_storage().delete(_path(token, "upload.csv"))
    return failed


def upload_status(*, token: str) -> dict[str, Any]:
    name = _path(token, "status.json")
    storage = imports_storage()
    if not storage.exists(name):
        raise NotFound("No such upload.")
    try:
        with storage.open(name, "rb") as handle:
            return dict(json.loads(handle.read()))
    except (OSError, ValueError):
        # Caught between the delete and the save of a rewrite: the next look shows it.
        return {"state": "running"}


def _status_write(token: str, status: dict[str, Any]) -> None:
    name = _path(token, "status.json")
    # Storage.save never overwrites (it picks another name), so the old file goes first.
    storage = imports_storage()
    storage.delete(name)
    storage.save(name, ContentFile(json.dumps(status).encode()))


def _position(stream: IO[bytes]) -> int:
    try:
        return int(stream.tell())
    except (OSError, ValueError):
        return 0


def uploads_sweep(*, now: datetime | None = None) -> int:
    """Delete every upload (its file and status) untouched for CATALOG_IMPORT_RETENTION_SECONDS:
    files uploaded and never imported, and the status of imports long finished. A running
    import rewrites its status after every batch, so it is never swept. Uploads kept in the
    public media storage before they moved to `catalog_imports` are swept the same way.
    Returns how many uploads were deleted."""
    cutoff = (now or timezone.now()) - timedelta(seconds=retention_seconds())
    return _sweep(imports_storage(), cutoff) + _sweep(default_storage, cutoff)


def _sweep(storage: Storage, cutoff: datetime) -> int:
    try:
        tokens, _ = storage.listdir(ROOT)
    except FileNotFoundError:
        return 0
    swept = 0
    for token in tokens:
        if not _TOKEN.match(token):
            continue  # not ours: leave it
        folder = f"{ROOT}/{token}"
        names = [f"{folder}/{name}" for name in storage.listdir(folder)[1]]
        if any(storage.get_modified_time(name) > cutoff for name in names):
            continue
        for name in names:
            storage.delete(name)
        storage.delete(folder)
        swept += 1
    return swept
