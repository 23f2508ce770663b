"""export-demo writes the catalogue back in the catalog CSV format that import_catalog reads."""

import csv
import io

import pytest
from django.core.management import call_command

from shopstack.search.eval.dataset import load_products
from shopstack.search.eval.export import COLUMNS, catalog_export

CATALOG = """\
sku,title,description,category,price,stock,color,material,aliases,units_sold
H1,Hanging Heart T-Light Holder,,Home > Candles & lights,2.95,12,White,Metal,Heart Holder|Heart Light,900
M1,Red Retrospot Mug,A mug.,Kitchen > Tableware,1.25,0,Red,,,3
"""


@pytest.mark.django_db
def test_an_imported_catalogue_exports_to_the_same_rows(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(CATALOG, encoding="utf-8")
    call_command("import_catalog", str(source), verbosity=0, stdout=io.StringIO())

    exported = tmp_path / "products.csv"
    assert catalog_export(exported) == 2

    with exported.open(encoding="utf-8") as handle:
        rows = {row["sku"]: row for row in csv.DictReader(handle)}
        assert list(rows["H1"]) == COLUMNS
    assert rows["H1"]["category"] == "Home > Candles & lights"
    assert (rows["H1"]["color"], rows["H1"]["material"]) == ("White", "Metal")
    assert rows["H1"]["aliases"] == "Heart Holder|Heart Light"
    assert (rows["H1"]["price"], rows["H1"]["stock"], rows["H1"]["units_sold"]) == ("2.95", "12", "900")
    mug = rows["M1"]
    assert (mug["title"], mug["stock"], mug["material"]) == ("Red Retrospot Mug", "0", "")
    products, _ = load_products(exported)  # and the loader reads it back
    assert products["M1"].category == "Kitchen > Tableware"
