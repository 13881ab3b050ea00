"""Reading the ledger: documents as JSON, serial search, circulation history, export.

Lists are sorted by serial and paged; ``search`` also takes ``after`` (the last code
of the previous page) so the screens page by keyset instead of by offset. Export
walks the same query in keyset chunks, so its memory does not grow with the rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from peewee import JOIN, SQL, NodeList, fn

from .db import is_sqlite
from .errors import KioskError
from .tables import IN_STOCK, OUT, DocLine, Document, Item, Movement, Serial, Stock, Warehouse

PAGE = 50
SORT_AT_MOST = 20_000  # time-filtered matches sorted for a page; more are walked in code order
EXPORT_CHUNK = 5000
EXPORT_COLUMNS = ["serial", "sku", "item_name", "warehouse", "status", "last_doc", "last_doc_type", "updated_at"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def number(value: Decimal | int) -> int | float:
    """A quantity as a JSON number: whole numbers as integers."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value.normalize())


def iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, str):  # pragma: no cover - SQLite hands back text for odd rows only
        moment = dt.datetime.fromisoformat(moment)
    return moment.replace(microsecond=0).isoformat() + "Z"


def parse_time(text: str, *, end: bool = False) -> dt.datetime:
    """A ``--since``/``--until`` bound: a date or an ISO time, read as UTC.

    An ``--until`` bound covers all of what it names: a date, its whole day; a time
    in seconds, that whole second (times are shown to the second).
    """
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.datetime.fromisoformat(text)
            return day + dt.timedelta(days=1) if end else day
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        if end and moment.microsecond == 0:
            moment += dt.timedelta(seconds=1)
    except (ValueError, OverflowError):  # OverflowError: past year 9999 once in UTC or extended
        raise KioskError("bad_request", f"not a date or ISO time: {text!r} (e.g. 2026-11-26 or 2026-11-26T08:30:00Z)") from None
    return moment


# ---------------------------------------------------------------- documents


def document_json(document: Document) -> dict:
    lines = list(DocLine.select(DocLine, Item.sku).join(Item).where(DocLine.document == document.id).order_by(DocLine.line_no))
    roles: dict[int, dict[str, list[str]]] = {}
    if document.type in ("count", "adjustment"):
        query = (
            Movement.select(Movement.line, Movement.role, Serial.code)
            .join(Serial)
            .where(Movement.document == document.id, Movement.role != "")
            .order_by(Movement.id)
        )
        for line_id, role, code in query.tuples():
            roles.setdefault(line_id, {}).setdefault(role, []).append(code)
    out_lines = []
    for line in lines:
        entry = {
            "sku": line.item.sku,
            "qty": number(line.qty),
            "unit": line.unit,
            "serials": line.serials.split("\n") if line.serials else [],
        }
        if document.type == "count":
            entry["gained"] = roles.get(line.id, {}).get("gained", [])
            entry["lost"] = roles.get(line.id, {}).get("lost", [])
        elif document.type == "adjustment":
            entry["add"] = roles.get(line.id, {}).get("add", [])
            entry["remove"] = roles.get(line.id, {}).get("remove", [])
        out_lines.append(entry)
    summary = document_summary(document)
    del summary["line_count"]
    summary["lines"] = out_lines
    return summary


def document_summary(document: Document) -> dict:
    return {
        "number": document.number,
        "type": document.type,
        "status": document.status,
        "warehouse": document.warehouse.code,
        "to_warehouse": document.to_warehouse.code if document.to_warehouse_id else None,
        "partner": document.partner,
        "note": document.note,
        "station": document.station,
        "operator": document.operator,
        "posted_at": iso(document.posted_at),
        "voided_at": iso(document.voided_at),
        "line_count": getattr(document, "line_count", None),
    }


def find_document(number: str) -> Document:
    found = Document.get_or_none(Document.number == number)
    if found is None:
        raise KioskError("unknown_document", f"no document {number!r}")
    return found


@dataclass
class DocumentFilter:
    type: str | None = None
    warehouse: str | None = None
    status: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int = PAGE
    offset: int = 0


def list_documents(f: DocumentFilter) -> list[Document]:
    """Newest first."""
    query = Document.select(Document, fn.COUNT(DocLine.id).alias("line_count")).join(
        DocLine, JOIN.LEFT_OUTER
    ).group_by(Document.id)
    if f.type:
        query = query.where(Document.type == f.type)
    if f.warehouse:
        wh = Warehouse.get_or_none(Warehouse.code == f.warehouse)
        if wh is None:
            raise KioskError("unknown_warehouse", f"no warehouse {f.warehouse!r}")
        query = query.where((Document.warehouse == wh.id) | (Document.to_warehouse == wh.id))
    if f.status:
        query = query.where(Document.status == f.status)
    if f.since:
        query = query.where(Document.posted_at >= parse_time(f.since))
    if f.until:
        query = query.where(Document.posted_at < parse_time(f.until, end=True))
    return list(query.order_by(Document.id.desc()).limit(f.limit).offset(f.offset))


