"""Synthetic catalogs for the search benchmark: N products in the shared catalog CSV format.

    .venv/bin/python -m bench.synthetic_catalog 100000 var/bench-search/catalog-100k.csv
    .venv/bin/python -m bench.synthetic_catalog demo out.csv --seed 7

Everything is drawn from the demo shop's own data, read with the demo importer's parser
(`retail_parse`): the words of its product titles, its category rules (a product's category
is what the demo's keyword rules make of the generated title), its colour and material
rules, its aliases and its price distribution. The same seed and size always give the same
file. Shape, so that search meets what a real catalog gives it:

* titles: a real title with one or two of its words (never the last, the thing itself)
  swapped for words of other titles, and sometimes a colour put in front; every title is
  a plausible gift name and word frequencies follow the demo's (common words stay common);
* categories: the demo's two-level tree, plus a third level (the product's last word) at
  sizes above the demo's, so the tree grows with the catalog as real ones do;
* prices: a demo product's price, moved by up to +-20 % and rounded to the penny;
* units sold: Pareto-skewed (most products sell little, a few sell a lot);
* one product in eight has 2-4 variants (sizes or colours), one in five has aliases.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from shopstack.integrations.services import retail_rules as rules
from shopstack.integrations.services.retail_parse import parse_transactions, read_table

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILE = ROOT / "shopstack" / "integrations" / "demo_data" / "online-retail" / "transactions.parquet"
SIZES = {"demo": 3_500, "100k": 100_000, "1m": 1_000_000}
COLUMNS = (
    "sku", "product_code", "title", "description", "category", "price", "currency", "stock",
    "color", "material", "attr:size", "aliases", "variant_name", "weight_grams", "published", "units_sold",
)  # fmt: skip
SIZE_NAMES = ("Small", "Medium", "Large", "Extra large")
VARIANT_SHARE = 8  # one product in this many has variants
ALIAS_SHARE = 5  # one product in this many has aliases
THIRD_LEVEL_FROM = 10_000  # catalogs this big get a third category level


def size_of(text: str) -> int:
    """ "demo", "100k", "1m" or a plain number of products."""
    key = text.strip().lower()
    if key in SIZES:
        return SIZES[key]
    if key.endswith("k"):
        return int(float(key[:-1]) * 1_000)
    if key.endswith("m"):
        return int(float(key[:-1]) * 1_000_000)
    return int(key)


@dataclass(frozen=True)
class Vocabulary:
    """What the demo catalog offers to draw from."""

    titles: list[list[str]]  # each real title as upper-case words
    words: list[str]  # every title word, as often as it occurs (frequency-weighted draws)
    prices_pence: list[int]  # one per demo product
    aliases: list[str]
    colours: list[str]  # colour words as they appear in titles

    @classmethod
    def from_demo(cls, path: Path = DEMO_FILE) -> Vocabulary:
        data = parse_transactions(read_table(path))
        products = [p for p in data.products.values() if not p.named_from_code]
        titles = [p.name.upper().split() for p in products if len(p.name.split()) >= 2]
        words = [
            word
            for title in titles
            for word in title[:-1]
            if any(c.isalpha() for c in word) and word.lower() not in rules.SMALL_WORDS
        ]
        colours = [name.upper() for _, (_, values) in rules.ATTRIBUTES.items() for _, name, _ in values][:16]
        return cls(
            titles=titles,
            words=words,
            prices_pence=sorted(p.price_pence for p in products),
            aliases=sorted({alias for p in products for alias in p.aliases}),
            colours=colours,
        )


@dataclass(frozen=True)
class Tree:
    """Category paths by leaf slug, from the demo's rules: "Home & living > Candles & lights"."""

    paths: dict[str, str]

    @classmethod
    def from_rules(cls) -> Tree:
        groups = {rule.slug: rule.name for rule in rules.CATEGORY_GROUPS}
        leaves = [*rules.CATEGORY_RULES, rules.FALLBACK_CATEGORY]
        return cls({rule.slug: f"{groups[rule.parent or '']} > {rule.name}" for rule in leaves})


def _title(vocabulary: Vocabulary, rng: random.Random) -> str:
    words = list(rng.choice(vocabulary.titles))
    for _ in range(rng.choice((1, 1, 2))):
        position = rng.randrange(len(words) - 1) if len(words) > 1 else 0
        words[position] = rng.choice(vocabulary.words)
    if rng.random() < 0.15:
        words.insert(0, rng.choice(vocabulary.colours))
    return rules.display_name(" ".join(words))


def _price(vocabulary: Vocabulary, rng: random.Random) -> Decimal:
    pence = rng.choice(vocabulary.prices_pence) * rng.uniform(0.8, 1.2)
    return (Decimal(max(1, round(pence))) / 100).quantize(Decimal("0.01"))


