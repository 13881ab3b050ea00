"""A search's total by SKU, status and warehouse comes from the ledger's counters
(``Item.serial_count``, ``Stock.serials_in_stock``), not a count of serial rows: it
must equal the rows the search finds after every kind of document and a void."""

from __future__ import annotations

import itertools

from rules_support import doc, line, world  # noqa: F401

from kiosk.model.queries import SerialFilter


def test_totals_from_counters_equal_the_matching_rows(world):
    phones = [f"P{i:03d}" for i in range(30)]
    tablets = [f"T{i:03d}" for i in range(12)]
    world.post(doc("purchase", line("PHN", phones[:20]), line("TAB", tablets)))
    world.post(doc("purchase", line("PHN", phones[20:]), warehouse="WEST"))
    world.post(doc("transfer", line("PHN", phones[:5]), to_warehouse="WEST"))
    world.post(doc("sale", line("PHN", phones[5:12]), line("TAB", tablets[:3])))
    world.post(doc("sale_return", line("PHN", phones[5:7])))
    voided = world.post(doc("sale", line("TAB", tablets[3:6])))
    world.void(voided["number"])
    world.post(doc("purchase_return", line("PHN", phones[25:]), warehouse="WEST"))
    world.void(world.post(doc("purchase", line("TAB", ["T900", "T901"])))["number"])  # serials stay, out

    for sku, status, warehouse in itertools.product((None, "PHN", "TAB"), (None, "in_stock", "out"), (None, "MAIN", "WEST")):
        found = world.search(SerialFilter(sku=sku, status=status, warehouse=warehouse, limit=100_000))
        assert found["total"] == len(found["results"]), (sku, status, warehouse)
    assert world.search(SerialFilter())["total"] == 44
    assert world.search(SerialFilter(status="out"))["total"] == 5 + 3 + 5 + 2  # sold, sold, returned to vendor, voided


def test_a_time_filter_finds_the_same_serials_walking_the_code_index_or_not(world):
    """Many matches make SQLite walk the serial-code index with ``updated_at`` unindexed
    (``+updated_at``); the rows, in order, are those the indexed bounds give."""
    from kiosk.model import queries

    world.post(doc("purchase", line("PHN", [f"Z{i:03d}" for i in range(40)])))
    middle = world.search(SerialFilter())["results"][0]["updated_at"]
    world.post(doc("purchase", line("TAB", [f"A{i:03d}" for i in range(40)])))
    for f in (SerialFilter(since=middle), SerialFilter(until=middle), SerialFilter(since="2000-01-01", until="2999-12-31"), SerialFilter(since=middle, sku="TAB")):
        walked, _ = queries._filtered(f, walk=True)
        indexed, _ = queries._filtered(f, walk=False)
        codes = [[row[0] for row in q.order_by(queries.Serial.code).tuples()] for q in (walked, indexed)]
        assert codes[0] == codes[1] and codes[0], f
    assert [r["serial"] for r in queries.iter_serials(SerialFilter(since="2000-01-01", limit=None))][:2] == ["A000", "A001"]
