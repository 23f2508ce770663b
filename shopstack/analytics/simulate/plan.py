"""Who visits when: the visits of each day, before their pages are made up (`events`).

Four kinds of visit:

- ordering: one per real order, by the customer's visitor (a guest order's own), ending on
  the order's `placed_at`. A customer's orders stamped within a session gap of each other
  were placed in one visit: the later ones go on in the first one's session.
- returning: a customer who orders later looks around on one of the days before, without
  ordering.
- anonymous: everyone else, from a pool in which a few visitors come back on other days.
- bot: crawlers, counted apart from visitors.

Visits of one visitor never come within a session gap of each other (docs/analytics.md, the
session rule), so recomputing sessions from the events gives the same sessions: a returning
visit that would come too close to an order is dropped, and no visit other than an ordering
one crosses midnight (see `SimulationParams.day_start_us`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from enum import IntEnum

import numpy as np

from shopstack.analytics.schema import CHECKOUT_STEPS
from shopstack.analytics.simulate.history import History
from shopstack.analytics.simulate.params import DAY_US, HOUR_US, Depth, SimulationParams, Source

ORDERED = Depth.CHECKOUT + len(CHECKOUT_STEPS)  # past the last checkout step: an ordering visit
BOT_DEPTH = -1
# Visits starting in each UTC hour of a day, relative: quiet at night, an evening peak.
HOURLY = np.array(
    [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.5, 4.0, 4.2,
     4.5, 4.2, 4.0, 4.0, 4.2, 4.5, 5.0, 5.5, 5.8, 5.2, 3.5, 1.5],
)  # fmt: skip
LATEST_START_US = DAY_US - 10 * 60_000_000  # 23:50: even a bounce needs a moment
# Row ids: a day has STREAMS streams of visits (the planned one, then extra ones made to
# meet an event budget) of at most STREAM_ROWS visits each.
STREAMS = 64
STREAM_ROWS = 10_000_000
DAY_ROWS = STREAMS * STREAM_ROWS


class VisitorKind(IntEnum):
    CUSTOMER = 0
    GUEST = 1  # a guest order's visitor
    ANONYMOUS = 2
    BOT = 3


class DeviceCode(IntEnum):
    PHONE = 0
    TABLET = 1
    DESKTOP = 2
    BOT = 3


@dataclass(frozen=True)
class Visits:
    """One day's visits, one row each. `anchor` is when an ordering visit ends (its order's
    placed_at) and when any other visit starts; `cap` is the longest it may last."""

    row_id: np.ndarray  # int64, unique over the run: orders visits that share a moment
    visitor_kind: np.ndarray  # int8 VisitorKind
    visitor_num: np.ndarray  # int64
    session_of_order: np.ndarray  # bool: the session is named after an order (else by day)
    session_num: np.ndarray  # int64
    customer_id: np.ndarray  # int64, -1 for none
    country: np.ndarray  # int32 index into orders.countries, -1 for unknown
    device: np.ndarray  # int8 DeviceCode
    app: np.ndarray  # bool
    source: np.ndarray  # int8 Source
    depth: np.ndarray  # int8: Depth value, CHECKOUT + step, ORDERED or BOT_DEPTH
    order: np.ndarray  # int64: the order placed (ordering visits), else -1
    related_order: np.ndarray  # int64: the order a visit leads up to (ordering, returning), else -1
    anchor: np.ndarray  # int64 microseconds UTC
    cap: np.ndarray  # int64 microseconds

    @property
    def size(self) -> int:
        return len(self.row_id)

    @property
    def ends_at_anchor(self) -> np.ndarray:
        return self.depth == ORDERED

    @property
    def is_bot(self) -> np.ndarray:
        return self.visitor_kind == VisitorKind.BOT

    @staticmethod
    def concat(parts: list[Visits]) -> Visits:
        return Visits(
            **{item.name: np.concatenate([getattr(p, item.name) for p in parts]) for item in fields(Visits)}
        )


def day_of_number(day_number: int) -> date:
    return datetime.fromtimestamp(day_number * 86_400, tz=UTC).date()


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    """An independent random stream per (seed, purpose, day): a day's events do not depend
    on which other days were made, or in which order."""
    return np.random.default_rng([seed, *stream])


def _choice(rng: np.random.Generator, shares: tuple[float, ...] | np.ndarray, size: int) -> np.ndarray:
    weights = np.asarray(shares, dtype=np.float64)
    return np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(size), side="right").clip(
        0, len(weights) - 1
    )


def _start_times(rng: np.random.Generator, day_number: np.ndarray, params: SimulationParams) -> np.ndarray:
    hour = _choice(rng, HOURLY, len(day_number))
    clock = hour * HOUR_US + rng.integers(0, HOUR_US, len(day_number))
    # The day's rhythm, squeezed into the hours a visit may start in.
    within = params.day_start_us + (clock / DAY_US * (LATEST_START_US - params.day_start_us)).astype(np.int64)
    return day_number.astype(np.int64) * DAY_US + within


class Plan:
    """The visits of the whole run, decided up front where they depend on each other (orders,
    returning visits, how many visits a day) and made day by day otherwise."""

    def __init__(
        self, history: History, params: SimulationParams, seed: int, tracked: np.ndarray | None = None
    ) -> None:
        orders = history.orders
        self.history, self.params, self.seed = history, params, seed
        self.tracked = np.flatnonzero(tracked) if tracked is not None else np.arange(orders.size)
        gap = params.session_gap_us
        placed = orders.placed_at[self.tracked]
        self.order_day = placed // DAY_US
        if len(self.tracked):
            self.first_day, self.last_day = int(self.order_day.min()), int(self.order_day.max())
        else:
            self.first_day = self.last_day = 0
        customers = orders.customer_id[self.tracked]
        self.visitor_kind = np.where(customers >= 0, VisitorKind.CUSTOMER, VisitorKind.GUEST).astype(np.int8)
        self.visitor_num = np.where(customers >= 0, customers, orders.order_id[self.tracked])

        # Orders of one visitor in time order: within a session gap of the one before, an
        # order goes on in that visit; else its visit must start a session gap after it.
        by_visitor = np.lexsort((placed, self.visitor_num, self.visitor_kind))
        same = np.zeros(len(by_visitor), dtype=bool)
        same[1:] = (self.visitor_kind[by_visitor][1:] == self.visitor_kind[by_visitor][:-1]) & (
            self.visitor_num[by_visitor][1:] == self.visitor_num[by_visitor][:-1]
        )
        previous = np.full(len(by_visitor), np.iinfo(np.int64).min // 2, dtype=np.int64)
        previous[1:] = np.where(same[1:], placed[by_visitor][:-1], previous[1:])
        since = placed[by_visitor] - previous
        goes_on = same & (since < gap)
        head_position = np.maximum.accumulate(np.where(goes_on, 0, np.arange(len(by_visitor))))
        self.goes_on = np.empty(len(by_visitor), dtype=bool)
        self.goes_on[by_visitor] = goes_on
        self.session_num = np.empty(len(by_visitor), dtype=np.int64)
        self.session_num[by_visitor] = orders.order_id[self.tracked][by_visitor][head_position]
        cap = np.where(
            goes_on,
            np.maximum(since - 1, 0),
            np.minimum(
                params.ordering_visit_max_us, np.where(same, np.maximum(since - gap - 1_000_000, 0), DAY_US)
            ),
        )
        self.cap = np.empty(len(by_visitor), dtype=np.int64)
        self.cap[by_visitor] = cap
        self._returning_plan(placed)
        self._day_volumes()

    # --- returning visits -------------------------------------------------------------

    def _returning_plan(self, placed: np.ndarray) -> None:
        params = self.params
        rng = rng_for(self.seed, 1)
        per_order = rng.poisson(params.returning_visits_per_order, len(self.tracked))
        which = np.repeat(np.arange(len(self.tracked)), per_order)
        day = self.order_day[which] - rng.integers(1, params.returning_days_max + 1, len(which))
        start = _start_times(rng, day, params)
        keep = day >= self.first_day
        which, day, start = which[keep], day[keep], start[keep]

        # Too close to any order of the same visitor (its visit may start up to
        # ordering_visit_max_us before it), or to the returning visit before it: dropped.
        # Keys are (visitor, second) folded into one integer, so one search finds the
        # visitor's next order; a second of slack on each side keeps the rounding safe.
        gap = params.session_gap_us // 1_000_000 + 1
        before = (params.ordering_visit_max_us + params.browsing_visit_max_us) // 1_000_000 + gap + 1
        visitor_rank = np.empty(len(self.tracked), dtype=np.int64)
        by_person = np.lexsort((self.visitor_num, self.visitor_kind))
        distinct = np.ones(len(by_person), dtype=bool)
        distinct[1:] = (np.diff(self.visitor_num[by_person]) != 0) | (
            np.diff(self.visitor_kind[by_person]) != 0
        )
        visitor_rank[by_person] = np.cumsum(distinct) - 1
        origin = (self.first_day - params.returning_days_max - 1) * 86_400
        span = (self.last_day + 2) * 86_400 - origin + before + gap
        sorted_keys = np.sort(visitor_rank * span + (placed // 1_000_000 - origin))
        visit_key = visitor_rank[which] * span + (start // 1_000_000 - origin)
        nearest = np.searchsorted(sorted_keys, visit_key - gap, side="right")
        candidate = sorted_keys[np.minimum(nearest, len(sorted_keys) - 1)]
        clash = (nearest < len(sorted_keys)) & (candidate < visit_key + before)
        which, day, start, visit_key = which[~clash], day[~clash], start[~clash], visit_key[~clash]
        order = np.argsort(visit_key, kind="stable")
        which, day, start, visit_key = which[order], day[order], start[order], visit_key[order]
        close = np.zeros(len(which), dtype=bool)
        close[1:] = np.diff(visit_key) < params.browsing_visit_max_us // 1_000_000 + gap + 1
        which, day, start = which[~close], day[~close], start[~close]
        by_day = np.argsort(day, kind="stable")
        self.returning_order = which[by_day]
        self.returning_day = day[by_day]
        self.returning_start = start[by_day]

    # --- how many visits a day ----------------------------------------------------------

    def _day_volumes(self) -> None:
        params = self.params
        days = self.last_day - self.first_day + 1
        heads = np.bincount(self.order_day[~self.goes_on] - self.first_day, minlength=days).astype(np.float64)
        orders = np.bincount(self.order_day - self.first_day, minlength=days).astype(np.float64)
        week = np.convolve(orders, np.ones(7), mode="same") / np.convolve(
            np.ones(days), np.ones(7), mode="same"
        )
        weight = params.day_weight_own * orders + (1 - params.day_weight_own) * week
        total = params.sessions_per_order * len(self.tracked)
        self.day_weight = weight
        human = total * weight / weight.sum() if weight.sum() > 0 else np.zeros(days)
        returning = np.bincount(self.returning_day - self.first_day, minlength=days)
        self.anonymous_per_day = np.maximum(np.round(human - heads - returning), 0).astype(np.int64)
        self.bots_per_day = np.round(human * params.bot_share).astype(np.int64)
        self.anonymous_pool = max(int(self.anonymous_per_day.sum() * params.anonymous_visitors_per_visit), 1)

    # --- one day --------------------------------------------------------------------------

    @property
    def day_numbers(self) -> range:
        return range(self.first_day, self.last_day + 1) if len(self.tracked) else range(0)

    def visits(
        self, day_number: int, *, anonymous: int | None = None, bots: int | None = None, stream: int = 0
    ) -> Visits:
        """The visits made on `day_number` (days since 1970-01-01): ordering, returning,
        anonymous and bot visits, in that order. `anonymous` and `bots` override the planned
        numbers (the benchmark's event budget); `stream` > 0 makes only such extra visits,
        all by new visitors."""
        rng = rng_for(self.seed, 2, day_number, stream)
        index = day_number - self.first_day
        inside = 0 <= index < len(self.anonymous_per_day)
        parts = []
        if stream == 0:
            parts.append(self._ordering(day_number, rng))
            parts.append(self._returning(day_number, rng))
        if anonymous is None:
            anonymous = int(self.anonymous_per_day[index]) if inside else 0
        if bots is None:
            bots = int(self.bots_per_day[index]) if inside else 0
        parts.append(self._anonymous(day_number, anonymous, stream, rng))
        parts.append(self._bots(day_number, bots, stream, rng))
        visits = Visits.concat(parts)
        # Unique over the run, and in this order: an order's visit comes first at a shared moment.
        local = stream * STREAM_ROWS + np.arange(visits.size, dtype=np.int64)
        return replace(
            visits,
            row_id=day_number * DAY_ROWS + local,
            session_num=np.where(visits.session_of_order, visits.session_num, local),
        )

    def _new_visitors(self, day_number: int, stream: int, size: int) -> np.ndarray:
        first = ((day_number - self.first_day) * STREAMS + stream) * STREAM_ROWS
        return self.anonymous_pool + first + np.arange(size, dtype=np.int64)

    def _people(self, rng: np.random.Generator, size: int, ordering: bool) -> dict[str, np.ndarray]:
        params = self.params
        device = _choice(rng, params.device_shares, size).astype(np.int8)
        app = (device != DeviceCode.DESKTOP) & (rng.random(size) < params.app_share_of_mobile)
        shares = params.source_shares_ordering if ordering else params.source_shares_browsing
        source = _choice(rng, shares, size).astype(np.int8)
        # Apps are opened, not found through a search engine or another site.
        found = np.isin(source, [Source.ORGANIC, Source.PAID_SEARCH, Source.REFERRAL])
        source = np.where(app & found, Source.DIRECT, source).astype(np.int8)
        return {"device": device, "app": app, "source": source}

    def _ordering(self, day_number: int, rng: np.random.Generator) -> Visits:
        which = np.flatnonzero(self.order_day == day_number)
        orders = self.history.orders
        order = self.tracked[which]
        people = self._people(rng, len(which), ordering=True)
        goes_on = self.goes_on[which]
        return Visits(
            row_id=np.zeros(len(which), dtype=np.int64),
            visitor_kind=self.visitor_kind[which],
            visitor_num=self.visitor_num[which],
            session_of_order=np.ones(len(which), dtype=bool),
            session_num=self.session_num[which],
            customer_id=orders.customer_id[order],
            country=orders.country[order],
            device=people["device"],
            app=people["app"],
            source=np.where(goes_on, Source.NONE, people["source"]).astype(np.int8),
            depth=np.full(len(which), ORDERED, dtype=np.int8),
            order=order.astype(np.int64),
            related_order=order.astype(np.int64),
            anchor=orders.placed_at[order],
            cap=self.cap[which],
        )

    def _browsing_cap(self, start: np.ndarray, day_number: int) -> np.ndarray:
        day_end = (day_number + 1) * DAY_US - 1_000_000
        return np.minimum(self.params.browsing_visit_max_us, day_end - start)

    def _depths(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return _choice(rng, self.params.depth_shares, size).astype(np.int8)

    def _returning(self, day_number: int, rng: np.random.Generator) -> Visits:
        low, high = np.searchsorted(self.returning_day, [day_number, day_number + 1])
        which = self.returning_order[low:high]
        start = self.returning_start[low:high]
        orders = self.history.orders
        order = self.tracked[which]
        size = len(which)
        people = self._people(rng, size, ordering=False)
        return Visits(
            row_id=np.zeros(size, dtype=np.int64),
            visitor_kind=self.visitor_kind[which],
            visitor_num=self.visitor_num[which],
            session_of_order=np.zeros(size, dtype=bool),
            session_num=np.zeros(size, dtype=np.int64),
            customer_id=orders.customer_id[order],
            country=orders.country[order],
            depth=self._depths(rng, size),
            order=np.full(size, -1, dtype=np.int64),
            related_order=order.astype(np.int64),
            anchor=start,
            cap=self._browsing_cap(start, day_number),
            **people,
        )

    def _anonymous(self, day_number: int, size: int, stream: int, rng: np.random.Generator) -> Visits:
        if stream == 0:
            # Most visitors come once; a few come back often (u ** 1.5 crowds the low numbers).
            visitor = (self.anonymous_pool * rng.random(size) ** 1.5).astype(np.int64)
            # One visit a day per visitor: a second one that day is someone new.
            _, first = np.unique(visitor, return_index=True)
            again = np.ones(size, dtype=bool)
            again[first] = False
            visitor = np.where(again, self._new_visitors(day_number, stream, size), visitor)
        else:
            visitor = self._new_visitors(day_number, stream, size)
        start = _start_times(rng, np.full(size, day_number), self.params)
        tracked_countries = self.history.orders.country[self.tracked]
        country = (
            tracked_countries[rng.integers(0, len(tracked_countries), size)]
            if len(tracked_countries)
            else np.full(size, -1, dtype=np.int32)
        )
        return Visits(
            row_id=np.zeros(size, dtype=np.int64),
            visitor_kind=np.full(size, VisitorKind.ANONYMOUS, dtype=np.int8),
            visitor_num=visitor,
            session_of_order=np.zeros(size, dtype=bool),
            session_num=np.zeros(size, dtype=np.int64),
            customer_id=np.full(size, -1, dtype=np.int64),
            country=country.astype(np.int32),
            depth=self._depths(rng, size),
            order=np.full(size, -1, dtype=np.int64),
            related_order=np.full(size, -1, dtype=np.int64),
            anchor=start,
            cap=self._browsing_cap(start, day_number),
            **self._people(rng, size, ordering=False),
        )

    def _bots(self, day_number: int, size: int, stream: int, rng: np.random.Generator) -> Visits:
        start = day_number * DAY_US + rng.integers(self.params.day_start_us, LATEST_START_US, size)
        return Visits(
            row_id=np.zeros(size, dtype=np.int64),
            visitor_kind=np.full(size, VisitorKind.BOT, dtype=np.int8),
            # A crawler keeps no cookie: every visit is a new visitor.
            visitor_num=self._new_visitors(day_number, stream, size),
            session_of_order=np.zeros(size, dtype=bool),
            session_num=np.zeros(size, dtype=np.int64),
            customer_id=np.full(size, -1, dtype=np.int64),
            country=np.full(size, -1, dtype=np.int32),
            device=np.full(size, DeviceCode.BOT, dtype=np.int8),
            app=np.zeros(size, dtype=bool),
            source=np.full(size, Source.DIRECT, dtype=np.int8),
            depth=np.full(size, BOT_DEPTH, dtype=np.int8),
            order=np.full(size, -1, dtype=np.int64),
            related_order=np.full(size, -1, dtype=np.int64),
            anchor=start,
            cap=self._browsing_cap(start, day_number),
        )
