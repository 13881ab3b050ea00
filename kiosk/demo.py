"""The demo database of SPEC §6, built through the same domain API as real work.

Warehouses MAIN and WEST; the serial-managed ``PHN-100`` "Demo phone" with
``PHN100-0001``…``PHN100-0020`` in stock in MAIN and a sold-and-returned history
(0019 and 0020 went out on a sale and came back; 0021 and 0022 stay sold); a
serial-managed tablet moved to WEST, a carton, a non-serial cable; operator ``demo``
(PIN 1234) and supervisor ``boss`` (PIN 9999).
"""

from __future__ import annotations

from .model import catalog
from .model.api import Ledger
from .model.catalog import ItemSpec
from .model.tables import Item

DEMO_STATION = "demo"


def phones(first: int, last: int) -> list[str]:
    return [f"PHN100-{n:04d}" for n in range(first, last + 1)]


def is_empty() -> bool:
    return not Item.select().exists()


def fill(ledger: Ledger) -> None:
    """Fill an empty database with the demo data (a no-op on one that has items)."""
    if not is_empty():
        return
    ledger.add_warehouse("MAIN", "Main store")
    ledger.add_warehouse("WEST", "West depot")
    ledger.add_item(ItemSpec("PHN-100", "Demo phone", serial=True, barcodes=["6901234567892"], packs=[("box", 10)]))
    ledger.add_item(ItemSpec("TAB-200", "Demo tablet", serial=True, barcodes=["6901234567908"]))
    ledger.add_item(ItemSpec("CBL-USB", "USB-C cable", packs=[("box", 50)], barcodes=["6901234567915"]))
    ledger.post({"type": "purchase", "warehouse": "MAIN", "partner": "Acme Phones Ltd", "lines": [
        {"sku": "PHN-100", "serials": phones(1, 22)},
        {"sku": "CBL-USB", "qty": 4, "unit": "box"},
    ]})
    ledger.post({"type": "opening", "warehouse": "MAIN", "lines": [
        {"sku": "TAB-200", "serials": [f"TAB200-{n:04d}" for n in range(1, 11)]},
    ]})
    ledger.post({"type": "sale", "warehouse": "MAIN", "partner": "Walk-in customer", "lines": [
        {"sku": "PHN-100", "serials": phones(19, 22)},
        {"sku": "CBL-USB", "qty": 3},
    ]})
    ledger.post({"type": "sale_return", "warehouse": "MAIN", "partner": "Walk-in customer", "lines": [
        {"sku": "PHN-100", "serials": phones(19, 20)},
    ]})
    ledger.post({"type": "transfer", "warehouse": "MAIN", "to_warehouse": "WEST", "lines": [
        {"sku": "TAB-200", "serials": [f"TAB200-{n:04d}" for n in range(6, 11)]},
    ]})
    ledger.add_carton("CTN-TAB-01", "TAB-200", [f"TAB200-{n:04d}" for n in range(11, 16)])
    catalog.add_operator("demo", "1234", "operator")
    catalog.add_operator("boss", "9999", "supervisor")
