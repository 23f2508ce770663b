from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from shopstack.testing.factories import make_category, make_product

PASSWORD = "a long pass phrase 42"


def error_of(response) -> dict:
    """The `error` object of a 4xx answer, after checking the shape every 4xx shares."""
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return body["error"]


@pytest.fixture
def catalog(db):
    """Home > Kitchen > Mugs, and Garden; products with ties on price and name."""
    home = make_category(name="Home")
    kitchen = make_category(name="Kitchen", parent=home)
    mugs = make_category(name="Mugs", parent=kitchen)
    garden = make_category(name="Garden")
    products = {
        "red_mug": make_product(
            name="Mug", price="2.95", category=mugs, attributes={"Colour": "Red"}, units_sold=5
        ),
        "blue_mug": make_product(
            name="Mug", price="2.95", category=mugs, attributes={"Colour": "Blue"}, units_sold=5
        ),
        "teapot": make_product(
            name="Teapot", price="12.50", category=kitchen, attributes={"Colour": "Red"}, units_sold=9
        ),
        "trowel": make_product(name="Trowel", price="7.00", category=garden, stock=0, units_sold=1),
        "hidden": make_product(name="Secret", price="1.00", category=garden, published=False),
    }
    return {"home": home, "kitchen": kitchen, "mugs": mugs, "garden": garden, **products}


@pytest.fixture
def user(db):
    user = get_user_model().objects.create_user(email="ann@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def many_products(count: int, *, price: str | None = None, name: str | None = None) -> list:
    category = make_category()
    return [
        make_product(
            name=name or f"Item {i:03d}",
            price=price or str(Decimal(1 + i % 4)),
            category=category,
            units_sold=i % 3,
        )
        for i in range(count)
    ]
