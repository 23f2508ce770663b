"""Where a payment may send the shopper back: the shop's own origins and registered app
link schemes only, however the URL dresses up another site."""

import pytest

from shopstack.core.errors import ValidationFailed
from shopstack.payments.services import payment_return_url_check

SHOP = "https://shop.example.com"


@pytest.fixture(autouse=True)
def _return_settings(settings):
    settings.PAYMENT_RETURN_ORIGINS = [SHOP, "https://m.shop.example.com:8443"]
    settings.PAYMENT_RETURN_SCHEMES = ["myapp"]


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com/checkout/back?x=1",
        "https://shop.example.com",
        "HTTPS://Shop.Example.COM/back",
        "https://shop.example.com:443/back",  # the default port is the same origin
        "https://m.shop.example.com:8443/back",
        "myapp://checkout/paid",
        "MyApp://checkout/paid?x=1",
        "http://testserver/checkout/payment/return/",  # the origin the request came in on
    ],
)
def test_own_origins_and_app_schemes_are_accepted(url):
    assert payment_return_url_check(url=url, shop_origin="http://testserver/") == url


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.com/back",
        "https://shop.example.com.evil.com/back",
        "https://evil.com/shop.example.com",
        "https://evil.com/?https://shop.example.com",
        "https://evil.com#https://shop.example.com",
        "https://shop.example.com@evil.com/back",
        "https://shop.example.com:443@evil.com/back",
        "https://user:secret@shop.example.com/back",
        "//evil.com/back",
        "//shop.example.com/back",
        "/checkout/back",
        "https:evil.com",
        "https:/evil.com",
        "https:\\\\evil.com",
        "https://shop.example.com\\@evil.com",
        "https:/\\evil.com",
        "\\\\evil.com",
        "https://shop.example.com\t.evil.com",
        " https://evil.com",
        "https://shop.example.com%2e.evil.com/",
        "https://shop.example.com./back",
        "http://shop.example.com/back",  # the shop's host, but not over https
        "https://shop.example.com:8443/back",
        "https://m.shop.example.com/back",
        "https://[::1/back",
        "https://shop.example.com:99999/back",
        "ftp://shop.example.com/back",
        "javascript:alert(document.domain)//https://shop.example.com",
        "data:text/html,<script>alert(1)</script>",
        "otherapp://checkout/paid",
        "myapp2://checkout/paid",
        "http://testserver.evil.com/back",
        "",
        "https://shop.example.com/" + "a" * 500,
    ],
)
def test_other_sites_and_lookalikes_are_refused_on_the_return_url_field(url):
    with pytest.raises(ValidationFailed) as refused:
        payment_return_url_check(url=url, shop_origin="http://testserver/")
    assert refused.value.code == "return_url_not_allowed"
    assert set(refused.value.fields) == {"return_url"}


def test_a_scheme_is_an_app_link_only_once_configured(settings):
    settings.PAYMENT_RETURN_SCHEMES = []
    with pytest.raises(ValidationFailed):
        payment_return_url_check(url="myapp://checkout/paid", shop_origin=SHOP)


def test_web_schemes_listed_as_app_schemes_do_not_open_every_origin(settings):
    settings.PAYMENT_RETURN_SCHEMES = ["https", "HTTP"]
    for url in ("https://evil.com/back", "http://evil.com/back"):
        with pytest.raises(ValidationFailed):
            payment_return_url_check(url=url, shop_origin=SHOP)
