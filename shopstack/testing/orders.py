"""Factories for order tests: drafts priced on the server like checkout's, and workers."""

from __future__ import annotations

import itertools
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from shopstack.catalog.models import ProductVariant
from shopstack.inventory.services import stock_reserve
from shopstack.orders.drafts import DraftAddress, DraftLine, OrderDraft
from shopstack.pricing.calculation import LineInput
from shopstack.pricing.services import price_cart, voucher_customer_key
from shopstack.testing.tasks import use_tasks_backend  # noqa: F401 (order tests import it from here)

_counter = itertools.count(1)
ROOT = Path(__file__).resolve().parents[2]

ADDRESS = DraftAddress(
    full_name="Ada Buyer", line1="1 High Street", city="London", postal_code="N1 1AA", country="GB"
)


def make_draft(
    variants: Sequence[tuple[ProductVariant, int]],
    *,
    token: str = "tok_success",
    email: str = "buyer@example.com",
    customer_id: int | None = None,
    voucher_code: str | None = None,
    shipping_price: Decimal = Decimal("4.99"),
    checkout_ref: str | None = None,
    reserve: bool = True,
    return_url: str = "",
) -> OrderDraft:
    """A draft for these (variant, quantity) lines, priced by pricing as checkout does;
    with `reserve` the checkout's reservation is made first, as checkout would."""
    checkout_ref = checkout_ref or f"checkout:test-{next(_counter)}-{secrets.token_hex(4)}"
    if reserve:
        stock_reserve(ref=checkout_ref, lines=[(variant.pk, quantity) for variant, quantity in variants])
    customer_key = voucher_customer_key(user_id=customer_id, email=email)
    priced = price_cart(
        lines=[LineInput(variant.pk, quantity) for variant, quantity in variants],
        country="GB",
        shipping_price=shipping_price,
        voucher_code=voucher_code,
        customer_key=customer_key,
    )
    shipping_paid = priced.shipping - priced.shipping_discount
    return OrderDraft(
        checkout_ref=checkout_ref,
        email=email,
        currency=priced.currency,
        lines=tuple(
            DraftLine(
                variant_id=line.variant_id,
                sku=line.sku,
                product_name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                net=line.net,
                tax=line.tax,
                gross=line.gross,
                tax_rate=line.tax_rate,
            )
            for line in priced.lines
        ),
        shipping_address=ADDRESS,
        billing_address=ADDRESS,
        shipping_method_id=None,
        shipping_method_name="Standard",
        shipping_price=shipping_paid,
        shipping_tax=priced.shipping_tax,
        subtotal=priced.subtotal,
        discount=priced.discount,
        tax=priced.tax,
        total=priced.total,
        payment_token=token,
        customer_id=customer_id,
        voucher_code=voucher_code,
        weight_grams=500,
        payment_return_url=return_url,
    )


# Transactional tests (threads, the live server, workers) flush only what orders touch: a
# whole-database flush trips over tables other contexts create outside migrations.
ORDER_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "django.contrib.messages",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "shopstack.accounts",
    "shopstack.core",
    "shopstack.catalog",
    "shopstack.inventory",
    "shopstack.pricing",
    "shopstack.shipping",
    "shopstack.payments",
    "shopstack.orders",
    "shopstack.checkout",
    "shopstack.notifications",  # reacts to order events (emails)
    "shopstack.storefront",  # template tags of those emails
    "shopstack.search",  # the storefront's templates reach it
    "shopstack.analytics",  # records order events; the admin lists its dashboards
    "django_tasks_db",
]


def database_url() -> str:
    """A URL for the database this test process uses (the test database), for subprocesses."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """A real `manage.py task_worker` process on the test database, talking to the live
    server's test gateway; `faults` is SHOPSTACK_FAULTS for it (e.g. "after_authorize:kill")."""

    def __init__(self, shop_url: str, *, faults: str = "", env: dict[str, str] | None = None) -> None:
        from shopstack.testing.payments import API_KEY, WEBHOOK_SECRET

        environment = {k: v for k, v in os.environ.items() if k not in {"SHOPSTACK_FAULTS"}}
        environment.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
                "DATABASE_URL": database_url(),
                "SHOP_BASE_URL": shop_url,
                "PAYMENT_GATEWAY_URL": f"{shop_url}/_testgateway/",
                "PAYMENT_GATEWAY_API_KEY": API_KEY,
                "PAYMENT_GATEWAY_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "PAYMENT_GATEWAY_TIMEOUT": "30",
                "SHOPSTACK_FAULTS": faults,
                **(env or {}),
            }
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "task_worker",
                "--queue-name",
                "default",
                "--interval",
                "0.1",
                "--no-startup-delay",
                "--no-reload",
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def wait_dead(self, timeout: float = 300) -> int:
        """Wait for the process to end by itself (a kill fault); returns its exit code."""
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.stop()

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""


def wait_until(check: Callable[[], bool], timeout: float = 300, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
