"""Prices and stock have their own permissions (catalog.change_price, inventory.change_stock),
checked by the services, so every entry point obeys them: the bulk price action, the
variant inline, the CSV import (inline and queued), the stock admin; and the staff roles."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client, override_settings

from shopstack.accounts.models import User
from shopstack.accounts.tests.conftest import add_totp, make_user
from shopstack.catalog.models import Product, ProductVariant
from shopstack.catalog.services import products_change_price, variant_set_price
from shopstack.catalog.tests.test_import_admin import map_url, upload
from shopstack.core.errors import PermissionDenied
from shopstack.inventory.services import stock_set_quantity
from shopstack.testing.factories import make_product
from shopstack.testing.inventory import stock_of

pytestmark = pytest.mark.django_db

PRODUCTS = "/admin/catalog/product/"
EDITOR = ("catalog.view_product", "catalog.add_product", "catalog.change_product")


def staff(*permissions: str, email: str = "staff@example.com", groups: tuple[str, ...] = ()) -> User:
    user = make_user(email, is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    add_totp(user)  # staff without a second factor are sent to set one up
    return User.objects.get(pk=user.pk)  # a fresh instance: permissions are cached per instance


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


# --- services --------------------------------------------------------------------------


def test_the_price_services_refuse_an_actor_without_the_price_permission():
    product = make_product(price="10.00")
    variant = product.variants.get()
    editor = staff(*EDITOR, "catalog.change_productvariant")
    with pytest.raises(PermissionDenied) as refused:
        products_change_price(product_ids=[product.pk], percent=Decimal("-50"), actor=editor)
    assert refused.value.code == "price_permission"
    assert refused.value.fields == {
        "price": ["Changing prices needs the permission 'Can change variant prices'."]
    }
    with pytest.raises(PermissionDenied):
        variant_set_price(variant=variant, price=Decimal("1.00"), actor=editor)
    variant.refresh_from_db()
    assert variant.price_amount == Decimal("10.00")

    pricer = staff("catalog.change_price", email="pricer@example.com")
    assert products_change_price(product_ids=[product.pk], percent=Decimal("-50"), actor=pricer) == 1
    variant_set_price(variant=variant, price=Decimal("4.00"), actor=pricer)
    variant.refresh_from_db()
    assert variant.price_amount == Decimal("4.00")


def test_the_stock_service_refuses_an_actor_without_the_stock_permission():
    variant = make_product(stock=5).variants.get()
    warehouse = stock_of(variant).warehouse
    with pytest.raises(PermissionDenied) as refused:
        stock_set_quantity(variant=variant, warehouse=warehouse, quantity=500, actor=staff(*EDITOR))
    assert refused.value.code == "stock_permission"
    assert stock_of(variant).quantity == 5
    keeper = staff("inventory.change_stock", email="keeper@example.com")
    stock_set_quantity(variant=variant, warehouse=warehouse, quantity=7, actor=keeper)
    assert stock_of(variant).quantity == 7


def test_an_inactive_superuser_has_no_price_permission():
    product = make_product(price="10.00")
    former = make_user("former@example.com", is_staff=True, is_superuser=True, is_active=False)
    with pytest.raises(PermissionDenied):
        products_change_price(product_ids=[product.pk], amount=Decimal("1"), actor=former)


# --- the bulk price action ----------------------------------------------------------------


def bulk_price(client: Client, product: Product, percent: str = "100"):
    return client.post(
        PRODUCTS,
        {
            "action": "change_price",
            "_selected_action": [product.pk],
            "apply": "1",
            "mode": "percent",
            "value": percent,
        },
    )


def test_the_bulk_price_action_is_not_offered_to_staff_without_the_price_permission(client):
    product = make_product(price="10.00")
    client = signed_in(client, staff(*EDITOR))
    listing = client.get(PRODUCTS)
    assert listing.status_code == 200
    assert b'value="change_price"' not in listing.content
    assert b'value="publish"' in listing.content
    bulk_price(client, product)
    assert product.variants.get().price_amount == Decimal("10.00")


def test_the_bulk_price_action_works_for_staff_with_the_price_permission(client):
    product = make_product(price="10.00")
    client = signed_in(client, staff("catalog.view_product", "catalog.change_price"))
    assert b'value="change_price"' in client.get(PRODUCTS).content
    assert bulk_price(client, product).status_code == 302
    assert product.variants.get().price_amount == Decimal("20.00")


# --- the variant inline --------------------------------------------------------------------


def variant_form_fields(client: Client, product: Product) -> set[str]:
    page = client.get(f"{PRODUCTS}{product.pk}/change/")
    assert page.status_code == 200
    variants = next(f for f in page.context["inline_admin_formsets"] if f.formset.model is ProductVariant)
    return set(variants.formset.forms[0].fields)


def test_the_variant_inline_shows_prices_read_only_without_the_price_permission(client):
    product = make_product(price="10.00")
    client = signed_in(client, staff(*EDITOR, "catalog.view_productvariant", "catalog.change_productvariant"))
    fields = variant_form_fields(client, product)
    assert "name" in fields
    assert "price_amount" not in fields
    page = client.get(f"{PRODUCTS}{product.pk}/change/")
    variants = next(f for f in page.context["inline_admin_formsets"] if f.formset.model is ProductVariant)
    assert variants.has_add_permission is False  # a new variant needs a price


def test_the_variant_inline_lets_staff_with_the_price_permission_edit_prices(client):
    product = make_product(price="10.00")
    client = signed_in(
        client,
        staff(
            *EDITOR, "catalog.view_productvariant", "catalog.change_productvariant", "catalog.change_price"
        ),
    )
    assert {"name", "price_amount"} <= variant_form_fields(client, product)


# --- the CSV import -------------------------------------------------------------------------


def test_an_import_with_a_stock_column_is_refused_upfront_without_the_stock_permission(client):
    product = make_product(price="10.00", stock=5, code="LAMP-1")
    client = signed_in(client, staff(*EDITOR, "catalog.change_price"))
    url = map_url(upload(client, "sku,title,price,stock\nLAMP-1,Desk lamp,10.00,999\n"))
    mapping = {"sku": "sku", "title": "title", "price": "price", "stock": "stock"}
    for action in ("preview", "import"):
        response = client.post(url, {**mapping, "action": action})
        assert response.status_code == 400
        errors = str(response.context["form"].non_field_errors())
        assert "You may not change stock, and the file has a stock column" in errors
        assert "needs the permission &#x27;Can change stock&#x27;" in errors
    assert stock_of(product.variants.get()).quantity == 5
    # Without the column the same staff import the rest.
    done = client.post(url, {**mapping, "stock": "", "action": "import"})
    assert done.status_code == 200
    assert done.context["report"]["updated"] == 1
    assert Product.objects.get(code="LAMP-1").name == "Desk lamp"


def test_an_import_refuses_rows_that_set_a_price_without_the_price_permission(client):
    make_product(name="Desk lamp", price="10.00", code="LAMP-1")
    make_product(name="Floor lamp", price="20.00", code="LAMP-2")
    client = signed_in(client, staff(*EDITOR))
    csv = (
        "sku,title,price\n"
        "LAMP-1,Desk lamp (brass),10.00\n"  # the price as it is: the title changes
        "LAMP-2,Floor lamp,1.00\n"  # a new price: refused
        "LAMP-3,Wall lamp,5.00\n"  # a new variant gets a price: refused
    )
    url = map_url(upload(client, csv))
    done = client.post(url, {"sku": "sku", "title": "title", "price": "price", "action": "import"})
    assert done.status_code == 200
    report = done.context["report"]
    assert (report["updated"], report["created"], report["invalid"]) == (1, 0, 2)
    assert report["errors"] == [
        {
            "row": 3,
            "column": "price",
            "message": "the price is 20.00 GBP in the shop and you may not change prices (the permission "
            "'Can change variant prices'); the row was not imported.",
        },
        {
            "row": 4,
            "column": "price",
            "message": "a new variant gets this price, and you may not set prices (the permission "
            "'Can change variant prices'); the row was not imported.",
        },
    ]
    assert Product.objects.get(code="LAMP-1").name == "Desk lamp (brass)"
    assert ProductVariant.objects.get(sku="LAMP-2").price_amount == Decimal("20.00")
    assert not Product.objects.filter(code="LAMP-3").exists()


def test_an_import_with_both_permissions_sets_prices_and_stock(client):
    product = make_product(price="10.00", stock=5, code="LAMP-1")
    client = signed_in(client, staff(*EDITOR, "catalog.change_price", "inventory.change_stock"))
    url = map_url(
        upload(client, "sku,title,price,stock\nLAMP-1,Desk lamp,12.00,8\nLAMP-2,Wall lamp,5.00,3\n")
    )
    done = client.post(
        url, {"sku": "sku", "title": "title", "price": "price", "stock": "stock", "action": "import"}
    )
    assert (done.context["report"]["updated"], done.context["report"]["created"]) == (1, 1)
    assert product.variants.get().price_amount == Decimal("12.00")
    assert stock_of(product.variants.get()).quantity == 8


@override_settings(CATALOG_IMPORT_INLINE_MAX_BYTES=10)
def test_a_queued_import_runs_with_the_permissions_of_who_asked(client, django_capture_on_commit_callbacks):
    make_product(price="10.00", code="LAMP-1")
    client = signed_in(client, staff(*EDITOR))
    url = map_url(upload(client, "sku,title,price\nLAMP-1,Desk lamp,99.00\n"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"sku": "sku", "title": "title", "price": "price", "action": "import"})
    assert response.status_code == 302
    status = client.get(f"{url}status/").context
    assert status["state"] == "done"
    assert status["report"]["invalid"] == 1
    assert "you may not change prices" in status["report"]["errors"][0]["message"]
    assert ProductVariant.objects.get(sku="LAMP-1").price_amount == Decimal("10.00")


def test_a_queued_import_without_a_known_user_writes_nothing():
    from django.core.files.base import ContentFile

    from shopstack.catalog.importing import uploads

    token, _ = uploads.upload_store(file=ContentFile(b"sku,title,price\nA,Lamp,1.00\n", name="c.csv"))
    uploads._status_write(token, {"state": "queued"})
    status = uploads.upload_import_queued(token=token, mapping={}, actor_id=None)
    assert status["state"] == "failed"
    assert "unknown or inactive" in status["error"]
    assert not Product.objects.exists()


# --- the stock admin ------------------------------------------------------------------------


def test_the_stock_admin_needs_the_stock_permission_to_count_or_add(client):
    variant = make_product(stock=5).variants.get()
    stock = stock_of(variant)
    viewer = signed_in(client, staff("inventory.view_stock"))
    assert viewer.post(f"/admin/inventory/stock/{stock.pk}/change/", {"quantity": "50"}).status_code == 403
    assert viewer.get("/admin/inventory/stock/add/").status_code == 403
    assert stock_of(variant).quantity == 5
    keeper = signed_in(
        Client(), staff("inventory.view_stock", "inventory.change_stock", email="k@example.com")
    )
    assert keeper.post(f"/admin/inventory/stock/{stock.pk}/change/", {"quantity": "6"}).status_code == 302
    assert stock_of(variant).quantity == 6
    adder = signed_in(Client(), staff("inventory.view_stock", "inventory.add_stock", email="a@example.com"))
    assert adder.get("/admin/inventory/stock/add/").status_code == 403


# --- roles ------------------------------------------------------------------------------------


def test_the_roles_split_prices_and_stock_from_editing_the_catalog():
    editor = staff(groups=("Catalog editor",), email="editor@example.com")
    merchandiser = staff(groups=("Merchandiser",), email="merch@example.com")
    manager = staff(groups=("Catalog manager",), email="manager@example.com")
    assert editor.has_perms(
        ["catalog.add_product", "catalog.change_product", "catalog.change_productvariant"]
    )
    assert not editor.has_perm("catalog.change_price")
    assert not editor.has_perm("inventory.change_stock")
    assert merchandiser.has_perms(["catalog.change_price", "inventory.change_stock", "catalog.view_product"])
    assert not merchandiser.has_perm("catalog.change_product")
    assert manager.has_perms(["catalog.change_price", "inventory.change_stock", "catalog.add_product"])


def test_a_merchandiser_runs_the_bulk_price_action_and_an_editor_cannot(client):
    product = make_product(price="10.00")
    editor = signed_in(Client(), staff(groups=("Catalog editor",), email="editor@example.com"))
    bulk_price(editor, product)
    assert product.variants.get().price_amount == Decimal("10.00")
    merchandiser = signed_in(client, staff(groups=("Merchandiser",), email="merch@example.com"))
    assert bulk_price(merchandiser, product, percent="-10").status_code == 302
    assert product.variants.get().price_amount == Decimal("9.00")
