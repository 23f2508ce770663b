"""Product images and their renditions.

A ProductMedia row names its largest file (`image`); smaller renditions sit beside it
with the width in the name (`<stem>-w480.png`), and `widths` lists what exists. Pages
build srcset from that list, so no request ever resizes an image.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
from collections.abc import Iterable
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from shopstack.catalog.models import Product, ProductMedia

RENDITION_WIDTHS: tuple[int, ...] = (240, 480, 960)
LISTING_WIDTH = 480


def rendition_name(name: str, width: int) -> str:
    path = PurePosixPath(name)
    stem = path.stem.rsplit("-w", 1)[0]
    return str(path.with_name(f"{stem}-w{width}{path.suffix}"))


def rendition_url(media: ProductMedia, width: int) -> str:
    """The URL of the smallest stored rendition at least `width` wide (or the largest)."""
    widths = sorted(media.widths or [])
    if not widths:
        return media.image.url
    chosen = next((w for w in widths if w >= width), widths[-1])
    return default_storage.url(rendition_name(media.image.name, chosen))


def srcset(media: ProductMedia) -> str:
    return ", ".join(
        f"{default_storage.url(rendition_name(media.image.name, w))} {w}w" for w in sorted(media.widths or [])
    )


def _palette(seed: bytes) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    hue = seed[0] / 255
    background = colorsys.hls_to_rgb(hue, 0.86, 0.45)
    accent = colorsys.hls_to_rgb((hue + 0.5) % 1, 0.38, 0.55)
    return (
        tuple(round(c * 255) for c in background),  # type: ignore[return-value]
        tuple(round(c * 255) for c in accent),
    )


def placeholder_image(code: str, width: int) -> bytes:
    """A square PNG drawn only from the product code: the same code gives the same bytes.

    Flat shapes in two colours, so an indexed PNG is both the smallest and the fastest
    format to write (about 1 ms at 960 px, against 15 ms for lossy WebP)."""
    seed = hashlib.sha256(code.encode()).digest()
    background, accent = _palette(seed)
    size = 96  # drawn small and scaled: fast, and identical at every width
    image = Image.new("P", (size, size), 0)
    image.putpalette([*background, *accent])
    draw = ImageDraw.Draw(image)
    for i in range(6):
        a, b, c, d = seed[4 + i * 4 : 8 + i * 4]
        x, y, r = a % size, b % size, 8 + c % 24
        shape = draw.ellipse if d % 2 else draw.rectangle
        shape((x - r, y - r, x + r, y + r), fill=1 if i % 2 else None, outline=1, width=3)
    image = image.resize((width, width), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def attach_placeholder_images(product: Product, widths: Iterable[int] = RENDITION_WIDTHS) -> ProductMedia:
    """Give a product a generated image in every width, replacing files already there."""
    widths = sorted(widths)
    base = f"products/{product.code}/{product.code}-w{widths[-1]}.png"
    for width in widths:
        name = rendition_name(base, width)
        if default_storage.exists(name):
            default_storage.delete(name)
        default_storage.save(name, ContentFile(placeholder_image(product.code, width)))
    media, _ = ProductMedia.objects.update_or_create(
        product=product,
        position=0,
        defaults={"image": base, "alt": product.name, "widths": widths},
    )
    return media
