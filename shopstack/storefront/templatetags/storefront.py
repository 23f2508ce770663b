"""Template helpers for storefront pages: money, responsive images, JSON-LD."""

from __future__ import annotations

import json
from decimal import Decimal

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from shopstack.catalog.media import LISTING_WIDTH, rendition_url, srcset
from shopstack.catalog.models import ProductMedia
from shopstack.core.money import format_money

register = template.Library()

# The same characters json_script escapes: the JSON can then never close the script element.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    return "" if amount is None else format_money(amount, currency)


@register.simple_tag
def product_image(
    media: ProductMedia,
    *,
    alt: str = "",
    width: int = LISTING_WIDTH,
    sizes: str = "100vw",
    eager: bool = False,
    decorative: bool = False,
) -> SafeString:
    """An <img> with srcset from the stored renditions.

    width/height reserve the box before the image arrives (renditions are square; CSS
    keeps `height: auto`, so another shape still shows undistorted). `decorative` gives
    an empty alt, for an image inside a link whose own text already names the product."""
    return format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" loading="{}" decoding="async">',
        rendition_url(media, width),
        srcset(media),
        sizes,
        width,
        width,
        "" if decorative else (media.alt or alt),
        "eager" if eager else "lazy",
    )


@register.filter
def ld_json(data: object) -> SafeString:
    """A JSON-LD script element; its text is safe against `</script>` in any value."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
    # Safe: the text was escaped above exactly as json_script does.
    return mark_safe(f'<script type="application/ld+json">{text}</script>')
