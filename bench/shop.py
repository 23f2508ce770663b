"""The shop under test: the demo database made ready as `make demo` does, and the URLs to load.

Django runs in child processes here, never in the bench itself: the bench holds no
database connection while the server is measured, and a broken app (other work still in
progress) shows up as a clear message, not as a crash of the bench.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from bench.server import ROOT, production_env

PYTHON = str(ROOT / ".venv" / "bin" / "python")
MARKER = "BENCH_JSON "

# Runs inside the project's virtualenv with production settings; prints one JSON line.
_DISCOVER = r"""
import json
import django

django.setup()
out = {"products": 0}
try:
    from shopstack.catalog.models import Category, Product

    published = Product.objects.filter(is_published=True, category__is_published=True)
    out["products"] = published.count()
    out["product"] = published.order_by("-units_sold", "id").values("pk", "slug", "name").first()
    parents = dict(Category.objects.filter(is_published=True).values_list("pk", "parent_id"))
    homes = {pk: {cat} for pk, cat in published.values_list("pk", "category_id")}
    links = Product.categories.through.objects.filter(product__in=published)
    for pk, cat in links.values_list("product_id", "category_id"):
        homes[pk].add(cat)
    counts = {}
    for cats in homes.values():
        listed = set()
        for cat in cats:  # a product is listed in its categories and all their ancestors
            while cat in parents and cat not in listed:
                listed.add(cat)
                cat = parents[cat]
        for cat in listed:
            counts[cat] = counts.get(cat, 0) + 1
    if counts:
        biggest = min(counts, key=lambda pk: (-counts[pk], pk))
        out["category"] = {
            "pk": biggest,
            "slug": Category.objects.get(pk=biggest).slug,
            "products": counts[biggest],
        }
except Exception as error:
    out["error"] = f"{type(error).__name__}: {error}"
print("BENCH_JSON " + json.dumps(out))
"""


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    path: str | None  # None: the data it needs is not in the database
    note: str = ""


def _manage(*args: str, timeout_s: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=production_env(0),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def discover() -> dict[str, object]:
    proc = subprocess.run(
        [PYTHON, "-c", _DISCOVER],
        cwd=ROOT,
        env=production_env(0),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return dict(json.loads(line[len(MARKER) :]))
    return {"products": 0, "error": (proc.stderr or proc.stdout).strip()[-500:]}


def _step(title: str, proc: subprocess.CompletedProcess[str]) -> bool:
    if proc.returncode == 0:
        return True
    print(f"  ! {title} failed (exit {proc.returncode}):\n{(proc.stderr or proc.stdout).strip()[-800:]}")
    return False


def prepare() -> dict[str, object]:
    """Migrate, import the demo shop when the catalog is empty, collect static files.

    Returns what `discover` found afterwards. Each step that fails is reported and the
    bench goes on: the targets that then fail are flagged in the results.
    """
    print("Preparing the demo database (migrate, import_demo if empty, collectstatic)...")
    _step("migrate", _manage("migrate", "--no-input", "-v", "0"))
    found = discover()
    if not found.get("products"):
        if _manage("help", "import_demo").returncode != 0:
            print("  ! the catalog is empty and `manage.py import_demo` does not exist yet")
        else:
            print("  the catalog is empty: running `manage.py import_demo` (once)")
            if _step("import_demo", _manage("import_demo")):
                found = discover()
    _step("collectstatic", _manage("collectstatic", "--no-input", "-v", "0"))
    if found.get("error"):
        print(f"  ! could not read the catalog: {found['error']}")
    return found


def targets(found: dict[str, object]) -> list[Target]:
    """The six URLs of the issue, with real slugs and ids from the database."""
    product = found.get("product")
    category = found.get("category")
    product_slug = product["slug"] if isinstance(product, dict) else None
    product_pk = product["pk"] if isinstance(product, dict) else None
    category_slug = category["slug"] if isinstance(category, dict) else None
    missing = "no published product in the database"
    return [
        Target("hello", "hello world (ceiling)", "/hello"),
        Target("home", "home", "/"),
        Target(
            "category",
            "category page",
            f"/c/{category_slug}/" if category_slug else None,
            f"biggest category, {category['products']} products"
            if isinstance(category, dict)
            else "no published category with products",
        ),
        Target(
            "product",
            "product page",
            f"/p/{product_slug}/" if product_slug else None,
            "best seller" if product_slug else missing,
        ),
        Target("api_list", "API product list", "/api/v1/products"),
        Target(
            "api_detail",
            "API product detail",
            f"/api/v1/products/{product_pk}" if product_pk else None,
            "best seller" if product_pk else missing,
        ),
    ]