def _units_sold(rng: random.Random) -> int:
    # Pareto with alpha 1.2: median about 2, one product in a hundred over 100.
    return min(int(rng.paretovariate(1.2)) - 1, 50_000)


def _names(title: str, kind: str) -> tuple[list[str], list[str]]:
    """Colour and material value names the demo's rules read in a title."""
    found = rules.attributes_for(title)
    by_slug = {
        (attr, slug): name for attr, (_, values) in rules.ATTRIBUTES.items() for slug, name, _ in values
    }
    return [by_slug[a] for a in found if a[0] == "colour"], [by_slug[a] for a in found if a[0] == kind]


def rows(
    count: int,
    *,
    seed: int = 1,
    vocabulary: Vocabulary | None = None,
    first: int = 1,
    third_level: bool | None = None,
) -> list[dict[str, str]]:
    """The CSV rows of `count` products numbered from `first` (variants add rows)."""
    vocabulary = vocabulary or Vocabulary.from_demo()
    tree = Tree.from_rules()
    rng = random.Random(f"shopstack-synthetic:{seed}:{first}:{count}")
    if third_level is None:
        third_level = count >= THIRD_LEVEL_FROM
    out: list[dict[str, str]] = []
    for number in range(first, first + count):
        code = f"S{number:07d}"
        title = _title(vocabulary, rng)
        leaf = rules.categories_for(title)[0]
        category = tree.paths[leaf]
        thing = re.sub(r"[^A-Za-z]", "", title.split()[-1]).capitalize()
        if third_level and len(thing) > 2:
            category += " > " + thing
        colours, materials = _names(title, "material")
        price = _price(vocabulary, rng)
        aliases = ""
        if rng.randrange(ALIAS_SHARE) == 0:
            aliases = "|".join(rng.sample(vocabulary.aliases, rng.choice((1, 1, 2))))
        description = rules.describe(title, [category.split(" > ")[-1]], colours, materials)
        product = {
            "product_code": code,
            "title": title,
            "description": description,
            "category": category,
            "currency": "GBP",
            "color": colours[0] if colours else "",
            "material": materials[0] if materials else "",
            "aliases": aliases,
            "published": "true",
            "units_sold": str(_units_sold(rng)),
        }
        stock = "0" if rng.randrange(20) == 0 else str(rng.randint(1, 200))
        if rng.randrange(VARIANT_SHARE) == 0:
            sizes = SIZE_NAMES[: rng.randint(2, 4)]
            for position, size in enumerate(sizes):
                step = Decimal(1 + position) * Decimal("0.5")
                out.append(
                    {
                        **(product if position == 0 else {"product_code": code}),
                        "sku": f"{code}-{position + 1}",
                        "price": str(price + step - Decimal("0.5")),
                        "stock": stock,
                        "attr:size": size,
                        "variant_name": size,
                        "weight_grams": str(rng.randint(50, 2_000)),
                    }
                )
        else:
            out.append({**product, "sku": code, "price": str(price), "stock": stock})
    return out


def write(count: int, target: TextIO, *, seed: int = 1, vocabulary: Vocabulary | None = None) -> int:
    """Write the catalog as CSV; returns the number of rows (variants included)."""
    writer = csv.DictWriter(target, fieldnames=COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    written = 0
    # In slices so a million products never sit in memory at once; each slice has its own
    # seed, so the file is still the same for the same size and seed.
    vocabulary = vocabulary or Vocabulary.from_demo()
    slice_size = 50_000
    for start in range(0, count, slice_size):
        part = rows(
            min(slice_size, count - start),
            seed=seed,
            vocabulary=vocabulary,
            first=start + 1,
            third_level=count >= THIRD_LEVEL_FROM,
        )
        writer.writerows(part)
        written += len(part)
    return written


def skew(values: list[int]) -> float:
    """Share of all units sold that the top 1 % of products hold (a check of the shape)."""
    ordered = sorted(values, reverse=True)
    top = ordered[: max(1, math.ceil(len(ordered) / 100))]
    return sum(top) / max(1, sum(ordered))


def summary(path: Path) -> dict[str, object]:
    """Counts over a written file: products, rows, categories, skew of units sold."""
    products: set[str] = set()
    categories: Counter[str] = Counter()
    sold: list[int] = []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        row_count = 0
        for row in reader:
            row_count += 1
            if row["title"]:
                products.add(row["product_code"])
                categories[row["category"]] += 1
                sold.append(int(row["units_sold"]))
    return {
        "products": len(products),
        "rows": row_count,
        "categories": len(categories),
        "top_1pct_share_of_units": round(skew(sold), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.synthetic_catalog", description=__doc__.splitlines()[0]
    )
    parser.add_argument("size", help='"demo", "100k", "1m" or a number of products')
    parser.add_argument("output", type=Path, help="CSV file to write")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", newline="", encoding="utf-8") as handle:
        written = write(size_of(args.size), handle, seed=args.seed)
    print(f"{args.output}: {written} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
