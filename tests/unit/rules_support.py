"""Shared helpers for the rule tests (SPEC §3–§4): a small world, posting, reading state.

The ``world`` fixture builds on ``ledger``, so every rule test runs on SQLite and on
PostgreSQL. Import it into a test module with ``from rules_support import world``.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from kiosk.model.catalog import ItemSpec
from kiosk.model.errors import KioskError
from kiosk.model.queries import DocumentFilter, SerialFilter
from kiosk.model.tables import DocLine, Document, Item, Movement, Serial, Stock


@pytest.fixture
def world(ledger):
    """Warehouses MAIN and WEST; serial items PHN (pack ``box`` = 10) and TAB; plain CBL."""
    ledger.add_warehouse("MAIN")
    ledger.add_warehouse("WEST")
    ledger.add_item(ItemSpec("PHN", "Phone", serial=True, packs=[("box", Decimal(10))]))
    ledger.add_item(ItemSpec("TAB", "Tablet", serial=True))
    ledger.add_item(ItemSpec("CBL", "Cable", unit="m", packs=[("roll", Decimal("2.5"))]))
    return ledger


def line(sku: str = "PHN", serials=None, **fields) -> dict:
    out = {"sku": sku, **fields}
    if serials is not None:
        out["serials"] = serials
    return out


def doc(doc_type: str, *lines: dict, warehouse: str = "MAIN", **fields) -> dict:
    return {"type": doc_type, "warehouse": warehouse, "lines": list(lines), **fields}


def post(ledger, doc_type: str, *lines: dict, warehouse: str = "MAIN", **fields) -> dict:
    return ledger.post(doc(doc_type, *lines, warehouse=warehouse, **fields))


def refused(code: str, call, *args, **kwargs) -> KioskError:
    """Run ``call`` and check it is refused with ``code``; return the error."""
    with pytest.raises(KioskError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, repr(info.value)
    return info.value


def refused_post(ledger, code: str, doc_type: str, *lines: dict, **fields) -> KioskError:
    """Post a document that must be refused with ``code`` and leave the ledger as it was."""
    before = snapshot(ledger)
    error = refused(code, post, ledger, doc_type, *lines, **fields)
    assert snapshot(ledger) == before
    return error


def stock(ledger, sku: str, warehouse: str = "MAIN") -> tuple:
    """(on hand, serials in stock) of an item in a warehouse; (0, 0) when it has no row."""
    row = ledger.item(sku)["stock"].get(warehouse, {"on_hand": 0, "serials_in_stock": 0})
    return row["on_hand"], row["serials_in_stock"]


def state(ledger, code: str) -> tuple:
    """(status, warehouse) of one serial, from its history."""
    found = ledger.history(code)
    return found["status"], found["warehouse"]


def states(ledger, *codes: str) -> dict:
    return {code: state(ledger, code) for code in codes}


def snapshot(ledger) -> tuple:
    """Everything a refused operation must leave untouched, rows counted per table."""
    return (
        ledger.documents(DocumentFilter(limit=1000)),
        ledger.search(SerialFilter(limit=None)),
        ledger.items(),
        [model.select().count() for model in (Document, DocLine, Movement, Serial, Stock)],
    )


def buy(ledger, *codes: str, sku: str = "PHN", warehouse: str = "MAIN", qty=None) -> dict:
    """A purchase of ``codes`` (and ``qty`` units in all, when given)."""
    fields = {} if qty is None else {"qty": qty}
    return post(ledger, "purchase", line(sku, list(codes), **fields), warehouse=warehouse)


def sell(ledger, *codes: str, sku: str = "PHN", warehouse: str = "MAIN") -> dict:
    return post(ledger, "sale", line(sku, list(codes)), warehouse=warehouse)


def derived_serial_state() -> dict:
    """code → (status, warehouse id, last document id) from the latest live movement."""
    state = {code: ("out", None, None) for (code,) in Serial.select(Serial.code).tuples()}
    query = (
        Movement.select(Serial.code, Movement.direction, Movement.warehouse, Movement.document)
        .join(Serial)
        .where(Movement.voided == False)  # noqa: E712
        .order_by(Movement.id)
    )
    for code, direction, warehouse, document in query.tuples():
        state[code] = ("in_stock", warehouse, document) if direction == "in" else ("out", None, document)
    return state


def check_invariants() -> None:
    """Serial rows and stock counters equal what the live movements and lines say."""
    live_directions: dict = {}
    for code, direction in (
        Movement.select(Serial.code, Movement.direction).join(Serial).where(Movement.voided == False).order_by(Movement.id)  # noqa: E712
    ).tuples():
        previous = live_directions.get(code)
        assert previous != direction, f"{code}: two live movements {direction} in a row"
        live_directions[code] = direction
    stored = {code: (s, w, d) for code, s, w, d in Serial.select(Serial.code, Serial.status, Serial.warehouse, Serial.last_doc).tuples()}
    assert stored == derived_serial_state()
    in_stock = Counter(
        (item, wh) for item, wh in Serial.select(Serial.item, Serial.warehouse).where(Serial.status == "in_stock").tuples()
    )
    on_hand: Counter = Counter()
    live = DocLine.select(DocLine.item, Document.warehouse, Document.to_warehouse, DocLine.delta, DocLine.to_delta).join(Document)
    for item, wh, to_wh, delta, to_delta in live.where(Document.status == "posted").tuples():
        on_hand[(item, wh)] += delta
        if to_wh:
            on_hand[(item, to_wh)] += to_delta
    serial_items = {i for (i,) in Item.select(Item.id).where(Item.serial == True).tuples()}  # noqa: E712
    rows = {(s.item_id, s.warehouse_id): s for s in Stock.select()}
    for key in set(rows) | set(in_stock) | set(on_hand):
        row = rows.get(key)
        assert row is not None, key
        assert row.serials_in_stock == in_stock[key], key
        assert row.on_hand == on_hand[key], key
        if key[0] in serial_items:
            assert Decimal(0) <= row.serials_in_stock <= row.on_hand, key
            assert row.on_hand == row.on_hand.to_integral_value(), key
