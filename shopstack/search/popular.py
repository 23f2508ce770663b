"""Popular searches: what autocomplete suggests to everyone as "Popular searches".

One visitor's search must never become everyone's suggestion (spam text would be shown to
every shopper), so a search is suggested only when

- at least `SEARCH_POPULAR_MIN_VISITORS` (default 3) distinct visitors made it in the last
  `SEARCH_POPULAR_DAYS` (default 30) days, counting only their searches that found products;
- no staff block (`BlockedSearch`: the text, or a pattern with `*`) matches it.

A visitor is the client's network (core.clients.client_address: REMOTE_ADDR, or the address
trusted proxies forwarded, as every limit counts it): an IPv4 address, or
an IPv6 /48 (a whole IPv6 site, which one subscriber or a free tunnel gets; counting /64s
would let one of them be thousands of visitors). Not the session: a client makes a new
session for free by dropping its cookie, and so would not combining the two (each new
session would be a new visitor). Shoppers behind one address (an office, a carrier's NAT)
count as one, which only makes a search wait longer to be suggested. The log keeps the
network keyed with the secret key, not the address.

Counting distinct visitors over a month of log is too slow for a keystroke, so a periodic
task (`tasks.popular_searches_rebuild`, every REFRESH_SECONDS) writes the answer to
`PopularSearch`, and autocomplete reads that small table by prefix. Blocks apply at read
time too, from the per-process reference copy renewed by every block's save or delete
(reference.py), so a block hides a search from its next keystroke on, on every process.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.crypto import salted_hmac

from shopstack.search.models import BlockedSearch, PopularSearch, SearchQuery
from shopstack.search.query import normalize

REFRESH_SECONDS = 300
# Most searches kept as popular; the rest are too rare to be suggested anyway.
MAX_POPULAR = 10_000
# Rows read for a prefix before blocks are applied: blocks made since the last rebuild are
# still in the table, and a pattern may hide several of them.
READ_AHEAD = 30
IPV4_PREFIX = 32
IPV6_PREFIX = 48


def visitor_key(address: str) -> str:
    """Who searched, for counting distinct visitors: the client's network (see above), keyed
    with the secret key; "" when the address is unknown or not an address."""
    try:
        # client_address names an IPv6 client by its /64; the network below is wider anyway.
        ip = ipaddress.ip_address(address.strip().split("/", 1)[0])
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    return salted_hmac("shopstack.search.visitor", str(network), algorithm="sha256").hexdigest()[:16]


@dataclass(frozen=True)
class BlockList:
    """Staff blocks, ready to test a normalised search against: exact texts, and patterns as
    their pieces between `*` (matched left to right with str.find: linear, whatever a
    pattern holds, unlike a regular expression with several `.*`)."""

    exact: frozenset[str] = frozenset()
    patterns: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def of(cls, patterns: list[str]) -> BlockList:
        exact: set[str] = set()
        pieces: list[tuple[str, ...]] = []
        for pattern in patterns:
            text = normalize(pattern)
            if "*" in text:
                pieces.append(tuple(text.split("*")))
            elif text:
                exact.add(text)
        return cls(exact=frozenset(exact), patterns=tuple(pieces))

    def __call__(self, normalized: str) -> bool:
        """Whether a search (as `normalize` gives it) is blocked."""
        if normalized in self.exact:
            return True
        return any(_pieces_match(pieces, normalized) for pieces in self.patterns)


def _pieces_match(pieces: tuple[str, ...], text: str) -> bool:
    first, *middle, last = pieces
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for piece in middle:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def popular_searches_refresh(*, blocked: BlockList, now: datetime | None = None) -> int:
    """Rebuild `PopularSearch` from the log; returns how many searches are popular. Safe to
    run twice at once: the one that loses the race leaves the other's answer."""
    since = (now or timezone.now()) - timedelta(days=settings.SEARCH_POPULAR_DAYS)
    counted = (
        SearchQuery.objects.filter(created_at__gte=since, result_count__gt=0)
        .exclude(visitor="")
        .exclude(normalized="")
        .values("normalized")
        .annotate(visitors=Count("visitor", distinct=True))
        .filter(visitors__gte=max(1, settings.SEARCH_POPULAR_MIN_VISITORS))
        .order_by("-visitors", "normalized")
        .values_list("normalized", "visitors")[:MAX_POPULAR]
    )
    popular = [
        PopularSearch(normalized=text, visitors=visitors) for text, visitors in counted if not blocked(text)
    ]
    try:
        with transaction.atomic():
            PopularSearch.objects.all().delete()
            PopularSearch.objects.bulk_create(popular)
    except IntegrityError:
        return PopularSearch.objects.count()
    return len(popular)


def popular_searches_for(prefix: str, *, blocked: BlockList, limit: int = 3) -> list[str]:
    """The popular searches starting with `prefix` (normalised), most visitors first. Raw SQL:
    autocomplete runs on every keystroke, and building it through the ORM cost more than
    running it."""
    table = PopularSearch._meta.db_table
    if connection.vendor == "sqlite":
        # A range, not LIKE: SQLite's LIKE ignores case, so it cannot use the index on the
        # column (text BINARY); popular text is normalised (case folded), as the prefix is.
        where, params = "normalized >= %s AND normalized < %s", [prefix, prefix + "\U0010ffff"]
    else:
        # PostgreSQL reads this LIKE from the column's pattern index.
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where, params = "normalized LIKE %s", [escaped + "%"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT normalized FROM {table} WHERE {where} ORDER BY visitors DESC, normalized LIMIT %s",
            [*params, READ_AHEAD],
        )
        found = [row[0] for row in cursor.fetchall()]
    return [text for text in found if not blocked(text)][:limit]


def searches_block(*, texts: list[str], note: str = "") -> int:
    """Block these searches (exact texts) from popular suggestions; returns how many were not
    blocked already. Each save renews the reference stamp: every process stops suggesting
    them from its next keystroke."""
    blocked = [text for text in dict.fromkeys(normalize(text) for text in texts) if text]
    added = sum(
        BlockedSearch.objects.get_or_create(pattern=text, defaults={"note": note})[1] for text in blocked
    )
    PopularSearch.objects.filter(normalized__in=blocked).delete()
    return added
