import pytest

from shopstack.testing.factories import make_category, make_product


@pytest.fixture
def shop(db):
    """A two-level tree: products sit in the leaf, in the top category and elsewhere."""
    top = make_category(name="Home and decor")
    leaf = make_category(name="Candles", parent=top)
    other = make_category(name="Garden")
    products = {
        "white": make_product(
            name="White candle", price="2.95", category=leaf, units_sold=500, attributes={"Colour": "White"}
        ),
        "red": make_product(
            name="Red candle", price="1.25", category=leaf, units_sold=50, attributes={"Colour": "Red"}
        ),
        "bird": make_product(name="Bird ornament", price="4.50", category=top, units_sold=300, stock=0),
        "spade": make_product(name="Spade", price="12.00", category=other, units_sold=10),
    }
    return {"top": top, "leaf": leaf, "other": other, **products}
