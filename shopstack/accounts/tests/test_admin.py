"""Back office: bulk catalog actions through the services, CSV export, stock counts, roles."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.utils import timezone

from shopstack.accounts.tests.conftest import add_totp, make_user
from shopstack.catalog.models import Product, ProductVariant
from shopstack.core.admin_utils import csv_safe
from shopstack.inventory.models import Stock
from shopstack.orders.models import Order
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def action(client, name: str, products: list[Product], **extra):
    data = {"action": name, "index": "0", ACTION_CHECKBOX_NAME: [p.pk for p in products], **extra}
    return client.post(CHANGELIST, data)


def csv_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_product_changelist_search_and_filters(admin_client):
    make_product(name="Red candle", search_aliases=["tealight"])
    make_product(name="Blue mug")
    page = admin_client.get(CHANGELIST, {"q": "tealight"})
    assert page.status_code == 200
    assert "Red candle" in page.content.decode()
    assert "Blue mug" not in page.content.decode()
    assert (
        admin_client.get(CHANGELIST, {"is_published__exact": "1", "in_stock__exact": "1"}).status_code == 200
    )
    product = Product.objects.get(name="Blue mug")
    assert admin_client.get(f"{CHANGELIST}{product.pk}/change/").status_code == 200


def test_bulk_publish_and_unpublish(admin_client):
    shown, hidden = make_product(published=True), make_product(published=False)
    response = action(admin_client, "unpublish", [shown])
    assert response.status_code == 302
    response = action(admin_client, "publish", [hidden])
    assert response.status_code == 302
    shown.refresh_from_db()
    hidden.refresh_from_db()
    assert shown.is_published is False
    assert hidden.is_published is True
    assert hidden.published_at is not None


def test_change_price_asks_then_applies_through_the_service(admin_client):
    a, b = make_product(price="10.00"), make_product(price="4.00")
    form = action(admin_client, "change_price", [a, b])
    assert form.status_code == 200
    assert "Change prices" in form.content.decode()
    response = action(admin_client, "change_price", [a, b], apply="1", mode="percent", value="-10")
    assert response.status_code == 302
    assert ProductVariant.objects.get(product=a).price_amount == Decimal("9.00")
    a.refresh_from_db()
    assert a.price_amount == Decimal("9.00")
    response = action(admin_client, "change_price", [b], apply="1", mode="amount", value="1.25")
    assert response.status_code == 302
    assert ProductVariant.objects.get(product=b).price_amount == Decimal("4.85")  # 4.00 -10%, +1.25


@pytest.mark.parametrize(
    ("mode", "value"),
    [("percent", "-100"), ("percent", "abc"), ("amount", "-6"), ("amount", "0"), ("fixed", "1")],
)
def test_bad_price_changes_are_refused_and_change_nothing(admin_client, mode, value):
    a, b = make_product(price="10.00"), make_product(price="5.00")
    response = action(admin_client, "change_price", [a, b], apply="1", mode=mode, value=value)
    assert response.status_code == 400
    prices = sorted(ProductVariant.objects.values_list("price_amount", flat=True))
    assert prices == [Decimal("5.00"), Decimal("10.00")]


def test_csv_export_guards_against_formulas(admin_client):
    risky = make_product(name='=HYPERLINK("http://evil")', search_aliases=["+1 mug", "@home"])
    plain = make_product(name="Plain mug")
    response = action(admin_client, "export_csv", [risky, plain])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_of(response)
    assert rows[0][:2] == ["code", "name"]
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code[risky.code][1] == '\'=HYPERLINK("http://evil")'
    assert by_code[risky.code][-1] == "'+1 mug; @home"
    assert by_code[plain.code][1] == "Plain mug"
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe(text) == "'" + text
    assert csv_safe("a=b") == "a=b"
    assert csv_safe(None) == ""


def test_customer_csv_export(admin_client):
    user = make_user("=cmd@example.com", first_name="-2+3")
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "export_csv", "index": "0", ACTION_CHECKBOX_NAME: [user.pk]}
    )
    rows = csv_of(response)
    assert rows[1][:2] == ["'=cmd@example.com", "'-2+3"]


def test_stock_count_goes_through_the_inventory_service(admin_client):
    product = make_product(stock=5)
    stock = Stock.objects.get(variant__product=product)
    before = product.updated_at
    response = admin_client.post(f"/admin/inventory/stock/{stock.pk}/change/", {"quantity": "0"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.in_stock is False
    assert product.updated_at > before

    stock.allocated = 0
    Stock.objects.filter(pk=stock.pk).update(quantity=5, allocated=3)
    response = admin_client.post(f"/admin/inventory/stock/{stock.pk}/change/", {"quantity": "2"})
    assert response.status_code == 200
    assert Stock.objects.get(pk=stock.pk).quantity == 5


def test_stock_list_editable_quantity(admin_client):
    product = make_product(stock=0)
    stock = Stock.objects.get(variant__product=product)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(stock.pk),
        "form-0-quantity": "7",
        "_save": "Save",
    }
    response = admin_client.post("/admin/inventory/stock/", data)
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.in_stock is True
    assert Stock.objects.get(pk=stock.pk).quantity == 7


def test_order_admin_is_read_mostly(admin_client, django_assert_max_num_queries):
    order = Order.objects.create(number="536365", email="buyer@example.com", placed_at=timezone.now())
    with django_assert_max_num_queries(20):
        page = admin_client.get("/admin/orders/order/", {"q": "536365", "kind__exact": "order"})
    assert page.status_code == 200
    assert "536365" in page.content.decode()
    assert admin_client.get(f"/admin/orders/order/{order.pk}/change/").status_code == 200
    assert admin_client.get("/admin/orders/order/add/").status_code == 403
    assert admin_client.get(f"/admin/orders/order/{order.pk}/delete/").status_code == 403


def test_roles_exist_with_their_permissions():
    catalog = Group.objects.get(name="Catalog manager")
    codenames = set(catalog.permissions.values_list("codename", flat=True))
    assert {"change_product", "add_category", "change_stock", "view_warehouse"} <= codenames
    assert not any("order" in c for c in codenames)
    orders = set(Group.objects.get(name="Order manager").permissions.values_list("codename", flat=True))
    assert {"view_order", "change_order"} <= orders
    assert "delete_order" not in orders
    support = set(Group.objects.get(name="Support").permissions.values_list("codename", flat=True))
    assert support == {
        "view_user",
        "view_address",
        "view_order",
        "view_orderline",
        "view_ordercharge",
        "view_payment",
        "view_paymenttransaction",
        "view_paymentwebhookevent",
    }


def test_catalog_manager_opens_products_but_not_orders(client):
    user = make_user("catalog@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="Catalog manager"))
    add_totp(user)
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 200
    assert client.get("/admin/inventory/stock/").status_code == 200
    assert client.get("/admin/orders/order/").status_code == 403
    assert client.get("/admin/accounts/user/").status_code == 403


def test_support_can_view_customers_but_not_change_products(client):
    user = make_user("support@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    add_totp(user)
    client.force_login(user)
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/orders/order/").status_code == 200
    assert client.get(CHANGELIST).status_code == 403
