"""`manage.py analytics_simulate`: simulated browsing for the demo, or a made-up shop at scale
for the benchmark (docs/analytics.md, "Demo data (simulated browsing)")."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopstack.analytics.simulate.params import SimulationParams
from shopstack.analytics.simulate.run import SimulationError
from shopstack.analytics.simulate.services import (
    demo_simulate,
    same_place,
    scale_simulate,
    warehouse_has_events,
)

DEFAULT_SEED = 16


class Command(BaseCommand):
    help = (
        "Write simulated browsing events into the analytics warehouse, labelled as simulated: for the "
        "shop's imported orders (the default), or with --scale a made-up shop with --events events and "
        "--orders orders, facts and dimensions included (the benchmark)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Same seed, same events")
        parser.add_argument(
            "--sessions-per-order",
            type=float,
            default=SimulationParams.sessions_per_order,
            help="Human visits per order (40: a 2.5%% conversion rate)",
        )
        parser.add_argument("--root", default="", help="Warehouse root (default ANALYTICS_WAREHOUSE_ROOT)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--from-orders",
            action="store_true",
            help="Simulate the shop's imported orders' browsing (default)",
        )
        mode.add_argument("--scale", action="store_true", help="A made-up shop: needs --events and --orders")
        parser.add_argument("--events", type=int, help="--scale: events to write, exactly")
        parser.add_argument("--orders", type=int, help="--scale: orders to make up, exactly")
        parser.add_argument("--products", type=int, default=5_000, help="--scale: products to make up")
        parser.add_argument("--days", type=int, default=365, help="--scale: days of history")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if the warehouse already holds events"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="First delete simulated events (days holding only simulated events) and the marker",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = options["root"] or settings.ANALYTICS_WAREHOUSE_ROOT
        verbose = options["verbosity"] > 0
        if options["if_empty"] and warehouse_has_events(root):
            if verbose:
                self.stdout.write(f"The warehouse at {root} already holds events: nothing simulated.")
            return
        params = replace(SimulationParams(), sessions_per_order=options["sessions_per_order"])
        try:
            if options["scale"]:
                report = self._scale(root, params, options)
            else:
                if options["events"] is not None or options["orders"] is not None:
                    raise CommandError("--events and --orders go with --scale")
                report = demo_simulate(
                    root, seed=options["seed"], params=params, replace=options["replace"], progress=verbose
                )
        except SimulationError as error:
            raise CommandError(
                "\n".join(f"--{name.replace('_', '-')}: {message}" for name, message in error.errors.items())
            ) from error
        if verbose:
            self.stdout.write(report.as_text())

    def _scale(self, root: str, params: SimulationParams, options: dict[str, Any]) -> Any:
        missing = [name for name in ("events", "orders") if options[name] is None]
        if missing:
            raise CommandError("--scale needs " + " and ".join(f"--{name}" for name in missing))
        if not options["root"] or same_place(root, settings.ANALYTICS_WAREHOUSE_ROOT):
            raise CommandError(
                "--root: a made-up shop's facts would replace the shop's own; give it a warehouse of its own"
            )
        return scale_simulate(
            root,
            events=options["events"],
            orders=options["orders"],
            seed=options["seed"],
            params=params,
            products=options["products"],
            days=options["days"],
            replace=options["replace"],
            progress=options["verbosity"] > 0,
        )
