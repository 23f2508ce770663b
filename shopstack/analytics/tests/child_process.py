"""A real Django process on this test process's database, event store and warehouse, for
the proof tests that kill one with SIGKILL at a fault point (shopstack.core.faults)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from django.conf import settings

from shopstack.testing.orders import ROOT, database_url

# The child sets this test process's own settings (its event store and a warehouse under
# tmp_path, which no environment variable names) before running `code`.
_PREAMBLE = """
import json, os
import django
django.setup()
from django.conf import settings
for name, value in json.loads(os.environ["ANALYTICS_TEST_SETTINGS"]).items():
    setattr(settings, name, value)
"""


def child_run(code: str, *, faults: str = "", **overrides: Any) -> subprocess.CompletedProcess[bytes]:
    """Run `code` in a new process set up like this one (plus `overrides` of settings), with
    SHOPSTACK_FAULTS set to `faults`; its exit status is -SIGKILL if a fault point killed it."""
    environment = {
        **{name: value for name, value in os.environ.items() if name != "SHOPSTACK_FAULTS"},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "SHOPSTACK_FAULTS": faults,
        "ANALYTICS_TEST_SETTINGS": json.dumps(
            {
                "ANALYTICS_EVENT_STORE": settings.ANALYTICS_EVENT_STORE,
                "ANALYTICS_WAREHOUSE_ROOT": settings.ANALYTICS_WAREHOUSE_ROOT,
                **overrides,
            }
        ),
    }
    return subprocess.run(
        [sys.executable, "-c", _PREAMBLE + code], cwd=ROOT, env=environment, capture_output=True, timeout=600
    )
