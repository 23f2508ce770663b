"""Read and check a judgement set: a folder with products.csv, queries.csv and labels.csv.

The format is documented in docs/search-eval.md. Anything malformed is refused with a
`DatasetError` naming the file, the line and what is wrong, before any database work.
Only what the evaluation itself needs is checked here; `import_catalog` checks every
column of products.csv again when it imports the file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

PRODUCTS_FILE = "products.csv"
QUERIES_FILE = "queries.csv"
LABELS_FILE = "labels.csv"
GRADES = (0, 1, 2)
RELEVANT = 1  # grades from this one up count as relevant for MRR and recall
_KIND_RE = re.compile(r"^[a-z][a-z0-9_-]*$")


class DatasetError(ValueError):
    """A judgement set file that cannot be used, with where and why."""


@dataclass(frozen=True)
class EvalProduct:
    """One product of the set: its variants' SKUs share a product code."""

    code: str
    skus: tuple[str, ...]
    title: str
    description: str
    category: str
    price: Decimal
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalQuery:
    query_id: str
    text: str
    kind: str


@dataclass
class Dataset:
    """A checked judgement set. `grades` is per product code (the best grade of its SKUs);
    a product without a label has grade 0."""

    path: Path
    products: dict[str, EvalProduct]
    queries: list[EvalQuery]
    grades: dict[str, dict[str, int]] = field(default_factory=dict)
    sku_to_code: dict[str, str] = field(default_factory=dict)

    @property
    def products_file(self) -> Path:
        return self.path / PRODUCTS_FILE


def csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file with its line numbers; the header must name every required column."""
    if not path.is_file():
        raise DatasetError(f"{path}: missing (a judgement set needs {path.name}).")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, strict=True)
            header = [name.strip() for name in reader.fieldnames or []]
            missing = [name for name in required if name not in header]
            if missing:
                raise DatasetError(
                    f"{path}: the header lacks column(s) {', '.join(missing)} (it has {', '.join(header)})."
                )
            reader.fieldnames = header
            for row in reader:
                if None in row:
                    raise DatasetError(f"{path}:{reader.line_num}: more values than header columns.")
                yield reader.line_num, {key: (value or "").strip() for key, value in row.items()}
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason}).") from exc
    except csv.Error as exc:
        raise DatasetError(f"{path}: not valid CSV ({exc}).") from exc


def _price(value: str, where: str) -> Decimal:
    try:
        price = Decimal(value)
    except InvalidOperation as exc:
        raise DatasetError(f"{where}: price {value!r} is not a number.") from exc
    if not price.is_finite() or price < 0 or price.as_tuple().exponent < -2:  # type: ignore[operator]
        raise DatasetError(f"{where}: price {value!r} must be 0 or more with at most 2 decimal places.")
    return price


@dataclass
class _ProductDraft:
    skus: list[str]
    title: str
    description: str
    category: str
    price: Decimal
    aliases: tuple[str, ...]


def load_products(path: Path) -> tuple[dict[str, EvalProduct], dict[str, str]]:
    """Products by product code, and each SKU's product code."""
    drafts: dict[str, _ProductDraft] = {}
    sku_to_code: dict[str, str] = {}
    for line, row in csv_rows(path, ("sku", "title", "price")):
        where = f"{path}:{line}"
        sku = row["sku"]
        if not sku:
            raise DatasetError(f"{where}: sku is empty.")
        if sku in sku_to_code:
            raise DatasetError(f"{where}: sku {sku!r} appears twice.")
        code = row.get("product_code") or sku
        price = _price(row["price"], where)
        sku_to_code[sku] = code
        draft = drafts.get(code)
        if draft is None:
            if not row["title"]:
                raise DatasetError(f"{where}: title is empty on the first row of product {code!r}.")
            drafts[code] = _ProductDraft(
                skus=[sku],
                title=row["title"],
                description=row.get("description", ""),
                category=row.get("category", ""),
                price=price,
                aliases=tuple(a.strip() for a in row.get("aliases", "").split("|") if a.strip()),
            )
        else:
            draft.skus.append(sku)
            draft.price = min(draft.price, price)  # a product costs from its cheapest variant
    if not drafts:
        raise DatasetError(f"{path}: no products.")
    products = {
        code: EvalProduct(
            code=code,
            skus=tuple(d.skus),
            title=d.title,
            description=d.description,
            category=d.category,
            price=d.price,
            aliases=d.aliases,
        )
        for code, d in drafts.items()
    }
    return products, sku_to_code


def load_queries(path: Path) -> list[EvalQuery]:
    queries: list[EvalQuery] = []
    seen: set[str] = set()
    for line, row in csv_rows(path, ("query_id", "query", "kind")):
        where = f"{path}:{line}"
        query_id, text, kind = row["query_id"], row["query"], row["kind"].lower()
        if not query_id:
            raise DatasetError(f"{where}: query_id is empty.")
        if query_id in seen:
            raise DatasetError(f"{where}: query_id {query_id!r} appears twice.")
        if not text:
            raise DatasetError(f"{where}: query {query_id!r} has no text.")
        if not _KIND_RE.match(kind):
            raise DatasetError(
                f"{where}: kind {row['kind']!r} must be one word such as typo, price or exact."
            )
        seen.add(query_id)
        queries.append(EvalQuery(query_id=query_id, text=text, kind=kind))
    if not queries:
        raise DatasetError(f"{path}: no queries.")
    return queries


def load_grades(
    path: Path, queries: list[EvalQuery], sku_to_code: dict[str, str]
) -> dict[str, dict[str, int]]:
    """Grades per query id and product code; a product takes the best grade of its SKUs."""
    known = {query.query_id for query in queries}
    grades: dict[str, dict[str, int]] = {query_id: {} for query_id in known}
    seen: set[tuple[str, str]] = set()
    for line, row in csv_rows(path, ("query_id", "sku", "grade")):
        where = f"{path}:{line}"
        query_id, sku = row["query_id"], row["sku"]
        if query_id not in known:
            raise DatasetError(f"{where}: query_id {query_id!r} is not in {QUERIES_FILE}.")
        if sku not in sku_to_code:
            raise DatasetError(f"{where}: sku {sku!r} is not in {PRODUCTS_FILE}.")
        if row["grade"] not in {str(g) for g in GRADES}:
            raise DatasetError(f"{where}: grade {row['grade']!r} must be 0, 1 or 2.")
        if (query_id, sku) in seen:
            raise DatasetError(f"{where}: ({query_id}, {sku}) is labelled twice.")
        seen.add((query_id, sku))
        code = sku_to_code[sku]
        grades[query_id][code] = max(grades[query_id].get(code, 0), int(row["grade"]))
    unjudgeable = [q.query_id for q in queries if not any(g >= RELEVANT for g in grades[q.query_id].values())]
    if unjudgeable:
        raise DatasetError(
            f"{path}: no product has grade 1 or 2 for quer{'y' if len(unjudgeable) == 1 else 'ies'} "
            f"{', '.join(unjudgeable)}; such a query cannot be scored."
        )
    return grades


def dataset_load(path: Path) -> Dataset:
    """Read and check the three files of the judgement set in folder `path`."""
    if not path.is_dir():
        raise DatasetError(f"{path}: not a folder (give the judgement set's folder).")
    products, sku_to_code = load_products(path / PRODUCTS_FILE)
    queries = load_queries(path / QUERIES_FILE)
    grades = load_grades(path / LABELS_FILE, queries, sku_to_code)
    return Dataset(path=path, products=products, queries=queries, grades=grades, sku_to_code=sku_to_code)
