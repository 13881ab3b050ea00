"""The station's scan-by-scan rules (kiosk.model.scans), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from kiosk.model.catalog import ItemSpec
from kiosk.model.scans import Draft


@pytest.fixture
def shop(ledger):
    ledger.add_warehouse("MAIN")
    ledger.add_warehouse("WEST")
    ledger.add_item(ItemSpec("PHN", "Phone", serial=True, barcodes=["6901234567892"]))
    return ledger


def purchase(*codes, warehouse="MAIN"):
    return {"type": "purchase", "warehouse": warehouse, "lines": [{"sku": "PHN", "serials": list(codes)}]}


def test_a_draft_answers_each_scan_with_the_posting_rule(shop):
    shop.post(purchase("IN-1"))
    shop.post(purchase("WEST-1", warehouse="WEST"))
    sale = Draft("sale", "MAIN")
    assert sale.scan("IN-1").ok
    assert [sale.scan(c).error for c in ("IN-1", "WEST-1", "bad code", "NEW-1")] == [
        "duplicate_in_input", "serial_warehouse_mismatch", "invalid_serial", "unknown_serial",
    ]
    receiving = Draft("purchase", "MAIN")
    assert receiving.scan("6901234567892").kind == "item"  # the barcode chooses the item
    assert receiving.scan("NEW-1").ok and receiving.scan("IN-1").error == "already_in_stock"
    assert receiving.document() == {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": ["NEW-1"]}]}
    posted = shop.post(receiving.document(), key=receiving.key)
    assert shop.post(receiving.document(), key=receiving.key)["number"] == posted["number"]


def test_count_state_reads_missing_and_unexpected_without_loading_the_warehouse(shop):
    from playhouse.test_utils import count_queries

    from kiosk.model.scans import count_state

    shop.post(purchase(*[f"S{n:03d}" for n in range(300)]))
    counted = [f"S{n:03d}" for n in range(2, 300)] + ["STRANGER"]
    with count_queries() as queries:
        state = count_state("MAIN", ["PHN"], counted, sample=5)
    assert (state.expected, state.counted, state.missing) == (300, 299, 2)
    assert state.missing_sample == ["S000", "S001"] and state.unexpected == ["STRANGER"]
    assert state.skus == ["PHN"]
    assert queries.count <= 6
    everything = count_state("MAIN", [], [], sample=3)
    assert (everything.expected, everything.missing, everything.missing_sample) == (300, 300, ["S000", "S001", "S002"])
