"""The collector's settings, read once per process (and again when a test changes one).

The middleware runs on every request, and each read of `django.conf.settings` goes
through its lazy wrapper (about half a microsecond): a handful per request were a
measurable share of the collector's cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


@dataclass(frozen=True, slots=True)
class CollectSettings:
    tracking: bool
    consent_banner: bool
    session_gap: timedelta
    session_cookie_seconds: int  # a minute longer than a session: renewed once a minute
    session_cookie_name: str  # Django's own, whose presence marks a browser
    flush_seconds: float  # 0: events are written through, not buffered (tests)


_held: CollectSettings | None = None


def collect_settings() -> CollectSettings:
    global _held
    held = _held
    if held is None:
        minutes = settings.ANALYTICS_SESSION_MINUTES
        held = CollectSettings(
            tracking=bool(settings.ANALYTICS_TRACKING),
            consent_banner=bool(settings.ANALYTICS_CONSENT_BANNER),
            session_gap=timedelta(minutes=minutes),
            session_cookie_seconds=minutes * 60 + 60,
            session_cookie_name=settings.SESSION_COOKIE_NAME,
            flush_seconds=float(settings.ANALYTICS_FLUSH_SECONDS),
        )
        _held = held
    return held


@receiver(setting_changed)
def _forget(setting: str, **kwargs: Any) -> None:
    global _held
    if setting.startswith("ANALYTICS_") or setting == "SESSION_COOKIE_NAME":
        _held = None
