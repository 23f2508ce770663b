"""Caps on a catalog CSV's width and row length, checked before the expensive work, for
the `import_catalog` command and the admin upload alike."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from shopstack.catalog.importing import HeaderError, import_catalog
from shopstack.catalog.models import Product
from shopstack.catalog.tests.test_import_admin import staff_client, upload

pytestmark = pytest.mark.django_db

WIDE_HEADER = "sku,title,price," + ",".join(f"extra{n}" for n in range(20_000)) + "\n"


def run(path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_catalog", str(path), "-v0", stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_a_header_with_20000_columns_is_refused_by_the_command_naming_the_limit(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(WIDE_HEADER + "A,Lamp,1.00\n")
    status, message = run(path)
    assert status == 2
    assert "The header has 20,003 columns; at most 500 are allowed (CATALOG_IMPORT_MAX_COLUMNS)." in message
    assert not Product.objects.exists()


def test_a_header_with_20000_columns_is_refused_at_upload_quickly_and_not_kept(client):
    client = staff_client(client)
    started = time.monotonic()
    response = upload(client, WIDE_HEADER + "A,Lamp,1.00\n")
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert "The header has 20,003 columns; at most 500 are allowed" in str(response.context["form"].errors)
    # The page is the short upload form again, not a mapping form with 20,000 choices per field.
    assert len(response.content) < 50_000
    assert elapsed < 5, elapsed  # 13 s before the cap; generous for a busy machine


@override_settings(CATALOG_IMPORT_MAX_COLUMNS=4)
def test_the_column_cap_is_a_setting():
    with pytest.raises(HeaderError) as refused:
        import_catalog(actor=None, stream=io.BytesIO(b"sku,title,price,a,b\nA,Lamp,1.00,,\n"))
    assert refused.value.fields["header"] == [
        "The header has 5 columns; at most 4 are allowed (CATALOG_IMPORT_MAX_COLUMNS)."
    ]
    report = import_catalog(actor=None, stream=io.BytesIO(b"sku,title,price,a\nA,Lamp,1.00,\n"))
    assert report.created == 1


@override_settings(CATALOG_IMPORT_MAX_ROW_CHARS=100)
def test_a_header_row_over_the_length_cap_is_refused_before_it_is_parsed():
    long_header = b"sku,title,price," + b"x" * 10_000_000 + b"\n"
    with pytest.raises(HeaderError) as refused:
        import_catalog(actor=None, stream=io.BytesIO(long_header))
    assert refused.value.fields["header"] == [
        "The header row is longer than the limit of 100 characters (CATALOG_IMPORT_MAX_ROW_CHARS)."
    ]


class _CountingStream(io.BytesIO):
    """Counts the bytes the importer asks for, to show it stops reading at the cap."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def read1(self, size: int = -1) -> bytes:
        chunk = super().read1(size)
        self.bytes_read += len(chunk)
        return chunk


@override_settings(CATALOG_IMPORT_MAX_ROW_CHARS=1000)
def test_a_long_data_row_stops_the_file_there_and_keeps_the_rows_before_it():
    stream = _CountingStream(
        b"sku,title,price,description\n"
        b"A,Lamp,1.00,short\n"
        b'B,Chair,2.00,"' + b"line\n" * 2_000_000 + b'"\n'  # one row, 10 MB over many lines
        b"C,Table,3.00,never read\n"
    )
    report = import_catalog(actor=None, stream=stream)
    assert report.created == 1
    assert report.file_error == (
        "at row 3: it is longer than the limit of 1,000 characters (CATALOG_IMPORT_MAX_ROW_CHARS)."
    )
    assert list(Product.objects.values_list("code", flat=True)) == ["A"]
    assert stream.bytes_read < 100_000  # not the 10 MB row


def test_the_command_reports_a_long_row_and_exits_1(tmp_path, settings):
    settings.CATALOG_IMPORT_MAX_ROW_CHARS = 200
    path = tmp_path / "long.csv"
    path.write_text("sku,title,price,description\nA,Lamp,1.00,short\nB,Chair,2.00," + "x" * 300 + "\n")
    status, message = run(path)
    assert status == 1
    assert "at row 3: it is longer than the limit of 200 characters" in message
    assert Product.objects.filter(code="A").exists()


def test_rows_within_the_caps_import_as_before(tmp_path, settings):
    settings.CATALOG_IMPORT_MAX_ROW_CHARS = 60
    settings.CATALOG_IMPORT_MAX_COLUMNS = 4
    path = tmp_path / "ok.csv"
    # Each row's length is counted afresh: three rows of 50-odd characters pass a cap of 60.
    description = '"' + "two\nlines" + "y" * 20 + '"'
    path.write_text(
        "sku,title,price,description\n"
        + "".join(f"SKU-{n},Lamp number {n},1.00,{description}\n" for n in range(3))
    )
    status, message = run(path)
    assert status == 0, message
    assert Product.objects.count() == 3
