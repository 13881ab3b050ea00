"""A document being built at the station, checked scan by scan.

Every scan is answered at once against the same rules the ledger enforces when the
document is posted (``ledger.serial_rule``), so a clerk learns about a wrong serial
while the unit is still in hand. Nothing is written here: ``Draft.document()`` is the
JSON the station posts through ``Ledger.post`` after F10, where the rules are checked
again inside the transaction (another station may have moved a serial since).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from . import catalog
from . import codes as codelib
from .db import guard_methods
from .ledger import chunks, last_doc_types, serial_rule, serials_by_code
from .tables import Carton, CartonSerial, Item, Serial, Stock, Warehouse
from .text import printable

VERDICT = {
    "serial_item_mismatch": "belongs to another item",
    "already_in_stock": "is already in stock",
    "not_returnable": "was never sold, so it cannot be returned",
    "serial_warehouse_mismatch": "is in stock in another warehouse",
    "not_in_stock": "is not in stock here",
    "duplicate_in_input": "is already in this document",
    "too_many_serials": "would make more than 1000 serials in one document",
    "invalid_serial": "is not a valid serial",
}


@dataclass
class ScanResult:
    """What one scan did to the draft: shown large on screen, green or red."""

    text: str
    ok: bool
    message: str
    error: str | None = None  # the error code when refused
    kind: str = "serial"  # serial | carton | item | gs1
    added: list[str] = field(default_factory=list)
    sku: str | None = None


@dataclass
class DraftLine:
    item: Item
    serials: list[str] = field(default_factory=list)


@guard_methods
class Draft:
    """The serials scanned so far for one document type in one warehouse.

    ``key`` identifies the document it will become: the station posts with it, so a
    post retried after the database came back cannot post twice.
    """

    def __init__(self, doc_type: str, warehouse: str, to_warehouse: str | None = None, partner: str | None = None):
        self.key = uuid.uuid4().hex
        self.type = doc_type
        self.warehouse = catalog.warehouse(warehouse)
        self.to_warehouse = catalog.warehouse(to_warehouse) if to_warehouse else None
        self.partner = partner
        self.item: Item | None = None  # the item chosen for serials never seen before
        self.lines: dict[int, DraftLine] = {}
        self._codes: set[str] = set()
        self._unseen: dict[str, int] = {}  # never-seen serial -> item id: each takes an unserialized unit
        self._items: dict[int, Item] = {}  # items by id, read once per draft, not once per scan

    # reading --------------------------------------------------------------
    @property
    def count(self) -> int:
        return len(self._codes)

    def __contains__(self, code: str) -> bool:
        return code in self._codes

    def serials(self) -> list[str]:
        return [code for line in self.lines.values() for code in line.serials]

    def document(self) -> dict:
        doc = {
            "type": self.type,
            "warehouse": self.warehouse.code,
            "lines": [
                {"sku": line.item.sku, "serials": list(line.serials)} for line in self.lines.values() if line.serials
            ],
        }
        if self.to_warehouse:
            doc["to_warehouse"] = self.to_warehouse.code
        if self.partner:
            doc["partner"] = self.partner
        return doc

    # changing ---------------------------------------------------------------
    def choose_item(self, sku: str) -> ScanResult:
        chosen = catalog.item(sku)
        return self._select(chosen, sku)

    def _select(self, chosen: Item, text: str) -> ScanResult:
        if not chosen.serial:
            return ScanResult(text, False, f"{chosen.sku} {chosen.name} is not serial-managed", "bad_request", "item")
        self.item = chosen
        return ScanResult(text, True, f"item {chosen.sku} {chosen.name}", kind="item", sku=chosen.sku)

    def remove(self, code: str) -> bool:
        for line in self.lines.values():
            if code in line.serials:
                line.serials.remove(code)
                self._codes.discard(code)
                self._unseen.pop(code, None)
                return True
        return False

    def clear(self) -> None:
        self.lines.clear()
        self._codes.clear()
        self._unseen.clear()

    def scan(self, text: str, *, item_first: bool | None = None) -> ScanResult:
        """Resolve one scan (SPEC §6): carton, item barcode or SKU, else a serial.

        Receiving looks for an item before a serial (item_first); checkout, stocktake and
        transfer look the item up from the serial itself and only then try an item code.
        """
        if item_first is None:
            item_first = self.type in ("opening", "purchase", "sale_return")
        carton = Carton.get_or_none(Carton.code == text)
        if carton is not None:
            return self._carton(carton, text)
        if item_first or Serial.get_or_none(Serial.code == text) is None:
            chosen = catalog.item_by_code(text)
            if chosen is not None:
                return self._select(chosen, text)
        return self._add_many([text], cartons_checked=True)[0]

    def scan_gs1(self, text: str, barcodes: tuple[str, ...], serial: str) -> ScanResult:
        """A GS1 scan: its GTIN (in any of its barcode forms) selects the item, AI 21 is the serial."""
        if barcodes:
            chosen = next((found for code in barcodes if (found := catalog.item_by_code(code))), None)
            if chosen is None:
                return ScanResult(text, False, f"no item has barcode {barcodes[0]}", "unknown_item", "gs1")
            selected = self._select(chosen, text)
            if not selected.ok:
                return selected
        result = self.add(serial)
        result.kind = "gs1"
        return result

    def add(self, code: str) -> ScanResult:
        """One serial, checked against the rules; added only when it passes."""
        return self.add_many([code])[0]

    def add_many(self, codes: list[str]) -> list[ScanResult]:
        return self._add_many(codes, cartons_checked=False)

    def _add_many(self, codes: list[str], *, cartons_checked: bool) -> list[ScanResult]:
        """``cartons_checked``: no carton has these codes (``scan`` has just looked)."""
        rows = serials_by_code([c for c in codes if codelib.is_valid(c)])
        types = last_doc_types(rows.values()) if self.type == "sale_return" else {}
        return [self._add(code, rows.get(code), types, cartons_checked) for code in codes]

    def _add(self, code: str, row: Serial | None, types: dict[int, str], cartons_checked: bool = False) -> ScanResult:
        def refuse(error: str, message: str | None = None) -> ScanResult:
            return ScanResult(code, False, message or f"{printable(code)} {VERDICT[error]}", error)

        if not codelib.is_valid(code):
            return refuse("invalid_serial", f"{printable(code)} is not a valid serial: 1–100 printable ASCII characters (no Chinese or other non-ASCII letters, no comma, space or control character)")
        if code in self._codes:
            return refuse("duplicate_in_input")
        if len(self._codes) >= codelib.MAX_PER_OPERATION:
            return refuse("too_many_serials")
        item = self._item_of(row.item_id) if row is not None and (self.item is None or self.type not in ("opening", "purchase")) else self.item
        if item is None:
            return ScanResult(code, False, f"{printable(code)} is new here: scan or choose its item first", "unknown_serial")
        if row is None and not cartons_checked and Carton.select().where(Carton.code == code).exists():
            return refuse("code_conflict", f"{code} is a carton code")
        rule = serial_rule(self.type, "serial", item.id, self.warehouse.id, row, types.get(row.last_doc_id) if row else None)
        if rule:
            return refuse(rule)
        if (row is None or row.last_doc_id is None) and self.type in ("sale", "purchase_return"):
            shortage = self._unserialized_shortage(item)
            if shortage:
                return refuse("not_in_stock", shortage)
            self._unseen[code] = item.id
        line = self.lines.setdefault(item.id, DraftLine(item))
        line.serials.append(code)
        self._codes.add(code)
        return ScanResult(code, True, f"{code}  {item.sku} {item.name}", added=[code], sku=item.sku)

    def _item_of(self, item_id: int) -> Item:
        if self.item is not None and self.item.id == item_id:
            return self.item
        found = self._items.get(item_id)
        if found is None:
            found = self._items[item_id] = Item.get_by_id(item_id)
        return found

    def _unserialized_shortage(self, item: Item) -> str | None:
        """A never-seen serial going out takes an unserialized unit: is one left?"""
        stock = Stock.get_or_none(Stock.item == item.id, Stock.warehouse == self.warehouse.id)
        free = (stock.on_hand - stock.serials_in_stock) if stock else 0
        taken = sum(1 for item_id in self._unseen.values() if item_id == item.id)
        if taken >= free:
            return f"no unserialized {item.sku} left in {self.warehouse.code} for a serial never seen before"
        return None

    def _carton(self, carton: Carton, text: str) -> ScanResult:
        codes = [c for (c,) in carton.entries.select(CartonSerial.code).order_by(CartonSerial.position).tuples()]
        results = self.add_many(codes)
        refused = [r for r in results if not r.ok]
        if refused:
            for r in results:
                if r.ok:
                    self.remove(r.text)
            first = refused[0]
            return ScanResult(text, False, f"carton {text}: {first.message}", first.error, "carton")
        return ScanResult(text, True, f"carton {text}: {len(codes)} serials of {carton.item.sku}", kind="carton", added=codes, sku=carton.item.sku)


def in_stock(sku: str, warehouse: str, *, contains: str = "", after: str | None = None, limit: int = 50) -> list[str]:
    """In-stock serials of an item in a warehouse, for picking: sorted, paged by keyset."""
    from .queries import substring

    it = catalog.item(sku)
    wh = catalog.warehouse(warehouse)
    query = Serial.select(Serial.code).where(Serial.item == it.id, Serial.warehouse == wh.id, Serial.status == "in_stock")
    if contains:
        query = query.where(substring(Serial.code, contains))
    if after is not None:
        query = query.where(Serial.code > after)
    return [c for (c,) in query.order_by(Serial.code).limit(limit).tuples()]


@dataclass
class CountState:
    """A stocktake so far: what is expected here, what was counted, what is missing."""

    expected: int
    counted: int
    missing: int
    missing_sample: list[str]  # the first missing serials, by code
    unexpected: list[str]  # counted, but not in stock here
    skus: list[str]  # the items this count covers


def count_state(warehouse: str, scope: list[str], counted: list[str], sample: int = 12) -> CountState:
    """Counted against what is in stock here, in a few indexed queries whatever the
    warehouse holds: expected from the stock counters, the counted ones looked up by
    code, and only a sample of the missing ones read."""
    wh = catalog.warehouse(warehouse)
    stock = Stock.select(Stock.item, Stock.serials_in_stock).where(Stock.warehouse == wh.id)
    if scope:
        stock = stock.join(Item).where(Item.sku.in_(scope))
    rows = [(item_id, n) for item_id, n in stock.tuples() if n or scope]
    item_ids = [item_id for item_id, _ in rows]
    base = Serial.select(Serial.code).where(Serial.warehouse == wh.id, Serial.status == "in_stock")
    if scope:
        base = base.where(Serial.item.in_(item_ids))
    present: set[str] = set()
    for part in chunks(counted):
        present.update(c for (c,) in base.where(Serial.code.in_(list(part))).tuples())
    missing_sample = [c for (c,) in base.where(Serial.code.not_in(counted)).order_by(Serial.code).limit(sample).tuples()]
    expected = sum(n for _, n in rows)
    skus = scope or [sku for (sku,) in Item.select(Item.sku).where(Item.id.in_(item_ids)).order_by(Item.sku).tuples()]
    return CountState(
        expected=expected,
        counted=len(counted),
        missing=expected - len(present),
        missing_sample=missing_sample,
        unexpected=[c for c in counted if c not in present],
        skus=skus,
    )


def warehouse_codes() -> list[str]:
    return [w.code for w in Warehouse.select(Warehouse.code).order_by(Warehouse.code)]

