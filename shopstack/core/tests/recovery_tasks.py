"""Tasks for the task recovery tests (django-tasks-db stores a task by its import path)."""

from __future__ import annotations

import time

from django.db.utils import OperationalError
from django.tasks import task

from shopstack.core.models import ReferenceStamp

# Test switches, set by the tests in the same process as the worker they drive.
runs: list[str] = []
outage: dict[str, bool] = {"on": False, "during_next_run": False}


def database_outage(execute, sql, params, many, context):
    """A connection execute wrapper: while the outage is on, every query fails the way a
    dropped PostgreSQL connection does."""
    if outage["on"]:
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


@task()
def record_a_run(name: str) -> str:
    """Writes a row and notes the run; the database goes away in the middle of the run
    the test asks for."""
    runs.append(name)
    if outage["during_next_run"]:
        outage["during_next_run"] = False
        outage["on"] = True
    ReferenceStamp.objects.update_or_create(name=f"recovery-{name}", defaults={"token": str(len(runs))})
    return name


@task()
def take_a_while(name: str, seconds: float) -> str:
    """Marks that it started, then takes its time: a worker can be killed in the middle."""
    ReferenceStamp.objects.update_or_create(name=f"started-{name}", defaults={"token": "1"})
    time.sleep(seconds)
    ReferenceStamp.objects.update_or_create(name=f"finished-{name}", defaults={"token": "1"})
    return name
