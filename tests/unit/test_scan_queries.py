"""A scan reads a bounded number of rows whatever it brings in: a carton of 50 serials
takes the queries of a carton of 5 (items are read once per draft, not per serial)."""

from __future__ import annotations

from playhouse.test_utils import count_queries
from rules_support import doc, line, world  # noqa: F401

from kiosk.model.scans import Draft


def test_scanning_a_carton_takes_the_same_queries_for_5_or_50_serials(world):
    counts = {}
    for n in (5, 50):
        codes = [f"K{n}-{i:03d}" for i in range(n)]
        world.post(doc("purchase", line("PHN", codes)))
        world.add_carton(f"CTN-{n}", "PHN", codes)
        draft = Draft("sale", "MAIN")
        with count_queries() as counter:
            result = draft.scan(f"CTN-{n}")
        assert result.ok and draft.count == n, result.message
        counts[n] = counter.count
    assert counts[50] == counts[5], counts


def test_a_receiving_scan_of_a_new_serial_looks_for_a_carton_once(world):
    draft = Draft("purchase", "MAIN")
    draft.choose_item("PHN")
    with count_queries() as counter:
        assert draft.scan("NEW-0001").ok
    # carton?, barcode?, SKU?, the serial: nothing more
    assert counter.count == 4, counter.count
