"""The payment session's `return_url`: the gateway sends the shopper's card token there,
so only the shop's own origins and its registered app link schemes are accepted; anything
else is 422 on `return_url`, before the gateway is asked anything."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from shopstack.api.tests.conftest import error_of
from shopstack.api.tests.test_checkout_api import App, ready
from shopstack.checkout.models import Checkout
from shopstack.orders.models import Order
from shopstack.payments.models import Payment
from shopstack.payments.testgateway.models import LedgerToken
from shopstack.testing.cart import make_cart
from shopstack.testing.checkout import checkout_state, ensure_checkout_data
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data(db: None, settings) -> None:
    ensure_checkout_data()
    settings.PAYMENT_RETURN_ORIGINS = ["https://shop.example.com"]
    settings.PAYMENT_RETURN_SCHEMES = ["myapp"]


@pytest.fixture
def app(db: None) -> App:
    return App(make_cart(lines={make_product(name="Enamel mug", price="10.00", stock=5): 1}))


def session(app: App, token: str, return_url: str):
    return app.call("post", f"/checkout/{token}/payment-session", {"return_url": return_url})


@pytest.mark.parametrize(
    "return_url",
    [
        "https://evil.example/steal",
        "https://shop.example.com.evil.com/back",
        "https://shop.example.com@evil.com/back",
        "//evil.com/back",
        "https:\\\\evil.com\\back",
        "https://shop.example.com\\@evil.com/back",
        "http://shop.example.com/back",
        "otherapp://checkout/paid",
        "javascript:alert(1)",
    ],
)
def test_another_sites_return_url_is_422_on_the_field_and_changes_nothing(app, return_url) -> None:
    token = ready(app)
    checkout = Checkout.objects.get(token=token)
    before = checkout_state(checkout)
    answer = session(app, token, return_url)
    assert answer.status_code == 422, answer.content
    error = error_of(answer)
    assert error["code"] == "return_url_not_allowed"
    assert set(error["fields"]) == {"return_url"}
    assert checkout_state(checkout) == before
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "return_url",
    ["https://shop.example.com/app/back?x=1", "http://testserver/app/back", None],
)
def test_the_shops_own_origins_are_accepted(app, return_url) -> None:
    token = ready(app)
    answer = session(app, token, return_url)
    assert answer.status_code == 200, answer.content
    sent = parse_qs(urlsplit(answer.json()["url"]).query)["return_url"][0]
    assert sent == (return_url or "http://testserver/checkout/payment/return/")


def test_an_app_link_scheme_gets_the_token_and_the_order_is_placed(app) -> None:
    token = ready(app)
    answer = session(app, token, "myapp://checkout/paid?step=card")
    assert answer.status_code == 200, answer.content
    form = urlsplit(answer.json()["url"])
    card_form = f"{form.path}?{form.query}"
    assert app.client.get(card_form).status_code == 200
    back = app.client.post(card_form, {**dict(parse_qs(form.query)), "card_number": "4242424242424242"})
    assert back.status_code == 302, back.content
    location = back["Location"]
    assert location.startswith("myapp://checkout/paid?step=card&")
    query = parse_qs(urlsplit(location).query)
    assert query["session"] == [token]
    assert LedgerToken.objects.filter(token=query["token"][0]).exists()
    placed = app.call(
        "post", f"/checkout/{token}/place", {"payment_token": query["token"][0]}, **{"Idempotency-Key": "k"}
    )
    assert placed.status_code == 201, placed.content
    assert Order.objects.get().number == placed.json()["number"]


def test_an_app_link_scheme_is_refused_until_configured(app, settings) -> None:
    settings.PAYMENT_RETURN_SCHEMES = []
    token = ready(app)
    answer = session(app, token, "myapp://checkout/paid")
    assert answer.status_code == 422
    assert set(error_of(answer)["fields"]) == {"return_url"}
