"""`manage.py import_demo`: build the demo shop from the Online Retail data set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shopstack.integrations.services.demo_import import DEFAULT_PATH, demo_import


class Command(BaseCommand):
    help = (
        "Import the Online Retail transactions as the demo shop's catalogue, stock, images, customers "
        "and order history. Safe to run again: only what is missing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", type=Path, default=DEFAULT_PATH, help="Parquet file to read")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="First delete imported orders, the data's products and the invented customers",
        )
        parser.add_argument("--no-images", action="store_true", help="Do not generate product images")

    def handle(self, *args: Any, **options: Any) -> None:
        report = demo_import(
            path=options["path"],
            reset=options["reset"],
            images=not options["no_images"],
            progress=options["verbosity"] > 0,
        )
        if options["verbosity"] > 0:
            self.stdout.write(report.as_text())
