"""Background work for the catalog (run by the task worker).

`catalog_import_run` imports a file uploaded in the back office; it is enqueued by the
handler of the `CatalogImportRequested` event that the upload page records.
`catalog_uploads_sweep` deletes uploads past their retention; it runs periodically.
"""

from __future__ import annotations

from typing import Any

from django.tasks import task

from shopstack.catalog.importing.uploads import upload_import_queued, uploads_sweep
from shopstack.core.enqueue import enqueue_with_transaction
from shopstack.core.events import Event


@task()
def catalog_import_run(token: str, mapping: dict[str, str], actor_id: int | None = None) -> dict[str, Any]:
    return upload_import_queued(token=token, mapping=mapping, actor_id=actor_id)


def on_catalog_import_requested(event: Event) -> None:
    token, mapping = str(event.payload["token"]), dict(event.payload.get("mapping", {}))
    actor_id = event.payload.get("actor_id")
    # On the immediate backend (tests) the import must not run inside the dispatcher's transaction.
    enqueue_with_transaction(catalog_import_run, lambda: catalog_import_run.enqueue(token, mapping, actor_id))


@task()
def catalog_uploads_sweep() -> int:
    return uploads_sweep()
