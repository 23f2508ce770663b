"""Safety net beside the per-payment task: settle every payment stuck with an unknown outcome.

Runs the reconciliations itself (from cron or by hand), one gateway call per payment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shopstack.payments.backends.base import GatewayError
from shopstack.payments.selectors import payments_to_reconcile
from shopstack.payments.services import payment_reconcile


class Command(BaseCommand):
    help = "Ask the gateway about payments whose authorization outcome is unknown, and settle them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than-minutes", type=int, default=5)

    def handle(self, *args: Any, **options: Any) -> None:
        stuck = payments_to_reconcile(older_than=timedelta(minutes=options["older_than_minutes"]))
        for payment in stuck:
            try:
                payment = payment_reconcile(payment=payment)
            except GatewayError as error:
                self.stderr.write(f"{payment.pk}: {error}")
                continue
            self.stdout.write(f"{payment.pk}: {payment.status}")
