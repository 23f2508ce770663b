"""The back office's CSV import: upload, map, dry run, import (inline or as a task), refusals."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from shopstack.accounts.tests.conftest import add_totp, make_user
from shopstack.catalog.models import Category, Product, ProductVariant
from shopstack.core.models import OutboxEvent

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/catalog/product/import/"
CSV = (
    "Item No,Name,Cost,Colour,Department\n"
    "LAMP-1,Desk lamp,12.50,Black,Home > Lighting\n"
    "LAMP-2,Floor lamp,abc,White,Home > Lighting\n"
    "LAMP-3,Wall lamp,8.00,White,Home > Lighting\n"
)
MAPPING = {"sku": "Item No", "title": "Name", "price": "Cost", "color": "Colour", "category": "Department"}


def staff_client(client: Client, *, superuser: bool = True, permissions: tuple[str, ...] = ()) -> Client:
    staff = make_user(
        f"staff{len(permissions)}{superuser}@example.com", is_staff=True, is_superuser=superuser
    )
    for codename in permissions:
        staff.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label="catalog")
        )
    add_totp(staff)  # staff without a second factor are sent to set one up
    client.force_login(staff)
    return client


def upload(client: Client, content: str | bytes = CSV, name: str = "catalog.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def map_url(response) -> str:
    assert response.status_code == 302, response.content[:500]
    assert re.fullmatch(r"/admin/catalog/product/import/[0-9a-f]{32}/", response["Location"])
    return response["Location"]


def test_upload_map_dry_run_then_import_inline(client):
    client = staff_client(client)
    listing = client.get("/admin/catalog/product/")
    assert IMPORT_URL.encode() in listing.content

    url = map_url(upload(client))
    page = client.get(url)
    assert page.status_code == 200
    assert b"<code>Item No</code>" in page.content
    # Same-named columns are chosen already; the others wait for the mapping.
    assert page.context["form"]["sku"].initial == ""

    preview = client.post(url, {**MAPPING, "action": "preview"})
    assert preview.status_code == 200
    report = preview.context["preview"]
    assert (report["rows"], report["created"], report["invalid"]) == (3, 2, 1)
    assert report["errors"][0] == {
        "row": 3,
        "column": "price (Cost)",
        "message": "'abc' is not a price; write it like 4.95.",
    }
    assert b"Dry run" in preview.content
    assert not Product.objects.exists()
    assert not Category.objects.exists()

    done = client.post(url, {**MAPPING, "action": "import"})
    assert done.status_code == 200
    assert done.context["report"]["created"] == 2
    assert b"The import is finished." in done.content
    assert ProductVariant.objects.get(sku="LAMP-1").price_amount == Decimal("12.50")
    assert {v.name for v in Product.objects.get(code="LAMP-3").attribute_values.all()} == {"White"}
    assert Product.objects.get(code="LAMP-3").category.parent.name == "Home"


def test_a_mapping_without_a_required_column_is_refused_and_writes_nothing(client):
    client = staff_client(client)
    url = map_url(upload(client))
    response = client.post(url, {**MAPPING, "price": "", "action": "import"})
    assert response.status_code == 400
    assert "Required column(s) missing: price" in str(response.context["form"].non_field_errors())
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "The submitted file is empty."),
        ("sku,title,price\nA,Caf\xe9,1\n".encode("latin-1"), "It is not UTF-8 text"),
        (b"\n\n", "The file is empty."),
    ],
)
def test_a_bad_file_is_refused_with_a_message(client, content, expected):
    client = staff_client(client)
    response = upload(client, content)
    assert response.status_code == 400
    assert expected in str(response.context["form"].errors)
    assert not Product.objects.exists()


@override_settings(CATALOG_IMPORT_MAX_BYTES=100)
def test_a_file_over_the_size_limit_is_refused(client):
    client = staff_client(client)
    response = upload(client, CSV * 3)
    assert response.status_code == 400
    assert "The file is too large." in str(response.context["form"].errors)


@override_settings(CATALOG_IMPORT_INLINE_MAX_BYTES=10)
def test_a_large_file_is_imported_by_the_task_and_its_status_shown(
    client, django_capture_on_commit_callbacks
):
    client = staff_client(client)
    url = map_url(upload(client))
    preview = client.post(url, {**MAPPING, "action": "preview"})
    assert preview.context["whole"] is False  # a large file's preview reads its first rows only
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url, {**MAPPING, "action": "import"})
    assert response.status_code == 302
    assert response["Location"] == f"{url}status/"
    assert OutboxEvent.objects.filter(name="CatalogImportRequested").count() == 1
    queued = client.get(response["Location"])
    assert queued.context["state"] == "queued"
    assert b'http-equiv="refresh"' in queued.content
    assert not Product.objects.exists()

    # After the commit: the outbox hands the event to the handler, which enqueues the task
    # (tests run tasks immediately, so the worker's part is done by the next look).
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    status = client.get(response["Location"])
    assert status.status_code == 200
    assert status.context["state"] == "done"
    assert status.context["report"]["created"] == 2
    assert status.context["report"]["invalid"] == 1
    assert b"&#x27;abc&#x27; is not a price" in status.content
    assert Product.objects.filter(code__in=["LAMP-1", "LAMP-3"]).count() == 2


def test_staff_without_catalog_permissions_are_refused(client):
    client = staff_client(client, superuser=False, permissions=("view_product",))
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client).status_code == 403
    assert not Product.objects.exists()


def test_staff_with_add_and_change_permissions_may_import(client):
    # New variants get the file's prices: that needs the price permission too (test_permissions).
    client = staff_client(
        client, superuser=False, permissions=("add_product", "change_product", "view_product", "change_price")
    )
    assert client.get(IMPORT_URL).status_code == 200
    url = map_url(upload(client))
    assert client.post(url, {**MAPPING, "action": "import"}).status_code == 200
    assert Product.objects.count() == 2


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_posts_without_the_csrf_token_are_refused(client):
    csrf_client = staff_client(Client(enforce_csrf_checks=True))
    response = upload(csrf_client)
    assert response.status_code == 403
    assert not Product.objects.exists()


def test_an_unknown_upload_is_not_found(client):
    client = staff_client(client)
    assert client.get(f"{IMPORT_URL}{'0' * 32}/").status_code == 404
    assert client.get(f"{IMPORT_URL}not-a-token/status/").status_code == 404
