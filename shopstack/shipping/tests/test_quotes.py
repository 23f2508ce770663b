from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from shopstack.core.errors import ValidationFailed
from shopstack.shipping.models import ShippingMethod, ShippingZone
from shopstack.shipping.selectors import shipping_quote, shipping_quotes
from shopstack.testing.shipping import install_default_zones, make_method, make_zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def defaults():
    install_default_zones()


def codes(quotes):
    return [(quote.code, quote.price, quote.free) for quote in quotes]


def test_the_data_migration_gave_a_new_shop_its_zones():
    # Present unless an earlier transactional test flushed the tables.
    if ShippingZone.objects.exists():
        assert set(ShippingZone.objects.values_list("name", flat=True)) == {
            "United Kingdom",
            "Europe",
            "Rest of world",
        }


def test_uk_parcel_gets_standard_then_express(defaults):
    quotes = shipping_quotes(country="GB", weight_grams=500, subtotal=Decimal("20.00"))
    assert codes(quotes) == [
        ("uk-standard", Decimal("3.95"), False),
        ("uk-express", Decimal("9.95"), False),
    ]
    assert quotes[0].currency == "GBP"
    assert (quotes[0].min_days, quotes[0].max_days) == (2, 4)


@pytest.mark.parametrize(
    ("grams", "price"),
    [(0, "3.95"), (1000, "3.95"), (1001, "6.95"), (5000, "6.95"), (5001, "12.95"), (30000, "12.95")],
)
def test_uk_standard_weight_bands_include_their_upper_bound(defaults, grams, price):
    quote = shipping_quotes(country="GB", weight_grams=grams, subtotal=Decimal("10"))[0]
    assert (quote.code, quote.price) == ("uk-standard", Decimal(price))


def test_uk_standard_is_free_from_fifty_pounds(defaults):
    below = shipping_quotes(country="GB", weight_grams=500, subtotal=Decimal("49.99"))
    at = shipping_quotes(country="GB", weight_grams=500, subtotal=Decimal("50.00"))
    assert codes(below)[0] == ("uk-standard", Decimal("3.95"), False)
    assert codes(at)[0] == ("uk-standard", Decimal("0.00"), True)


def test_a_parcel_heavier_than_every_rate_gets_no_quote(defaults):
    assert shipping_quotes(country="GB", weight_grams=30001, subtotal=Decimal("10")) == []


@pytest.mark.parametrize(
    ("country", "code"), [("FR", "europe-standard"), ("NO", "europe-standard"), ("US", "world-standard")]
)
def test_a_named_zone_beats_rest_of_world(defaults, country, code):
    quotes = shipping_quotes(country=country, weight_grams=2000, subtotal=Decimal("10"))
    assert [quote.code for quote in quotes] == [code]


def test_country_codes_are_read_in_any_case(defaults):
    quotes = shipping_quotes(country=" gb ", weight_grams=1, subtotal=Decimal("1"))
    assert quotes[0].code == "uk-standard"


def test_methods_priced_by_order_value_and_inactive_methods():
    # Japan and Korea are in the defaults' rest of world: a zone naming them replaces it.
    zone = make_zone(countries=["JP"])
    by_value = make_method(
        zone=zone, kind=ShippingMethod.Kind.BY_ORDER_VALUE, rates=[("0", "30", "4.50"), ("30", None, "2.00")]
    )
    make_method(zone=zone, rates=[("0", None, "1.00")], is_active=False)
    assert codes(shipping_quotes(country="JP", weight_grams=100, subtotal=Decimal("29.99"))) == [
        (by_value.code, Decimal("4.50"), False)
    ]
    assert codes(shipping_quotes(country="JP", weight_grams=100, subtotal=Decimal("45"))) == [
        (by_value.code, Decimal("2.00"), False)
    ]


def test_cheapest_first_then_fastest():
    zone = make_zone(countries=["KR"])
    slow = make_method(zone=zone, rates=[("0", None, "5.00")], min_days=5, max_days=9, position=0)
    fast = make_method(zone=zone, rates=[("0", None, "5.00")], min_days=1, max_days=2, position=1)
    cheap = make_method(zone=zone, rates=[("0", None, "2.00")], position=2)
    quotes = shipping_quotes(country="KR", weight_grams=10, subtotal=Decimal("1"))
    assert [q.method_id for q in quotes] == [cheap.pk, fast.pk, slow.pk]


def test_one_method_quoted_or_refused_on_shipping_method(defaults):
    standard = ShippingMethod.objects.get(code="uk-standard")
    quote = shipping_quote(method_id=standard.pk, country="GB", weight_grams=700, subtotal=Decimal("12"))
    assert (quote.code, quote.price) == ("uk-standard", Decimal("3.95"))
    for method_id, country in ((standard.pk, "FR"), (987_654, "GB")):
        with pytest.raises(ValidationFailed) as refused:
            shipping_quote(method_id=method_id, country=country, weight_grams=700, subtotal=Decimal("12"))
        assert list(refused.value.fields) == ["shipping_method"]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": ""}, "country"),
        ({"country": None}, "country"),
        ({"weight_grams": -1}, "weight_grams"),
        ({"weight_grams": 1.5}, "weight_grams"),
        ({"weight_grams": 10**9}, "weight_grams"),
        ({"subtotal": 10.5}, "subtotal"),
        ({"subtotal": Decimal("-1")}, "subtotal"),
        ({"subtotal": Decimal("NaN")}, "subtotal"),
    ],
)
def test_bad_input_is_refused_with_field_messages(defaults, arguments, field):
    with pytest.raises(ValidationFailed) as refused:
        shipping_quotes(**{"country": "GB", "weight_grams": 100, "subtotal": Decimal("10"), **arguments})
    assert list(refused.value.fields) == [field]


def test_zone_countries_are_checked_when_edited():
    zone = ShippingZone(name="Odd", countries=["gb", "ZZ"])
    with pytest.raises(ValidationError) as refused:
        zone.full_clean()
    assert "ZZ" in str(refused.value)
    zone.countries = ["ie", "GB"]
    zone.full_clean()
    assert zone.countries == ["GB", "IE"]
