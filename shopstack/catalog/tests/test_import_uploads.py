"""Uploaded catalog files: kept in the private `catalog_imports` storage (never the public
media), read only by staff who may import, deleted when their import ends, swept after
the retention; and the deploy checks that keep the storage private."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.test import override_settings
from django.utils import timezone

from shopstack.catalog.importing import HeaderError, uploads
from shopstack.catalog.importing.storage import PrivateFileSystemStorage, imports_storage
from shopstack.catalog.models import Product
from shopstack.catalog.tests.test_import_admin import CSV, MAPPING, map_url, staff_client, upload

pytestmark = pytest.mark.django_db


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_an_upload_is_kept_in_the_private_storage_not_in_the_public_media(client):
    client = staff_client(client)
    token = token_of(map_url(upload(client)))
    name = f"catalog-imports/{token}/upload.csv"
    assert imports_storage().exists(name)
    assert not default_storage.exists(name)
    with imports_storage().open(name, "rb") as stored:
        assert stored.read() == CSV.encode()


def test_staff_who_may_import_can_download_the_upload(client):
    client = staff_client(client)
    url = map_url(upload(client))
    page = client.get(url)
    assert f'href="{url}file/"'.encode() in page.content
    response = client.get(f"{url}file/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CSV.encode()
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_nobody_else_can_read_the_upload(client, django_user_model):
    url = map_url(upload(staff_client(client)))
    client.logout()
    anonymous = client.get(f"{url}file/")
    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous["Location"]
    viewer = staff_client(client, superuser=False, permissions=("view_product", "change_product"))
    assert viewer.get(f"{url}file/").status_code == 403


def test_an_unknown_token_is_not_found(client):
    client = staff_client(client)
    assert client.get(f"/admin/catalog/product/import/{'0' * 32}/file/").status_code == 404
    assert client.get("/admin/catalog/product/import/..secret/file/").status_code == 404


def test_the_file_is_deleted_when_an_inline_import_ends(client):
    client = staff_client(client)
    url = map_url(upload(client))
    token = token_of(url)
    assert client.post(url, {**MAPPING, "action": "preview"}).status_code == 200
    assert imports_storage().exists(f"catalog-imports/{token}/upload.csv")  # a dry run keeps it
    done = client.post(url, {**MAPPING, "action": "import"})
    assert done.context["report"]["created"] == 2
    assert not imports_storage().exists(f"catalog-imports/{token}/upload.csv")
    assert client.get(f"{url}file/").status_code == 404
    assert client.get(url).status_code == 404
    assert client.get(f"{url}status/").context["state"] == "done"  # the result stays readable


def test_a_mapping_refused_before_the_import_starts_keeps_the_file_for_another_try():
    token, _ = uploads.upload_store(file=ContentFile(CSV.encode(), name="c.csv"))
    with pytest.raises(HeaderError):
        uploads.upload_import(token=token, mapping={"sku": "No such column"}, actor=None)
    assert imports_storage().exists(f"catalog-imports/{token}/upload.csv")
    assert uploads.upload_import(token=token, mapping=MAPPING, actor=None).created == 2
    assert not imports_storage().exists(f"catalog-imports/{token}/upload.csv")


def test_the_file_is_deleted_when_a_queued_import_fails(client, django_user_model):
    # Asked for by staff who may set stock, refused when it runs: the permission was withdrawn.
    token, _ = uploads.upload_store(file=ContentFile(b"sku,title,price,stock\nA,Lamp,1.00,5\n", name="c.csv"))
    uploads._status_write(token, {"state": "queued"})
    staff = django_user_model.objects.create_user("former-keeper@example.com", "pw", is_staff=True)
    status = uploads.upload_import_queued(token=token, mapping={}, actor_id=staff.pk)
    assert status["state"] == "failed"
    assert "You may not change stock" in status["error"]
    assert uploads.upload_status(token=token)["state"] == "failed"
    assert not imports_storage().exists(f"catalog-imports/{token}/upload.csv")
    assert not Product.objects.exists()


@override_settings(CATALOG_IMPORT_INLINE_MAX_BYTES=10)
def test_the_file_is_deleted_when_the_task_has_imported_it(client, django_capture_on_commit_callbacks):
    client = staff_client(client)
    url = map_url(upload(client))
    token = token_of(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**MAPPING, "action": "import"})
    assert response.status_code == 302
    assert client.get(f"{url}status/").context["state"] == "done"
    assert not imports_storage().exists(f"catalog-imports/{token}/upload.csv")


def age(path: Path, seconds: int) -> None:
    then = time.time() - seconds
    for file in [path, *path.iterdir()]:
        os.utime(file, (then, then))


def test_the_sweep_deletes_uploads_untouched_for_the_retention_only(tmp_path, settings):
    settings.CATALOG_IMPORT_RETENTION_SECONDS = 3600
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = storages_with(
        {
            "BACKEND": "shopstack.catalog.importing.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
        {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    )
    old, _ = uploads.upload_store(file=ContentFile(CSV.encode(), name="old.csv"))
    fresh, _ = uploads.upload_store(file=ContentFile(CSV.encode(), name="new.csv"))
    running, _ = uploads.upload_store(file=ContentFile(CSV.encode(), name="running.csv"))
    # An upload left in the public media before uploads moved to the private storage.
    legacy = f"catalog-imports/{'a' * 32}/upload.csv"
    default_storage.save(legacy, ContentFile(CSV.encode()))
    default_storage.save("catalog-imports/not-an-upload/keep.txt", ContentFile(b"x"))
    private = tmp_path / "private" / "catalog-imports"
    age(private / old, 3601)
    age(private / running, 3601)
    age(tmp_path / "media" / "catalog-imports" / ("a" * 32), 3601)
    age(tmp_path / "media" / "catalog-imports" / "not-an-upload", 3601)
    # A running import rewrites its status after each batch, so it is never untouched that long.
    uploads._status_write(running, {"state": "running"})

    assert uploads.uploads_sweep() == 2
    assert sorted(path.name for path in private.iterdir()) == sorted([fresh, running])
    assert not default_storage.exists(legacy)
    assert default_storage.exists("catalog-imports/not-an-upload/keep.txt")
    # A clock passed in: an hour on, the rest is swept too.
    assert uploads.uploads_sweep(now=timezone.now() + timedelta(seconds=3601)) == 2
    assert list(private.iterdir()) == []


def test_the_sweep_runs_periodically():
    from shopstack.catalog.tasks import catalog_uploads_sweep
    from shopstack.core.periodic import periodic_all

    assert any(p.task is catalog_uploads_sweep for p in periodic_all())


def test_the_private_disk_storage_gives_no_url(tmp_path):
    storage = PrivateFileSystemStorage(location=tmp_path)
    storage.save("catalog-imports/x/upload.csv", ContentFile(b"sku\n"))
    with pytest.raises(ValueError, match="no URL"):
        storage.url("catalog-imports/x/upload.csv")


class RemoteStorage(Storage):
    """Stands for object storage in the deploy checks: not the local disk."""


def deploy_problems() -> list[str]:
    return [
        message.id
        for message in run_checks(include_deployment_checks=True)
        if "E04" in message.id or "W04" in message.id
    ]


def storages_with(imports: dict, default: dict | None = None) -> dict:
    return {
        "default": default or {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "catalog_imports": imports,
    }


def test_the_shipped_settings_pass_the_deploy_checks(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = storages_with(
        {
            "BACKEND": "shopstack.catalog.importing.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
        {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    )
    assert deploy_problems() == []


def test_a_missing_storage_is_an_error(settings):
    settings.STORAGES = {k: v for k, v in settings.STORAGES.items() if k != "catalog_imports"}
    assert deploy_problems() == ["shopstack.E040"]


def test_a_storage_inside_media_root_is_an_error(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = storages_with(
        {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media" / "imports")},
        }
    )
    assert deploy_problems() == ["shopstack.E041"]


def test_a_local_disk_storage_beside_remote_media_is_warned_of(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = storages_with(
        {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
        {"BACKEND": f"{__name__}.RemoteStorage"},
    )
    assert deploy_problems() == ["shopstack.W040"]


def test_caps_raised_far_past_a_real_catalog_are_warned_of(settings):
    settings.CATALOG_IMPORT_MAX_COLUMNS = 20_000
    settings.CATALOG_IMPORT_MAX_ROW_CHARS = 100 * 1024 * 1024
    assert deploy_problems() == ["shopstack.W041", "shopstack.W042"]
