"""Notification channels: one small base class, chosen per channel name in settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from shopstack.notifications.backends.base import Channel

DEFAULT_CHANNELS: dict[str, dict[str, Any]] = {
    "email": {"BACKEND": "shopstack.notifications.backends.email.EmailChannel", "OPTIONS": {}},
}


def channel_names() -> list[str]:
    return list(getattr(settings, "NOTIFICATION_CHANNELS", DEFAULT_CHANNELS))


def load_channel(name: str) -> Channel:
    """The channel configured as settings.NOTIFICATION_CHANNELS[name] (email by default).

    Built on each call, not cached: construction is cheap and settings stay overridable."""
    config = getattr(settings, "NOTIFICATION_CHANNELS", DEFAULT_CHANNELS).get(name)
    if not config or "BACKEND" not in config:
        raise ImproperlyConfigured(f"settings.NOTIFICATION_CHANNELS[{name!r}] must name a BACKEND")
    backend_class = import_string(config["BACKEND"])
    return backend_class(**config.get("OPTIONS", {}))
