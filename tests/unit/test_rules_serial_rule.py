"""SPEC §3 per serial, as a table: every document type and role against every state a
serial can be in. ``ledger.serial_rule`` is pure (the posting and the station's
scan-by-scan validation both call it), so this runs without a database.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kiosk.model.ledger import serial_rule

ITEM, OTHER_ITEM, HERE, THERE = 1, 2, 10, 20
SALE_DOC, OTHER_DOC = 100, 101

# state → (row as stored, type of its last document)
STATES = {
    "never_seen": (None, None),
    "all_voided": (SimpleNamespace(item_id=ITEM, status="out", warehouse_id=None, last_doc_id=None), None),
    "sold": (SimpleNamespace(item_id=ITEM, status="out", warehouse_id=None, last_doc_id=SALE_DOC), "sale"),
    "out_otherwise": (SimpleNamespace(item_id=ITEM, status="out", warehouse_id=None, last_doc_id=OTHER_DOC), "purchase_return"),
    "in_here": (SimpleNamespace(item_id=ITEM, status="in_stock", warehouse_id=HERE, last_doc_id=OTHER_DOC), "purchase"),
    "in_there": (SimpleNamespace(item_id=ITEM, status="in_stock", warehouse_id=THERE, last_doc_id=OTHER_DOC), "purchase"),
    "other_sku": (SimpleNamespace(item_id=OTHER_ITEM, status="in_stock", warehouse_id=HERE, last_doc_id=OTHER_DOC), "purchase"),
}

INBOUND = {
    "never_seen": None, "all_voided": None, "sold": None, "out_otherwise": None,
    "in_here": "already_in_stock", "in_there": "already_in_stock", "other_sku": "serial_item_mismatch",
}
OUTBOUND = {  # a never-seen serial takes an unserialized unit: checked with the stock
    "never_seen": None, "all_voided": None, "sold": "not_in_stock", "out_otherwise": "not_in_stock",
    "in_here": None, "in_there": "serial_warehouse_mismatch", "other_sku": "serial_item_mismatch",
}
MUST_BE_HERE = {  # transfer and adjustment remove: never seen is not_in_stock at once
    **OUTBOUND, "never_seen": "not_in_stock", "all_voided": "not_in_stock",
}
EXPECTED = {
    ("opening", "serial"): INBOUND,
    ("purchase", "serial"): INBOUND,
    ("adjustment", "add"): INBOUND,
    ("sale_return", "serial"): {
        "never_seen": "not_returnable", "all_voided": "not_returnable", "sold": None, "out_otherwise": "not_returnable",
        "in_here": "already_in_stock", "in_there": "already_in_stock", "other_sku": "serial_item_mismatch",
    },
    ("sale", "serial"): OUTBOUND,
    ("purchase_return", "serial"): OUTBOUND,
    ("transfer", "serial"): MUST_BE_HERE,
    ("adjustment", "remove"): MUST_BE_HERE,
    ("count", "serial"): {
        "never_seen": None, "all_voided": None, "sold": None, "out_otherwise": None,
        "in_here": None, "in_there": "serial_warehouse_mismatch", "other_sku": "serial_item_mismatch",
    },
}
CASES = [(doc_type, role, state, rule) for (doc_type, role), table in EXPECTED.items() for state, rule in table.items()]


@pytest.mark.parametrize("doc_type, role, state, rule", CASES, ids=[f"{d}-{r}-{s}" for d, r, s, _ in CASES])
def test_serial_rule_table(doc_type, role, state, rule):
    row, last_type = STATES[state]
    assert serial_rule(doc_type, role, ITEM, HERE, row, last_type) == rule
