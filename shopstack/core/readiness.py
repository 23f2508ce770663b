"""What `/readyz` asks besides core's own database, cache and rate-limit store.

A context whose store the shop cannot serve without registers a check from its
AppConfig.ready (`readiness_register(name="event_store", check=...)`); core runs them and
knows none of them, as with periodic sweeps (periodic.py). A check is called on every probe,
so it must be cheap (one round trip on a connection already open) and must bound its own
wait: a probe that hangs is worse than one that says no.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

Check = Callable[[], bool]

_registry: dict[str, Check] = {}
# Core's own checks, answered by the health middleware itself.
RESERVED = frozenset({"database", "cache", "limits"})


def readiness_register(*, name: str, check: Check) -> None:
    """Ask `check()` on every /readyz: the shop is ready only while it answers True.
    Re-registering a name replaces it (AppConfig.ready may run twice in tests)."""
    if name in RESERVED:
        raise ValueError(f"{name} is one of core's own readiness checks")
    _registry[name] = check


def readiness_report() -> dict[str, bool]:
    """Each registered check's answer, by name; a check that raises answers False."""
    answers = {}
    for name, check in sorted(_registry.items()):
        try:
            answers[name] = bool(check())
        except Exception:
            logger.exception("readiness check %s failed", name)
            answers[name] = False
    return answers
