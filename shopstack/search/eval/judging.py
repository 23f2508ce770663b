"""The labelling rule: grades decided from a written-down reading of each query, applied
to the products' own titles, with no search engine involved.

For each query, `intents.csv` says what the shopper asks for (written by a person from the
query alone, misspellings corrected):

* `need`     concepts the product must be: `;` between concepts, `|` between the words or
             phrases that say the same thing, e.g. `candle|t light|tealight; holder`;
* `head`     the concepts that make it the right kind of thing (default: the same as need);
* `category` category leaf names whose products are at least related (`|` between them);
* `min_price`, `max_price`  the price the query asks for, if any;
* `exclude`  concepts that make a title the wrong thing despite its words (`key ring` for rings).

A concept matches when one of its phrases appears, as whole words in order, in the title or
one of the aliases (case, punctuation and a plural `s`/`es`/`ies` ignored). Then:

* grade 2: every `need` concept matches and the price is within the asked range;
* grade 1: not 2, but every `head` concept matches, or the product is in one of `category`;
* grade 0: otherwise, and always when an `exclude` concept matches.

`corrections.csv` (query_id, sku, grade, reason) then overrides single pairs; each needs a reason.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from shopstack.search.eval.dataset import (
    GRADES,
    LABELS_FILE,
    PRODUCTS_FILE,
    QUERIES_FILE,
    DatasetError,
    EvalProduct,
    csv_rows,
    load_products,
    load_queries,
)

INTENTS_FILE = "intents.csv"
CORRECTIONS_FILE = "corrections.csv"
_WORD_RE = re.compile(r"[a-z0-9]+")

Phrase = tuple[str, ...]
Concept = tuple[Phrase, ...]


def _forms(word: str) -> frozenset[str]:
    """A word and the singulars it may be the plural of."""
    forms = {word}
    if len(word) > 3 and word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if len(word) > 3 and word.endswith("es"):
        forms.add(word[:-2])
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        forms.add(word[:-1])
    return frozenset(forms)


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def parse_concepts(text: str) -> list[Concept]:
    concepts = []
    for part in text.split(";"):
        phrases = tuple(tuple(words(alternative)) for alternative in part.split("|"))
        phrases = tuple(phrase for phrase in phrases if phrase)
        if phrases:
            concepts.append(phrases)
    return concepts


def _same(a: str, b: str) -> bool:
    return bool(_forms(a) & _forms(b))


def phrase_in(phrase: Phrase, text_words: list[str]) -> bool:
    size = len(phrase)
    return any(
        all(_same(phrase[i], text_words[start + i]) for i in range(size))
        for start in range(len(text_words) - size + 1)
    )


def concept_in(concept: Concept, texts: Iterable[list[str]]) -> bool:
    return any(phrase_in(phrase, text) for text in texts for phrase in concept)


@dataclass(frozen=True)
class Intent:
    need: list[Concept]
    head: list[Concept]
    categories: frozenset[str]
    min_price: Decimal | None
    max_price: Decimal | None
    exclude: list[Concept]

    def grade(self, product: EvalProduct) -> int:
        texts = [words(product.title), *(words(alias) for alias in product.aliases)]
        if any(concept_in(concept, texts) for concept in self.exclude):
            return 0
        in_price = (self.min_price is None or product.price >= self.min_price) and (
            self.max_price is None or product.price <= self.max_price
        )
        if in_price and all(concept_in(concept, texts) for concept in self.need):
            return 2
        leaf = product.category.split(">")[-1].strip().lower()
        if leaf in self.categories or (self.head and all(concept_in(c, texts) for c in self.head)):
            return 1
        return 0


def _optional_price(value: str, where: str) -> Decimal | None:
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise DatasetError(f"{where}: {value!r} is not a price.") from exc


def load_intents(path: Path, query_ids: set[str]) -> dict[str, Intent]:
    intents: dict[str, Intent] = {}
    columns = ("query_id", "need", "head", "category", "min_price", "max_price", "exclude")
    for line, row in csv_rows(path, columns):
        where = f"{path}:{line}"
        query_id = row["query_id"]
        if query_id not in query_ids:
            raise DatasetError(f"{where}: query_id {query_id!r} is not in {QUERIES_FILE}.")
        if query_id in intents:
            raise DatasetError(f"{where}: query_id {query_id!r} has two intents.")
        need = parse_concepts(row["need"])
        if not need and not row["category"]:
            raise DatasetError(f"{where}: give need concepts or a category.")
        intents[query_id] = Intent(
            need=need,
            head=parse_concepts(row["head"]) or need,
            categories=frozenset(c.strip().lower() for c in row["category"].split("|") if c.strip()),
            min_price=_optional_price(row["min_price"], where),
            max_price=_optional_price(row["max_price"], where),
            exclude=parse_concepts(row["exclude"]),
        )
    missing = query_ids - intents.keys()
    if missing:
        raise DatasetError(f"{path}: no intent for {', '.join(sorted(missing))}.")
    return intents


def load_corrections(path: Path, query_ids: set[str], skus: set[str]) -> dict[tuple[str, str], int]:
    if not path.exists():
        return {}
    corrections: dict[tuple[str, str], int] = {}
    for line, row in csv_rows(path, ("query_id", "sku", "grade", "reason")):
        where = f"{path}:{line}"
        if row["query_id"] not in query_ids or row["sku"] not in skus:
            raise DatasetError(f"{where}: unknown query_id or sku.")
        if row["grade"] not in {str(g) for g in GRADES}:
            raise DatasetError(f"{where}: grade must be 0, 1 or 2.")
        if not row["reason"]:
            raise DatasetError(f"{where}: every correction needs a reason.")
        corrections[(row["query_id"], row["sku"])] = int(row["grade"])
    return corrections


def labels_build(folder: Path) -> list[tuple[str, str, int]]:
    """(query_id, sku, grade) for every pair with grade 1 or 2, by the rule and the corrections."""
    products, sku_to_code = load_products(folder / PRODUCTS_FILE)
    queries = load_queries(folder / QUERIES_FILE)
    query_ids = {query.query_id for query in queries}
    intents = load_intents(folder / INTENTS_FILE, query_ids)
    corrections = load_corrections(folder / CORRECTIONS_FILE, query_ids, set(sku_to_code))
    labels = []
    for query in queries:
        intent = intents[query.query_id]
        graded = []
        for product in products.values():
            for sku in product.skus:
                grade = corrections.get((query.query_id, sku), intent.grade(product))
                if grade:
                    graded.append((query.query_id, sku, grade))
        graded.sort(key=lambda label: (-label[2], label[1]))
        labels.extend(graded)
    return labels


def labels_write(folder: Path) -> int:
    """Rewrite labels.csv in `folder` from its intents and corrections; answers the row count."""
    labels = labels_build(folder)
    with (folder / LABELS_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["query_id", "sku", "grade"])
        writer.writerows(labels)
    return len(labels)
