"""Fault injection for the proof tests: a worker killed between a side effect and its record.

`fault_point("after_authorize")` does nothing unless the environment variable
SHOPSTACK_FAULTS names that point: "after_authorize:kill" ends the process at once with
SIGKILL (no cleanup, no rollback handler, like `kill -9` or a lost machine);
"after_authorize:raise" raises InjectedFault. Several points are separated by commas.
The variable is read once per process, so an unset variable costs one dict lookup.
"""

from __future__ import annotations

import os
import signal
from functools import cache

ENV_VAR = "SHOPSTACK_FAULTS"


class InjectedFault(RuntimeError):
    """Raised at a fault point configured with ":raise"."""


@cache
def _configured() -> dict[str, str]:
    faults: dict[str, str] = {}
    for item in os.environ.get(ENV_VAR, "").split(","):
        name, _, action = item.strip().partition(":")
        if name:
            faults[name] = action or "kill"
    return faults


def fault_point(name: str) -> None:
    """Kill the process or raise here if SHOPSTACK_FAULTS asks for it; otherwise nothing."""
    action = _configured().get(name)
    if action is None:
        return
    if action == "raise":
        raise InjectedFault(f"fault injected at {name}")
    os.kill(os.getpid(), signal.SIGKILL)


def faults_reload() -> None:
    """Forget the parsed variable (tests that change it in-process)."""
    _configured.cache_clear()
