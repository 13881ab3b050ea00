"""The one domain API the command line and the screens call.

A ``Ledger`` knows who is working (station and operator) and returns plain
JSON-ready values in the shapes of SPEC §5, so each front end only presents them.
It is constructed once at start-up and passed in; nothing here is a module-level
singleton except the peewee database proxy the models are bound to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from . import audit, catalog, codes, ledger, queries
from .db import backup, guard_methods, schema_version
from .queries import DocumentFilter, SerialFilter, number


@guard_methods
@dataclass
class Ledger:
    station: str
    operator: str

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(self.station, self.operator)

    def acting_as(self, operator: str) -> "Ledger":
        """The same station working as another operator: a supervisor's void or
        change is recorded, on the document and in the audit log, under their name."""
        return replace(self, operator=operator)

    # documents -------------------------------------------------------------
    def post(self, document: dict, key: str | None = None) -> dict:
        """Post; with ``key``, posting the same key again returns the first post."""
        return queries.document_json(
            ledger.post(document, station=self.station, operator=self.operator, key=key)
        )

    def void(self, doc_number: str) -> dict:
        return queries.document_json(ledger.void(doc_number, operator=self.operator, station=self.station))

    def document(self, doc_number: str) -> dict:
        return queries.document_json(queries.find_document(doc_number))

    def documents(self, f: DocumentFilter) -> list[dict]:
        return [queries.document_summary(d) for d in queries.list_documents(f)]

    # serials ---------------------------------------------------------------
    def parse(self, text: str) -> dict:
        return {"serials": codes.parse_entry(text)}

    def generate(self, prefix: str, start: int, count: int, width: int | None = None, suffix: str = "") -> dict:
        generated = codes.generate(prefix, start, count, width, suffix)
        known = ledger.serials_by_code(generated)
        return {"serials": generated, "existing": [c for c in generated if c in known]}

    def search(self, f: SerialFilter) -> dict:
        return queries.search(f)

    def history(self, serial: str) -> dict:
        return queries.history(serial)

    def export(self, f: SerialFilter, fmt: str, out: str | Path) -> dict:
        return {"exported": queries.export(f, fmt, out), "out": str(out)}

    # catalog ---------------------------------------------------------------
    def settings(self) -> dict:
        return catalog.settings()

    def set_serial_management(self, on: bool) -> dict:
        return catalog.set_serial_management(on, self.actor)

    def add_warehouse(self, code: str, name: str | None = None) -> dict:
        return warehouse_json(catalog.add_warehouse(code, name))

    def warehouses(self) -> list[dict]:
        return [warehouse_json(w) for w in catalog.warehouses()]

    def add_item(self, spec: catalog.ItemSpec) -> dict:
        return self.item(catalog.add_item(spec).sku)

    def item(self, sku: str) -> dict:
        return self._items_json([catalog.item(sku)])[0]

    def items(self) -> list[dict]:
        return self._items_json(catalog.items())

    def set_item_serial(self, skus: Sequence[str], on: bool) -> list[dict]:
        return self._items_json(catalog.set_item_serial(skus, on, self.actor))

    def _items_json(self, found: Sequence) -> list[dict]:
        stock = catalog.stock_of([i.id for i in found])
        return [
            {
                "sku": i.sku,
                "name": i.name,
                "unit": i.unit,
                "serial": i.serial,
                "batch": i.batch,
                "shelf_life": i.shelf_life,
                "bundle": i.bundle,
                "stock": {
                    wh: {"on_hand": number(row.on_hand), "serials_in_stock": row.serials_in_stock}
                    for wh, row in stock.get(i.id, {}).items()
                },
            }
            for i in found
        ]

    def add_carton(self, code: str, sku: str, serials: Sequence[str]) -> dict:
        catalog.add_carton(code, sku, serials)
        return self.carton(code)

    def carton(self, code: str) -> dict:
        found, entries = catalog.carton(code)
        return {"code": found.code, "sku": found.item.sku, "serials": entries}

    # operators and the audit log ---------------------------------------------
    def sign_in(self, name: str, pin: str) -> dict:
        """Check an operator's PIN (audited); the station then works as them."""
        operator = catalog.sign_in(name, pin, self.station)
        return {"name": operator.name, "role": operator.role}

    def audit(self, f: audit.AuditFilter) -> list[dict]:
        return audit.entries(f)

    # storage ---------------------------------------------------------------
    def backup(self, dest: str | Path) -> dict:
        return {"backup": str(backup(dest))}

    def schema(self) -> dict:
        return {"migrations": schema_version()}


def warehouse_json(w) -> dict:
    return {"code": w.code, "name": w.name}