# ---------------------------------------------------------------- serials


@dataclass
class SerialFilter:
    sku: str | None = None
    serial: str | None = None
    status: str | None = None
    warehouse: str | None = None
    doc: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int | None = PAGE
    offset: int = 0
    after: str | None = None  # keyset: codes greater than this one


def _filtered(f: SerialFilter, *, walk: bool, base: list | None = None):
    """The search's select and its conditions (``base``: ``_conditions(f)`` if read already).

    ``walk``: bound ``updated_at`` without its index, so SQLite walks the serial-code
    index and stops after a page instead of sorting every match of a wide time range
    (search walks when there are many matches; export always does, it reads them all).
    """
    LastDoc = Document.alias("last")
    query = (
        Serial.select(
            Serial.code,
            Item.sku,
            Item.name,
            Warehouse.code.alias("warehouse_code"),
            Serial.status,
            LastDoc.number,
            LastDoc.type,
            Serial.updated_at,
        )
        .join(Item)
        .switch(Serial)
        .join(Warehouse, JOIN.LEFT_OUTER)
        .switch(Serial)
        .join(LastDoc, JOIN.LEFT_OUTER, on=(Serial.last_doc == LastDoc.id))
    )
    conditions = (_conditions(f) if base is None else base) + _time_conditions(f, walk=walk and is_sqlite())
    for condition in conditions:
        query = query.where(condition)
    return query, conditions


def _time_conditions(f: SerialFilter, *, walk: bool) -> list:
    column = NodeList((SQL("+"), Serial.updated_at), glue="") if walk else Serial.updated_at
    conditions = []
    if f.since:
        conditions.append(column >= parse_time(f.since))
    if f.until:
        conditions.append(column < parse_time(f.until, end=True))
    return conditions


def _conditions(f: SerialFilter) -> list:
    conditions = []
    if f.sku is not None:
        found = Item.get_or_none(Item.sku == f.sku)
        if found is None:
            raise KioskError("unknown_item", f"no item with SKU {f.sku!r}")
        conditions.append(Serial.item == found.id)
    if f.serial:
        conditions.append(substring(Serial.code, f.serial))
    if f.status is not None:
        if f.status not in (IN_STOCK, OUT):
            raise KioskError("bad_request", "status is in_stock or out")
        conditions.append(Serial.status == f.status)
    if f.warehouse is not None:
        wh = Warehouse.get_or_none(Warehouse.code == f.warehouse)
        if wh is None:
            raise KioskError("unknown_warehouse", f"no warehouse {f.warehouse!r}")
        conditions.append(Serial.warehouse == wh.id)
    if f.doc is not None:
        # "any movement in that document": voided ones too, so a voided document
        # still finds the serials it once moved
        document = find_document(f.doc)
        moved = Movement.select(Movement.serial).where(Movement.document == document.id)
        if is_sqlite():
            conditions.append(Serial.id.in_(moved))
        else:
            # PostgreSQL plans the subquery as a walk over every serial in code order,
            # looking for the few it moved: read them first (at most a few thousand),
            # sent as one array parameter, not a thousand
            ids = sorted({sid for (sid,) in Serial._meta.database.execute(moved).fetchall()})
            conditions.append(NodeList((Serial.id, SQL("= ANY(%s)", [ids]))))
    if f.limit is not None and (f.limit < 1 or f.limit > 100_000):
        raise KioskError("bad_request", "limit is 1 to 100000")
    if f.offset < 0:
        raise KioskError("bad_request", "offset is 0 or more")
    return conditions


def substring(field, text: str):
    """A literal, case-sensitive substring test (no LIKE wildcards, no case folding)."""
    return (fn.INSTR(field, text) if is_sqlite() else fn.STRPOS(field, text)) > 0


def _row(values: tuple) -> dict:
    code, sku, name, warehouse, status, last_doc, last_type, updated = values
    return {
        "serial": code,
        "sku": sku,
        "item_name": name,
        "warehouse": warehouse,
        "status": status,
        "last_doc": last_doc,
        "last_doc_type": last_type,
        "updated_at": iso(updated),
    }


def search(f: SerialFilter) -> dict:
    base = _conditions(f)
    total = _total(f, base + _time_conditions(f, walk=False))
    query, conditions = _filtered(f, walk=total > SORT_AT_MOST, base=base)
    page = query.order_by(Serial.code)
    if f.after is not None:
        page = page.where(Serial.code > f.after)
    if f.limit is not None:
        page = page.limit(f.limit)
    if f.offset:
        page = page.offset(f.offset)
    return {"total": total, "results": [_row(r) for r in page.tuples()]}


