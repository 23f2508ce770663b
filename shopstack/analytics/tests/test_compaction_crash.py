"""A compaction worker killed with SIGKILL mid-way (a real `manage.py analytics_compact`
process, stopped by shopstack.core.faults), then run again: every event exactly once, and
the same bytes as a run that was never interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings

from shopstack.analytics.services import events_append
from shopstack.analytics.store import event_store
from shopstack.analytics.tests.warehouse_helpers import day_files, day_table, two_days_of_events
from shopstack.analytics.warehouse.compaction import events_compact
from shopstack.testing.orders import ROOT, database_url

pytestmark = pytest.mark.django_db

# The child is the real command; only the per-test-process settings (this process's event
# store and a warehouse under tmp_path) are handed to it.
_CHILD = """
import json, os
import django
django.setup()
from django.conf import settings
for name, value in json.loads(os.environ["WAREHOUSE_TEST_SETTINGS"]).items():
    setattr(settings, name, value)
from django.core.management import call_command
call_command("analytics_compact", "--events-only", verbosity=0)
"""


def _run_command(faults: str = "") -> subprocess.CompletedProcess[bytes]:
    environment = {
        **{name: value for name, value in os.environ.items() if name != "SHOPSTACK_FAULTS"},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "SHOPSTACK_FAULTS": faults,
        "WAREHOUSE_TEST_SETTINGS": json.dumps(
            {
                "ANALYTICS_EVENT_STORE": settings.ANALYTICS_EVENT_STORE,
                "ANALYTICS_WAREHOUSE_ROOT": settings.ANALYTICS_WAREHOUSE_ROOT,
            }
        ),
    }
    return subprocess.run(
        [sys.executable, "-c", _CHILD], cwd=ROOT, env=environment, capture_output=True, timeout=600
    )


@pytest.fixture
def uninterrupted(settings, tmp_path) -> dict[str, str]:
    """The files of a compaction of the same events that nothing stopped."""
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path / "uninterrupted")
    events_append(two_days_of_events())
    events_compact()
    assert event_store().count() == 0
    return day_files(settings.ANALYTICS_WAREHOUSE_ROOT)


@pytest.mark.parametrize(
    "fault",
    [
        "analytics_warehouse_writing",  # the temporary file half written
        "analytics_warehouse_before_rename",  # written whole, not yet in place
        "analytics_compaction_before_delete",  # in place, the store not yet told
    ],
)
def test_a_compaction_killed_mid_way_then_run_again_ends_as_if_never_interrupted(
    fault, uninterrupted, settings, tmp_path
):
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path / "killed")
    events = two_days_of_events()
    events_append(events)

    killed = _run_command(faults=f"{fault}:kill")

    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode(errors="replace")
    assert event_store().count() == len(events)  # nothing was deleted from the store
    in_place = [path for path in day_files(settings.ANALYTICS_WAREHOUSE_ROOT) if path.endswith(".parquet")]
    if fault == "analytics_compaction_before_delete":
        assert in_place == ["/events/day=2026-03-14/events.parquet"]
    else:
        assert in_place == []  # at most a temporary file, which no reader's glob matches

    again = _run_command()

    assert again.returncode == 0, again.stderr.decode(errors="replace")
    assert day_files(settings.ANALYTICS_WAREHOUSE_ROOT) == uninterrupted  # no temporary file left either
    assert event_store().count() == 0
    ids = day_table(settings.ANALYTICS_WAREHOUSE_ROOT, "2026-03-14").column("event_id").to_pylist()
    assert len(ids) == len(set(ids)) == 6


def test_a_kill_while_late_events_are_merged_leaves_the_days_file_as_it_was(settings, tmp_path):
    events = two_days_of_events()
    early, late = events[:3], events[3:]
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path / "uninterrupted")
    events_append(early)
    events_compact()
    events_append(late)
    events_compact()
    uninterrupted = day_files(settings.ANALYTICS_WAREHOUSE_ROOT)
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path / "killed")
    events_append(early)
    events_compact()
    before = day_files(settings.ANALYTICS_WAREHOUSE_ROOT)
    events_append(late)

    killed = _run_command(faults="analytics_warehouse_before_rename:kill")

    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode(errors="replace")
    after_kill = day_files(settings.ANALYTICS_WAREHOUSE_ROOT)
    assert {path: digest for path, digest in after_kill.items() if path.endswith(".parquet")} == before
    assert event_store().count() == len(late)

    again = _run_command()

    assert again.returncode == 0, again.stderr.decode(errors="replace")
    assert day_files(settings.ANALYTICS_WAREHOUSE_ROOT) == uninterrupted
    assert event_store().count() == 0
