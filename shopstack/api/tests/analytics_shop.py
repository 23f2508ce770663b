"""A small hand-made warehouse for the analytics API's tests, and staff to ask for it.

The shop's week: Monday May 4th to Friday May 8th 2026 (UTC is the shop's time zone in
these tests), compared with the five days before (April 29th to May 3rd).

- Visit s1 (visitor v1, customer 10, GB, desktop, from the May newsletter): views the
  blue mug, searches "Blue  Mug " (3 results) and clicks it, adds 2 (GBP 25.00), goes
  through every checkout step and places order 1.
- Visit s2 (visitor v2, FR, phone, from Google): views the laptop stand, searches
  "laptop" (no results), adds it (GBP 12.34) and leaves: an abandoned cart.
- Visit s3 (visitor v3, desktop, from Facebook): one page.
- Before the week, visit p1 (visitor v1): one page on May 1st.

Orders: 1 (customer 10, May 4th, GBP 25.00 of which 5.00 refunded, GBP 4.00 of shipping,
paid a minute later, shipped a day later by Royal Mail and delivered a day after that), 2
(customer 11, placed by the app without a tracked visit on May 6th, GBP 12.34 with GBP 9.95
of Express shipping, paid two minutes later, never shipped: overdue), 3 (customer 10, April
30th, GBP 9.00: the comparison period, and what makes customer 10 returning). The
newsletter cost GBP 10.00 on May 5th. Stock: the mug has 10 available on May 7th and 8th;
the laptop stand none on the 7th and 3 on the 8th.
"""

from __future__ import annotations

import base64
import os
from datetime import date
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from shopstack.accounts.services import totp_code
from shopstack.analytics.schema import AnalyticsEvent
from shopstack.analytics.tests.warehouse_fixtures import at, write_events, write_rows
from shopstack.api.tests.conftest import PASSWORD

WEEK = {"start": "2026-05-04", "end": "2026-05-08"}
NEWSLETTER = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "may"}


def _event(when: str, visitor: str, session: str, kind: str = "page_view", **fields) -> AnalyticsEvent:
    return AnalyticsEvent(
        kind=kind, occurred_at=at(when), visitor_id=visitor, session_id=session, consent=True, **fields
    )


def _checkout(when_minute: int, **fields) -> list[AnalyticsEvent]:
    steps = ("begin", "address", "shipping", "payment", "review")
    return [
        _event(
            f"2026-05-04 09:{when_minute + i:02d}", "v1", "s1", "checkout_step", checkout_step=step, **fields
        )
        for i, step in enumerate(steps)
    ]


