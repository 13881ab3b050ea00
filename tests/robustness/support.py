"""What every robustness test checks after something went wrong: the database file
is sound, every document is whole, and the derived counters agree with the movements.

The checks read the SQLite file with the standard library's ``sqlite3`` (opening it
runs WAL recovery, as the next station would), so they do not depend on the code
under test having left its own connection usable.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from decimal import Decimal
from pathlib import Path

from kiosk.model import db as kdb
from kiosk.model.api import Ledger
from kiosk.model.catalog import ItemSpec


def path_of(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def prepare(url: str) -> None:
    """Warehouses MAIN and WEST, serial item PHN, plain item CBL."""
    kdb.connect(url)
    try:
        setup = Ledger(station="setup", operator="setup")
        setup.add_warehouse("MAIN")
        setup.add_warehouse("WEST")
        setup.add_item(ItemSpec("PHN", "Phone", serial=True))
        setup.add_item(ItemSpec("CBL", "Cable"))
    finally:
        kdb.close()


def batch(prefix: str, count: int) -> list[dict]:
    """``count`` small documents of three kinds, two lines each; ``note`` names each one.

    purchase of 6 new serials (+ cables) → transfer of 4 of them to WEST → sale of 2
    of those from WEST, and again with the next six serials.
    """
    docs = []
    for n in range(count):
        group, kind = divmod(n, 3)
        codes = [f"{prefix}-{group:03d}-{i}" for i in range(6)]
        if kind == 0:
            doc = {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": codes}, {"sku": "CBL", "qty": 3}]}
        elif kind == 1:
            doc = {"type": "transfer", "warehouse": "MAIN", "to_warehouse": "WEST",
                   "lines": [{"sku": "PHN", "serials": codes[:4]}, {"sku": "CBL", "qty": 1}]}
        else:
            doc = {"type": "sale", "warehouse": "WEST", "lines": [{"sku": "PHN", "serials": codes[:2]}, {"sku": "CBL", "qty": 1}]}
        doc["note"] = f"{prefix}#{n}"
        docs.append(doc)
    return docs


MOVEMENTS_PER_SERIAL = {"purchase": 1, "transfer": 2, "sale": 1}


def jsonl(docs: list[dict]) -> str:
    return "\n".join(json.dumps(d) for d in docs) + "\n"


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as con:
        result = con.execute("PRAGMA integrity_check").fetchall()
    con.close()
    return "; ".join(r[0] for r in result)


def check_whole(path: Path, expected: dict[str, dict]) -> int:
    """Every document whose note is in ``expected`` has all its lines, serials and
    movements; returns how many of them are present."""
    con = sqlite3.connect(path)
    try:
        present = 0
        for doc_id, doc_type, note in con.execute("SELECT id, type, note FROM document").fetchall():
            wanted = expected.get(note)
            if wanted is None:
                continue
            present += 1
            lines = con.execute(
                "SELECT l.id, i.sku, l.serials FROM doc_line l JOIN item i ON i.id = l.item_id "
                "WHERE l.document_id = ? ORDER BY l.line_no", (doc_id,)
            ).fetchall()
            assert [sku for _, sku, _ in lines] == [line["sku"] for line in wanted["lines"]], note
            for (line_id, _, serials), line in zip(lines, wanted["lines"]):
                codes = line.get("serials", [])
                assert (serials.split("\n") if serials else []) == codes, note
                [moves] = con.execute("SELECT count(*) FROM movement WHERE line_id = ?", (line_id,)).fetchone()
                assert moves == len(codes) * MOVEMENTS_PER_SERIAL[doc_type], (note, moves)
        return present
    finally:
        con.close()


def check_counters(path: Path) -> None:
    """Serial rows and stock counters equal what the movements and document lines imply."""
    con = sqlite3.connect(path)
    try:
        derived: dict[int, tuple] = {sid: ("out", None, None) for (sid,) in con.execute("SELECT id FROM serial")}
        for sid, direction, wh, doc in con.execute(
            "SELECT serial_id, direction, warehouse_id, document_id FROM movement WHERE NOT voided ORDER BY id"
        ):
            derived[sid] = ("in_stock", wh, doc) if direction == "in" else ("out", None, doc)
        stored = {sid: (s, w, d) for sid, s, w, d in con.execute("SELECT id, status, warehouse_id, last_doc_id FROM serial")}
        assert stored == derived
        on_hand: Counter = Counter()
        for item, wh, to_wh, delta, to_delta in con.execute(
            "SELECT l.item_id, d.warehouse_id, d.to_warehouse_id, l.delta, l.to_delta "
            "FROM doc_line l JOIN document d ON d.id = l.document_id WHERE d.status = 'posted'"
        ):
            on_hand[(item, wh)] += Decimal(str(delta))
            if to_wh:
                on_hand[(item, to_wh)] += Decimal(str(to_delta))
        in_stock = Counter(con.execute("SELECT item_id, warehouse_id FROM serial WHERE status = 'in_stock'").fetchall())
        rows = {(i, w): (Decimal(str(o)), s) for i, w, o, s in con.execute("SELECT item_id, warehouse_id, on_hand, serials_in_stock FROM stock")}
        for key in set(rows) | set(on_hand) | set(in_stock):
            assert rows.get(key, (Decimal(0), 0)) == (on_hand[key], in_stock[key]), key
    finally:
        con.close()


def post_works(url: str, codes: list[str]) -> dict:
    """The next post after a failure: it must go through and be readable back."""
    kdb.connect(url)
    try:
        ledger = Ledger(station="after", operator="tester")
        posted = ledger.post({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": codes}]})
        assert ledger.document(posted["number"])["lines"][0]["serials"] == codes
        return posted
    finally:
        kdb.close()
