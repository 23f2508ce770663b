"""A compaction worker killed with SIGKILL mid-way (a real `manage.py analytics_compact`
process, stopped by shopstack.core.faults), then run again: every event exactly once, and
the same bytes as a run that was never interrupted."""

from __future__ import annotations

import signal

import pytest

from shopstack.analytics.services import events_append
from shopstack.analytics.store import event_store
from shopstack.analytics.tests.child_process import child_run
from shopstack.analytics.tests.warehouse_helpers import day_files, day_table, two_days_of_events
from shopstack.analytics.warehouse.compaction import events_compact

pytestmark = pytest.mark.django_db


def _run_command(faults: str = ""):
    # The real command, in a process of its own.
    command = 'call_command("analytics_compact", "--events-only", verbosity=0)'
    return child_run(f"from django.core.management import call_command\n{command}", faults=faults)


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
