"""Template helpers for cart forms (kept for later helpers; the cart needs none today)."""

from __future__ import annotations

from django import template

register = template.Library()
