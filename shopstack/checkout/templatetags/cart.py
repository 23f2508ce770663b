"""Template helpers for cart forms."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from shopstack.storefront.caching import CSRF_PLACEHOLDER

register = template.Library()


@register.simple_tag
def csrf_placeholder() -> SafeString:
    """The CSRF field of a form inside a cached, shared page: the page cache swaps the
    visitor's token in on every answer (see storefront.caching)."""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', CSRF_PLACEHOLDER)
