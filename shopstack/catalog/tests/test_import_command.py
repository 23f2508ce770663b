"""`manage.py import_catalog`: header refusal, row errors, create/update/unchanged, structure."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from shopstack.catalog.models import Attribute, AttributeValue, Category, Product, ProductVariant
from shopstack.inventory.models import Stock, Warehouse
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db

HEADER = ["sku", "product_code", "title", "category", "price", "stock", "color", "material", "aliases"]


def write_csv(
    tmp_path: Path, rows: list[list[str]], header: list[str] | None = None, name: str = "c.csv"
) -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header or HEADER)
        writer.writerows(rows)
    return path


def run(path: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_catalog", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


MUGS = [
    ["MUG-R", "MUG", "Heart mug", "Home > Kitchen", "4.95", "10", "Red", "Ceramic", "cup|beaker"],
    ["MUG-B", "MUG", "", "", "3.95", "5", "Blue", "Ceramic", ""],
    ["CANDLE", "", "Pillar candle", "Home > Candles & Holders", "2.50", "0", "White", "Wax", ""],
]


def test_creates_then_updates_then_changes_nothing(tmp_path):
    status, out, _ = run(write_csv(tmp_path, MUGS))
    assert status == 0
    assert "3 created, 0 updated, 0 unchanged, 0 invalid" in out
    mug = Product.objects.get(code="MUG")
    candle = Product.objects.get(code="CANDLE")
    assert mug.price_amount == Decimal("3.95")  # the cheaper variant
    assert mug.in_stock
    assert not candle.in_stock
    assert mug.is_published
    assert mug.published_at is not None

    status, out, _ = run(write_csv(tmp_path, MUGS))
    assert status == 0
    assert "0 created, 0 updated, 3 unchanged, 0 invalid" in out
    assert "Nothing changed" in out
    assert Product.objects.get(code="MUG").updated_at == mug.updated_at

    changed = [row[:] for row in MUGS]
    changed[2][4] = "2.75"
    status, out, _ = run(write_csv(tmp_path, changed))
    assert "0 created, 1 updated, 2 unchanged" in out
    assert Product.objects.get(code="CANDLE").price_amount == Decimal("2.75")
    # The changed product's stamp moves (search and page caches key on it); the other's does not.
    assert Product.objects.get(code="CANDLE").updated_at > candle.updated_at
    assert Product.objects.get(code="MUG").updated_at == mug.updated_at


def test_variants_are_grouped_by_product_code_with_attributes_on_both(tmp_path):
    run(write_csv(tmp_path, MUGS))
    mug = Product.objects.get(code="MUG")
    assert sorted(mug.variants.values_list("sku", flat=True)) == ["MUG-B", "MUG-R"]
    assert mug.name == "Heart mug"
    assert mug.search_aliases == ["cup", "beaker"]
    values = {(v.attribute.slug, v.name) for v in mug.attribute_values.select_related("attribute")}
    assert values == {("color", "Red"), ("color", "Blue"), ("material", "Ceramic")}
    red = ProductVariant.objects.get(sku="MUG-R")
    assert {v.name for v in red.attribute_values.all()} == {"Red", "Ceramic"}

    recoloured = [row[:] for row in MUGS]
    recoloured[0][6] = "Green"
    status, out, _ = run(write_csv(tmp_path, recoloured))
    assert status == 0
    assert "1 updated" in out
    values = {v.name for v in Product.objects.get(code="MUG").attribute_values.all()}
    assert values == {"Green", "Blue", "Ceramic"}
    assert {v.name for v in red.attribute_values.all()} == {"Green", "Ceramic"}


def test_categories_are_created_as_a_tree_and_reused(tmp_path):
    rows = [
        ["A", "", "Tea light", "Home > Candles", "1.00", "", "", "", ""],
        ["B", "", "Garden candle", "Garden > Candles", "1.00", "", "", "", ""],
        ["C", "", "Plain", "", "1.00", "", "", "", ""],
    ]
    run(write_csv(tmp_path, rows))
    home, garden = Category.objects.get(name="Home"), Category.objects.get(name="Garden")
    home_candles = Category.objects.get(name="Candles", parent=home)
    garden_candles = Category.objects.get(name="Candles", parent=garden)
    assert home.parent is None
    assert garden.parent is None
    assert home_candles.slug != garden_candles.slug
    a = Product.objects.get(code="A")
    assert a.category == home_candles
    assert list(a.categories.all()) == [home_candles]
    assert Product.objects.get(code="C").category.name == "Uncategorised"

    rows[0][3] = "Garden > Candles"
    status, out, _ = run(write_csv(tmp_path, rows))
    assert status == 0
    assert Category.objects.count() == 5
    a.refresh_from_db()
    assert a.category == garden_candles
    assert list(a.categories.all()) == [garden_candles]
    assert "1 updated" in out


def test_stock_goes_to_the_default_warehouse_and_an_empty_cell_leaves_it(tmp_path):
    run(write_csv(tmp_path, MUGS))
    warehouse = Warehouse.objects.get()
    assert warehouse.slug == "main"
    assert Stock.objects.get(variant__sku="MUG-R", warehouse=warehouse).quantity == 10

    rows = [row[:] for row in MUGS]
    rows[0][5] = ""
    rows[1][5] = "7"
    status, out, _ = run(write_csv(tmp_path, rows))
    assert status == 0
    assert "1 updated, 2 unchanged" in out
    assert Stock.objects.get(variant__sku="MUG-R").quantity == 10
    assert Stock.objects.get(variant__sku="MUG-B").quantity == 7


def test_stock_below_allocated_plus_reserved_is_a_row_error(tmp_path):
    product = make_product(code="HELD", stock=10)
    Stock.objects.filter(variant__product=product).update(allocated=3, reserved=2)
    before = Product.objects.get(pk=product.pk).updated_at
    rows = [
        ["HELD", "", "Held item", "", "9.99", "4", "", "", ""],
        ["FREE", "", "Free item", "", "1.00", "1", "", "", ""],
    ]
    status, _, err = run(write_csv(tmp_path, rows))
    assert status == 1
    assert "row 2, stock: 4 is below the 5 units allocated to orders or reserved" in err
    stock = Stock.objects.get(variant__product=product)
    assert (stock.quantity, stock.allocated, stock.reserved) == (10, 3, 2)
    assert Product.objects.get(pk=product.pk).updated_at == before
    assert Product.objects.filter(code="FREE").exists()

    rows[0][5] = "5"
    status, out, _ = run(write_csv(tmp_path, rows))
    assert status == 0
    assert "1 updated, 1 unchanged" in out
    assert Stock.objects.get(variant__product=product).quantity == 5


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"sku": ""}, "row 2, sku: missing"),
        ({"price": "abc"}, "row 2, price: 'abc' is not a price"),
        ({"price": "-1"}, "row 2, price: -1 is negative"),
        ({"price": "1.234"}, "row 2, price: 1.234 has more than 2 decimal places"),
        ({"price": ""}, "row 2, price: missing"),
        ({"stock": "lots"}, "row 2, stock: 'lots' is not a whole number"),
        ({"stock": "-3"}, "row 2, stock: -3 is negative"),
        ({"stock": "2.5"}, "row 2, stock: '2.5' is not a whole number"),
        ({"currency": "XYZ"}, "row 2, currency: unknown currency 'XYZ'"),
        ({"currency": "EUR"}, "row 2, currency: EUR is not the shop's currency (GBP)"),
        ({"title": ""}, "row 2, title: missing; a product's first row must give its title"),
        ({"published": "maybe"}, "row 2, published: 'maybe' is not one of true/false"),
        ({"weight_grams": "heavy"}, "row 2, weight_grams: 'heavy' is not a whole number"),
        ({"category": "Home >  > Mugs"}, "row 2, category: 'Home >  > Mugs' has an empty level"),
        ({"product_code": "X" * 33}, "row 2, product_code: a product code is at most 32 characters"),
    ],
)
def test_each_kind_of_bad_row_is_reported_and_the_rest_imported(tmp_path, cells, expected):
    header = [
        "sku",
        "product_code",
        "title",
        "category",
        "price",
        "currency",
        "stock",
        "weight_grams",
        "published",
    ]
    good = {"sku": "OK-1", "title": "Fine", "price": "1.00"}
    bad = {"sku": "BAD-1", "title": "Broken", "price": "2.00"} | cells
    rows = [[row.get(column, "") for column in header] for row in (bad, good)]
    status, _, err = run(write_csv(tmp_path, rows, header))
    assert status == 1
    assert expected in err
    assert "1 invalid row(s)" in err
    assert list(ProductVariant.objects.values_list("sku", flat=True)) == ["OK-1"]


def test_duplicate_sku_in_the_file_keeps_the_first_row(tmp_path):
    rows = [MUGS[2], [*MUGS[2][:2], "Second candle", *MUGS[2][3:]]]
    status, out, err = run(write_csv(tmp_path, rows))
    assert status == 1
    assert "row 3, sku: 'CANDLE' is also on row 2." in err
    assert Product.objects.get(code="CANDLE").name == "Pillar candle"
    assert "1 created, 0 updated, 0 unchanged, 1 invalid" in out


def test_a_row_with_more_cells_than_the_header_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("sku,title,price\nA,One,1.00,extra\nB,Two,2.00\n", encoding="utf-8")
    status, _, err = run(path)
    assert status == 1
    assert "row 2, row: has 4 cells but the header has 3." in err
    assert list(ProductVariant.objects.values_list("sku", flat=True)) == ["B"]


def test_a_variant_cannot_move_to_another_product(tmp_path):
    run(write_csv(tmp_path, MUGS))
    rows = [["MUG-R", "OTHER", "Other", "", "1.00", "", "", "", ""]]
    status, _, err = run(write_csv(tmp_path, rows))
    assert status == 1
    assert "is a variant of product 'MUG'" in err
    assert not Product.objects.filter(code="OTHER").exists()


def test_variant_rows_of_a_refused_first_row_are_reported(tmp_path):
    rows = [
        ["MUG-R", "MUG", "Heart mug", "", "abc", "", "", "", ""],
        ["MUG-B", "MUG", "", "", "3.95", "", "", "", ""],
    ]
    status, _, err = run(write_csv(tmp_path, rows))
    assert status == 1
    assert "row 3, title: missing; a product's first row must give its title." in err
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("header", "args", "expected"),
    [
        (["sku", "title"], [], "Required column(s) missing: price"),
        (["Item", "title", "price"], [], "Required column(s) missing: sku"),
        (
            ["Item", "title", "price"],
            ["--map", "colour=Item"],
            "'colour' is not a column of the catalog format",
        ),
        (["Item", "title", "price"], ["--map", "sku=Code"], "sku=Code: the file has no column 'Code'"),
        (["sku", "title", "price", "sku"], [], "The column 'sku' appears twice."),
        (["sku", "title", "price", "color", "attr:color"], [], "Both 'color' and 'attr:color' are given"),
    ],
)
def test_a_bad_header_or_mapping_refuses_the_file_before_writing(tmp_path, header, args, expected):
    path = write_csv(tmp_path, [["A", "One", "1.00", "x", "y"][: len(header)]], header)
    status, _, err = run(path, *args)
    assert status == 2
    assert expected in err
    assert not Product.objects.exists()
    assert not Category.objects.exists()
    assert not Warehouse.objects.exists()


def test_mapping_reads_the_shops_own_columns(tmp_path):
    header = ["Item No", "Name", "Cost", "Colour", "Size", "Notes"]
    path = write_csv(tmp_path, [["X1", "Lamp", "12.50", "Black", "Large", "ignored"]], header)
    status, out, _ = run(
        path, "--map", "sku=Item No,title=Name,price=Cost", "--map", "color=Colour,attr:size=Size"
    )
    assert status == 0, out
    product = Product.objects.get(code="X1")
    assert (product.name, product.price_amount) == ("Lamp", Decimal("12.50"))
    assert {(v.attribute.slug, v.name) for v in product.attribute_values.select_related("attribute")} == {
        ("color", "Black"),
        ("size", "Large"),
    }
    assert Attribute.objects.get(slug="size").name == "Size"
    assert "Columns ignored (not in the format): Notes" in out


def test_a_dry_run_writes_nothing_and_counts_what_a_run_would_do(tmp_path):
    path = write_csv(tmp_path, [*MUGS, ["BAD", "", "Bad", "", "x", "", "", "", ""]])
    status, out, err = run(path, "--dry-run", "--batch-size", "1")
    assert status == 1
    assert "row 5, price: 'x' is not a price" in err
    assert "3 would be created, 0 would be updated, 0 unchanged, 1 invalid" in out
    assert "Dry run: nothing was written." in out
    assert "categories would be created: 3" in out
    for model in (Product, ProductVariant, Category, Attribute, AttributeValue, Warehouse, Stock):
        assert not model.objects.exists(), model

    run(path)
    changed = [row[:] for row in MUGS]
    changed[1][4] = "1.00"
    before = Product.objects.get(code="MUG").updated_at
    status, out, _ = run(write_csv(tmp_path, changed, name="d.csv"), "--dry-run")
    assert "0 would be created, 1 would be updated, 2 unchanged, 0 invalid" in out
    assert ProductVariant.objects.get(sku="MUG-B").price_amount == Decimal("3.95")
    assert Product.objects.get(code="MUG").updated_at == before


def test_small_batches_give_the_same_catalog(tmp_path):
    rows = [
        [
            f"S{n}",
            f"P{n // 3}",
            f"Thing {n // 3}" if n % 3 == 0 else "",
            "Home > Things",
            f"{n}.00",
            str(n),
            ["Red", "Blue"][n % 2],
            "",
            "",
        ]
        for n in range(10)
    ]
    status, out, _ = run(write_csv(tmp_path, rows), "--batch-size", "2")
    assert status == 0, out
    # Products whose rows span batches were created by this run, not updated.
    assert "Products: 4 created, 0 updated" in out
    assert Product.objects.count() == 4
    assert ProductVariant.objects.count() == 10
    assert {v.name for v in Product.objects.get(code="P1").attribute_values.all()} == {"Red", "Blue"}
    status, out, _ = run(write_csv(tmp_path, rows), "--batch-size", "4")
    assert "10 unchanged" in out


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("sku,title,price\nA,Caf\xe9,1.00\n".encode("latin-1"))
    status, _, err = run(path)
    # A small file is decoded with its header, so it is refused as a whole.
    assert status == 2
    assert "not UTF-8" in err
    assert not Product.objects.exists()


def test_a_byte_order_mark_and_quoted_cells_are_read(tmp_path):
    path = tmp_path / "excel.csv"
    content = 'sku,title,price,description\r\nQ-1,"Mug, large",4.95,"Two lines:\r\nsecond ""quoted"""\r\n'
    path.write_bytes(b"\xef\xbb\xbf" + content.encode())
    status, out, _ = run(path)
    assert status == 0, out
    product = Product.objects.get(code="Q-1")
    assert product.name == "Mug, large"
    assert product.description == 'Two lines:\r\nsecond "quoted"'