def write_shop(root: Path) -> None:
    one = {"customer_id": 10, "country": "GB", "device": "desktop"}
    two = {"country": "FR", "device": "phone"}
    write_events(
        root,
        [
            _event("2026-05-01 10:00", "v1", "p1", **one),
            _event("2026-05-04 09:00", "v1", "s1", path="/", **NEWSLETTER, **one),
            _event("2026-05-04 09:01", "v1", "s1", "product_view", product_id=1, **one),
            _event(
                "2026-05-04 09:02", "v1", "s1", "search", search_query="Blue  Mug ", result_count=3, **one
            ),
            _event(
                "2026-05-04 09:03", "v1", "s1", "search_click", search_query="blue mug", product_id=1, **one
            ),
            _event(
                "2026-05-04 09:04", "v1", "s1", "cart_add", product_id=1, quantity=2, value_minor=2500, **one
            ),
            *_checkout(5, **one),
            _event("2026-05-04 09:10", "v1", "s1", "order_placed", order_id=1, value_minor=2500, **one),
            _event("2026-05-05 10:00", "v2", "s2", referrer="https://www.google.com/", **two),
            _event("2026-05-05 10:01", "v2", "s2", "product_view", product_id=2, **two),
            _event("2026-05-05 10:02", "v2", "s2", "search", search_query="laptop", result_count=0, **two),
            _event(
                "2026-05-05 10:03", "v2", "s2", "cart_add", product_id=2, quantity=1, value_minor=1234, **two
            ),
            _event("2026-05-06 11:00", "v3", "s3", referrer="https://www.facebook.com/", device="desktop"),
        ],
    )
    delivered = {
        "status": "delivered",
        "channel": "web",
        "country": "GB",
        "shipping_method_id": 1,
        "shipping_method": "Standard",
        "shipping_zone": "UK",
        "carrier": "Royal Mail",
        "warehouse_id": 1,
    }
    write_rows(
        root,
        "orders",
        [
            {
                "order_id": 1,
                "customer_id": 10,
                "placed_at": at("2026-05-04 09:10"),
                "paid_at": at("2026-05-04 09:11"),
                "shipped_at": at("2026-05-05 09:10"),
                "delivered_at": at("2026-05-06 09:10"),
                "total_minor": 2500,
                "refunded_minor": 500,
                "shipping_minor": 400,
                **delivered,
            },
            {
                "order_id": 2,
                "customer_id": 11,
                "placed_at": at("2026-05-06 12:00"),
                "paid_at": at("2026-05-06 12:02"),
                "total_minor": 1234,
                "shipping_minor": 995,
                "status": "paid",
                "channel": "app",
                "country": "FR",
                "shipping_method_id": 2,
                "shipping_method": "Express",
                "shipping_zone": "UK",
                "warehouse_id": 1,
            },
            {
                "order_id": 3,
                "customer_id": 10,
                "placed_at": at("2026-04-30 15:00"),
                "paid_at": at("2026-04-30 15:00"),
                "shipped_at": at("2026-05-01 10:00"),
                "delivered_at": at("2026-05-02 10:00"),
                "total_minor": 900,
                **delivered,
            },
        ],
    )
    write_rows(
        root,
        "order_lines",
        [
            {
                "line_id": 1,
                "order_id": 1,
                "placed_at": at("2026-05-04 09:10"),
                "product_id": 1,
                "variant_id": 101,
                "category_id": 5,
                "quantity": 2,
                "total_minor": 2100,
                "refunded_minor": 500,
            },
            {
                "line_id": 2,
                "order_id": 2,
                "placed_at": at("2026-05-06 12:00"),
                "product_id": 2,
                "variant_id": 201,
                "category_id": 6,
                "quantity": 1,
                "total_minor": 1234,
                "refunded_minor": 0,
            },
            {
                "line_id": 3,
                "order_id": 3,
                "placed_at": at("2026-04-30 15:00"),
                "product_id": 1,
                "variant_id": 101,
                "category_id": 5,
                "quantity": 1,
                "total_minor": 900,
                "refunded_minor": 0,
            },
        ],
    )
    write_rows(
        root,
        "products",
        [
            {
                "product_id": 1,
                "name": "Blue mug",
                "category_id": 5,
                "price_minor": 1050,
                "is_published": True,
            },
            {
                "product_id": 2,
                "name": "Laptop stand",
                "category_id": 6,
                "price_minor": 1234,
                "is_published": True,
            },
        ],
    )
    write_rows(root, "variants", [{"variant_id": 101, "product_id": 1}, {"variant_id": 201, "product_id": 2}])
    write_rows(
        root,
        "categories",
        [
            {"category_id": 5, "name": "Mugs", "path": "/5/"},
            {"category_id": 6, "name": "Desks", "path": "/6/"},
        ],
    )
    write_rows(
        root, "customers", [{"customer_id": 10, "country": "GB"}, {"customer_id": 11, "country": "FR"}]
    )
    write_rows(
        root,
        "shipping_methods",
        [
            {"shipping_method_id": 1, "name": "Standard", "zone": "UK", "max_days": 3},
            {"shipping_method_id": 2, "name": "Express", "zone": "UK", "max_days": 1},
        ],
    )
    write_rows(root, "warehouses", [{"warehouse_id": 1, "name": "Main"}])
    stock = {"warehouse_id": 1, "allocated": 0, "reserved": 0}
    write_rows(
        root,
        "stock_levels",
        [
            # The mug: 10 available every day. The stand: out of stock on the 7th, 3 on the 8th.
            *(
                {"day": date(2026, 5, d), "variant_id": 101, "product_id": 1, "quantity": 10, **stock}
                for d in (7, 8)
            ),
            {"day": date(2026, 5, 7), "variant_id": 201, "product_id": 2, "quantity": 0, **stock},
            {"day": date(2026, 5, 8), "variant_id": 201, "product_id": 2, "quantity": 3, **stock},
        ],
    )
    write_rows(
        root,
        "ad_spend",
        [{"day": date(2026, 5, 5), **NEWSLETTER, "cost_minor": 1000, "currency": "GBP"}],
    )


# Staff ------------------------------------------------------------------------------------


def analytics_permission() -> Permission:
    """`analytics.view_analytics`, which the AnalyticsAccess model's migration creates."""
    return Permission.objects.get(content_type__app_label="analytics", codename="view_analytics")


def make_user(
    email: str, *, staff: bool = False, superuser: bool = False, totp: bool = True, grant: bool = False
):
    """A user with a verified address; staff get a TOTP authenticator (a secret of their
    own, `user.totp_secret`) unless `totp` is False; `grant` gives analytics.view_analytics."""
    user = get_user_model().objects.create_user(
        email=email, password=PASSWORD, is_staff=staff or superuser, is_superuser=superuser
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if (staff or superuser) and totp:
        add_totp(user)
    if grant:
        user.user_permissions.add(analytics_permission())
    return user


def add_totp(user) -> None:
    """A TOTP authenticator with a secret of its own (`user.totp_secret`): a code is
    accepted once, so users of different tests must not share one."""
    user.totp_secret = base64.b32encode(os.urandom(20)).decode()
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(user.totp_secret)}
    )


def make_analyst(user) -> None:
    """Make an existing user staff allowed to see the analytics reports, with TOTP."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    add_totp(user)
    user.user_permissions.add(analytics_permission())


def session_token(client, user) -> str:
    """A session token from allauth's headless app login, with the TOTP step for users that
    have one (the token of a login waiting for its code signs nobody in)."""
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    token = response.json()["meta"]["session_token"]
    if response.status_code == 401:
        assert [flow["id"] for flow in response.json()["data"]["flows"] if flow.get("is_pending")] == [
            "mfa_authenticate"
        ], response.content
        response = client.post(
            "/_allauth/app/v1/auth/2fa/authenticate",
            {"code": totp_code(secret=user.totp_secret)},
            content_type="application/json",
            headers={"X-Session-Token": token},
        )
        token = response.json()["meta"]["session_token"]
    assert response.status_code == 200, response.content
    return token