def _total(f: SerialFilter, conditions: list) -> int:
    """How many serials match. By SKU, status and warehouse (or no filter) it is read
    from the counters the ledger keeps in the same transactions as the serials
    (``Item.serial_count``, ``Stock.serials_in_stock``): counting half a million
    rows would take longer than the whole page may."""
    if f.serial or f.doc is not None or f.since or f.until:
        # COUNT(*), not COUNT(id): SQLite then counts index entries without decoding
        # each one (a third of the time over half a million rows)
        query = Serial.select(fn.COUNT(SQL("*")))
        for condition in conditions:
            query = query.where(condition)
        return query.scalar()
    item_id = Item.get(Item.sku == f.sku).id if f.sku is not None else None
    warehouse_id = Warehouse.get(Warehouse.code == f.warehouse).id if f.warehouse is not None else None
    stock = Stock.select(fn.COALESCE(fn.SUM(Stock.serials_in_stock), 0))
    if item_id is not None:
        stock = stock.where(Stock.item == item_id)
    if warehouse_id is not None:
        stock = stock.where(Stock.warehouse == warehouse_id)
    in_stock = int(stock.scalar())
    if warehouse_id is not None or f.status == IN_STOCK:  # only in-stock serials have a warehouse
        return 0 if f.status == OUT else in_stock
    every = Item.select(fn.COALESCE(fn.SUM(Item.serial_count), 0))
    if item_id is not None:
        every = every.where(Item.id == item_id)
    every = int(every.scalar())
    return every - in_stock if f.status == OUT else every


def iter_serials(f: SerialFilter) -> Iterator[dict]:
    """Every matching serial in search order, fetched in keyset chunks."""
    for values in _export_values(f):
        yield dict(zip(EXPORT_COLUMNS, values))


def _export_values(f: SerialFilter) -> Iterator[tuple]:
    """The export's cells, in ``EXPORT_COLUMNS`` order, read in keyset chunks straight
    from the driver's cursor: peewee's per-value conversion would be most of the time."""
    query, _ = _filtered(f, walk=True)
    database = Serial._meta.database
    remaining = f.limit
    skip = f.offset
    after = f.after
    while remaining is None or remaining > 0:
        chunk = query.order_by(Serial.code)
        if after is not None:
            chunk = chunk.where(Serial.code > after)
        size = EXPORT_CHUNK + skip
        rows = database.execute(chunk.limit(size)).fetchall()
        if not rows:
            return
        after = rows[-1][0]
        for values in rows[skip:]:
            if remaining is not None:
                if remaining == 0:
                    return
                remaining -= 1
            yield (*values[:7], _iso_cell(values[7]))
        skip = 0
        if len(rows) < size:
            return


def _iso_cell(value) -> str | None:
    """``iso`` of a raw ``updated_at``: SQLite hands back its text, PostgreSQL a datetime."""
    if isinstance(value, str):
        return value[:19].replace(" ", "T") + "Z"
    return iso(value)


def neutralise(cell: str | None) -> str:
    """A spreadsheet cell that cannot start a formula: a leading ``'`` where one could."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_START) else text


def export(f: SerialFilter, fmt: str, out: str | Path) -> int:
    """Write matching serials to CSV (UTF-8 with BOM) or XLSX; return the count.

    CSV cells that a spreadsheet would read as a formula get a leading ``'``; XLSX
    cells are typed as text, so they keep their exact value and never evaluate.
    """
    path = Path(out)
    if fmt not in ("csv", "xlsx"):
        raise KioskError("bad_request", "format is csv or xlsx")
    rows = _export_values(f)
    count = 0
    try:
        if fmt == "csv":
            with path.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(EXPORT_COLUMNS)
                for values in rows:
                    writer.writerow([neutralise(v) for v in values])
                    count += 1
        else:
            count = _export_xlsx(rows, path)
    except OSError as exc:
        raise KioskError("bad_request", f"cannot write {path}: {exc.strerror or exc}") from None
    return count


def _export_xlsx(rows: Iterator[tuple], path: Path) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet("serials")

    def text(value: object) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value)))
        cell.data_type = "s"  # text, never a formula
        return cell

    sheet.append([text(c) for c in EXPORT_COLUMNS])
    count = 0
    for values in rows:
        sheet.append([text(v) for v in values])
        count += 1
    book.save(path)
    return count


def history(code: str) -> dict:
    """Two indexed reads: the serial with its SKU and warehouse, then its movements."""
    found = list(
        Serial.select(Serial.id, Serial.code, Serial.status, Item.sku, Warehouse.code)
        .join(Item)
        .switch(Serial)
        .join(Warehouse, JOIN.LEFT_OUTER)
        .where(Serial.code == code)
        .tuples()
    )
    if not found:
        raise KioskError("unknown_serial", f"no serial {code!r}", [code])
    serial_id, serial_code, status, sku, warehouse = found[0]
    query = (
        Movement.select(Document.number, Document.type, Movement.direction, Warehouse.code, Movement.at, Movement.voided)
        .join(Document)
        .switch(Movement)
        .join(Warehouse)
        .where(Movement.serial == serial_id)
        .order_by(Movement.id)
    )
    return {
        "serial": serial_code,
        "sku": sku,
        "status": status,
        "warehouse": warehouse,
        "movements": [
            {"doc": n, "type": t, "direction": d, "warehouse": w, "at": iso(at), "voided": bool(v)}
            for n, t, d, w, at, v in query.tuples()
        ],
    }
