"""Loading of pluggable backends named in settings, the way Django loads cache backends."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


@cache
def load_backend(setting_name: str) -> Any:
    """The backend instance configured as {"BACKEND": dotted.path, "OPTIONS": {...}}."""
    config = getattr(settings, setting_name, None)
    if not config or "BACKEND" not in config:
        raise ImproperlyConfigured(f"settings.{setting_name} must name a BACKEND")
    backend_class = import_string(config["BACKEND"])
    return backend_class(**config.get("OPTIONS", {}))
