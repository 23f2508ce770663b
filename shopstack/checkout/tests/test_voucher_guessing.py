"""Voucher codes cannot be guessed by the hundred: unknown codes are limited per checkout
and per client address, in the service, so the page and the API obey the same limits."""

from __future__ import annotations

import pytest

from shopstack.api.tests.conftest import error_of
from shopstack.api.tests.test_checkout_api import App, ready
from shopstack.checkout import services
from shopstack.checkout.models import Checkout
from shopstack.checkout.tests.test_checkout_pages import Shopper, start
from shopstack.core.errors import RateLimited, ValidationFailed
from shopstack.testing.cart import make_cart
from shopstack.testing.checkout import ensure_checkout_data, make_checkout
from shopstack.testing.factories import make_product
from shopstack.testing.pricing import make_voucher

pytestmark = pytest.mark.django_db

# 30 s into a whole hour: every attempt of a test falls in one hourly window.
HOUR = 1_800_000_000 - 1_800_000_000 % 3600 + 30


@pytest.fixture(autouse=True)
def _limits(settings, db: None) -> None:
    ensure_checkout_data()
    settings.VOUCHER_ATTEMPTS_PER_CHECKOUT = "3/h"
    settings.VOUCHER_ATTEMPTS_PER_CLIENT = "5/h"


@pytest.fixture
def mug():
    return make_product(name="Enamel mug", price="10.00", stock=50)


def guess(checkout: Checkout, code: str, *, client: str = "203.0.113.7", now: float = HOUR) -> str:
    """What became of one try: "applied", or the refusal's code."""
    refusal: ValidationFailed | RateLimited | None = None
    try:
        services.checkout_set_voucher(checkout=checkout, code=code, client=client, now=now)
    except (ValidationFailed, RateLimited) as refused:
        refusal = refused
    if refusal is None:
        return "applied"
    assert refusal.fields["voucher"], "the refusal names the field"
    if isinstance(refusal, RateLimited):
        assert 0 < refusal.retry_after <= 3600
    return refusal.code


def test_a_checkout_may_try_a_few_unknown_codes_then_none(mug) -> None:
    make_voucher(code="REAL10", value="10")
    checkout = make_checkout(lines={mug: 1})
    outcomes = [guess(checkout, f"GUESS{n}") for n in range(4)]
    assert outcomes == ["voucher_unknown"] * 3 + ["rate_limited"]
    # Once limited, even the real code is refused: the limit is checked before the code.
    assert guess(checkout, "REAL10") == "rate_limited"
    assert Checkout.objects.get(pk=checkout.pk).voucher_code == ""
    # The next window starts afresh.
    assert guess(checkout, "REAL10", now=HOUR + 3600) == "applied"


def test_a_client_is_limited_across_checkouts(mug) -> None:
    checkouts = [make_checkout(lines={mug: 1}) for _ in range(3)]
    outcomes = [guess(checkouts[n % 3], f"GUESS{n}") for n in range(6)]
    assert outcomes == ["voucher_unknown"] * 5 + ["rate_limited"]
    # Another address (another shopper) may still try on a checkout of its own.
    assert guess(make_checkout(lines={mug: 1}), "GUESS", client="198.51.100.2") == "voucher_unknown"


def test_refusals_of_real_codes_are_not_guesses(mug) -> None:
    make_voucher(code="BIGSPEND", value="10", min_spend="500")
    checkout = make_checkout(lines={mug: 1})
    outcomes = {guess(checkout, "BIGSPEND") for _ in range(10)}
    assert outcomes == {"voucher_min_spend"}


def test_the_api_answers_429_with_the_field_and_retry_after(mug) -> None:
    app = App(make_cart(lines={mug: 1}))
    token = ready(app)
    statuses = [
        app.call("put", f"/checkout/{token}/voucher", {"code": f"NOPE{n}"}).status_code for n in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    answer = app.call("put", f"/checkout/{token}/voucher", {"code": "NOPE9"})
    assert answer.status_code == 429
    assert error_of(answer)["code"] == "rate_limited"
    assert "voucher" in error_of(answer)["fields"]
    assert 1 <= int(answer["Retry-After"]) <= 3600


def test_the_page_answers_429_beside_the_voucher_field(mug) -> None:
    shopper = Shopper()
    shopper.hold(make_cart(lines={mug: 1}))
    checkout = start(shopper)
    base = f"/checkout/{checkout.token}"
    statuses = [
        shopper.post(f"{base}/voucher/", {"code": f"NOPE{n}"}, page=f"{base}/review/").status_code
        for n in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
    response = shopper.post(f"{base}/voucher/", {"code": "NOPE9"}, page=f"{base}/review/")
    assert response.status_code == 429
    assert b'id="voucher-error"' in response.content
    assert b"Too many voucher codes tried" in response.content
    assert int(response["Retry-After"]) >= 1
