"""Results in tiers, for any backend: the products that match every word come first; when
they are few, products matching another full reading of the words (compounds joined)
follow, then the products that match only some of the words. Each tier is ranked by the
backend on its own and never rises above an earlier one.

Totals and facets describe everything listed: the last tier asks least of a product and
contains every earlier tier's matches, so its total and facet counts are those of the whole
list; `strict_total` says how many matched in full (the tiers marked `full`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shopstack.search.backends.base import Hit, Placement, SearchBackend, SearchFilters, SearchResult
from shopstack.search.query import ParsedQuery

# Fewer full matches than this (a storefront page) and the looser tiers follow them.
PARTIAL_MATCHES_BELOW = 24
# Pages whose end lies within this many results are merged exactly (every tier fetched from
# its start); deeper pages are read from the last tier alone, where a product of an earlier
# tier may show a second time (shoppers almost never page that far).
EXACT_DEPTH = 1_000


@dataclass(frozen=True)
class Tier:
    query: ParsedQuery
    filters: SearchFilters
    # Whether its products match every word (in some reading), not only some of them.
    full: bool = True


@dataclass(frozen=True)
class TieredResult:
    result: SearchResult
    # Products matching every word, in the full tiers.
    strict_total: int
    # Index of the tier the first hit of the list comes from (0: a full match).
    first_tier: int = 0


def search_in_tiers(
    backend: SearchBackend,
    tiers: list[Tier],
    *,
    sort: str,
    page: int,
    per_page: int,
    placement: Placement,
) -> TieredResult:
    """One page of the tiers' results concatenated, each product once, at its first place."""

    def fetch(tier: Tier, tier_page: int, size: int) -> SearchResult:
        return backend.search(
            tier.query, filters=tier.filters, sort=sort, page=tier_page, per_page=size, placement=placement
        )

    first = fetch(tiers[0], page, per_page)
    if len(tiers) == 1 or first.total >= PARTIAL_MATCHES_BELOW:
        return TieredResult(result=first, strict_total=first.total)
    offset = (page - 1) * per_page
    depth = offset + per_page
    if depth > EXACT_DEPTH:
        widest = fetch(tiers[-1], page, per_page)
        return TieredResult(result=widest, strict_total=first.total, first_tier=len(tiers) - 1)

    merged: list[Hit] = []
    tier_of_hit: list[int] = []
    seen: set[int] = set()
    widest = first
    strict_total = 0
    for index, tier in enumerate(tiers):
        if index == 0:
            # All of the first tier's few matches (the page asked for may start past them).
            found = first if page == 1 and first.total <= per_page else fetch(tier, 1, max(first.total, 1))
        else:
            found = fetch(tier, 1, depth)
        widest = found
        new_hits = [hit for hit in found.hits if hit.id not in seen]
        if tier.full:
            # Exact when the tier fitted in what was fetched; else counted as all new.
            strict_total += len(new_hits) + max(found.total - len(found.hits), 0)
        for hit in new_hits:
            seen.add(hit.id)
            merged.append(hit)
            tier_of_hit.append(index)
        if len(merged) >= depth and index < len(tiers) - 1:
            # The page is full from the earlier tiers; the last tier still gives the counts.
            widest = fetch(tiers[-1], 1, 1)
            break
    total = max(widest.total, len(merged))
    return TieredResult(
        result=replace(widest, hits=merged[offset:depth], total=total),
        strict_total=strict_total,
        first_tier=tier_of_hit[0] if tier_of_hit else 0,
    )
