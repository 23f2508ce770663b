"""Background work for inventory.

`reservations_expire` tidies reservations whose time is up. Nobody waits for it to be
correct: availability reads and the services that take stock already ignore lapsed
reservations. Enqueue it every few minutes (a scheduler or the worker's loop); running
it twice at once is safe.
"""

from __future__ import annotations

from django.tasks import task

from shopstack.inventory.services import stock_expire_reservations


@task()
def reservations_expire() -> int:
    return stock_expire_reservations()
