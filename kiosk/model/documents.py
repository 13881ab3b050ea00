"""Document input: the JSON shape integrators send, checked before anything is looked up.

``parse_document`` turns a decoded JSON value into a ``DocumentIn`` or raises
``bad_request`` naming what is wrong; it never touches the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .codes import split_entry
from .errors import KioskError

INBOUND = ("opening", "purchase", "sale_return")
OUTBOUND = ("sale", "purchase_return")
TYPES = INBOUND + OUTBOUND + ("transfer", "count", "adjustment")
PREFIX = {
    "opening": "OPN",
    "purchase": "PUR",
    "sale_return": "SRT",
    "purchase_return": "PRT",
    "sale": "SAL",
    "transfer": "TRF",
    "count": "CNT",
    "adjustment": "ADJ",
}
DOC_KEYS = {"type", "warehouse", "to_warehouse", "partner", "note", "lines"}
LINE_KEYS = {"sku", "qty", "unit", "serials", "cartons", "add", "remove"}
MAX_LINES = 1000


@dataclass
class LineIn:
    number: int  # 1-based, for messages
    sku: str
    qty: Decimal | None = None
    unit: str | None = None
    serials: list[str] = field(default_factory=list)
    cartons: list[str] = field(default_factory=list)
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """Every serial the line names (before carton expansion)."""
        return self.serials + self.remove + self.add

    @property
    def has_serial_input(self) -> bool:
        return bool(self.serials or self.cartons or self.add or self.remove)


@dataclass
class DocumentIn:
    type: str
    warehouse: str
    lines: list[LineIn]
    to_warehouse: str | None = None
    partner: str | None = None
    note: str | None = None


def bad(message: str) -> KioskError:
    return KioskError("bad_request", message)


def parse_document(value: object) -> DocumentIn:
    if not isinstance(value, dict):
        raise bad("a document is a JSON object")
    unknown = sorted(set(value) - DOC_KEYS)
    if unknown:
        raise bad(f"unknown document key {unknown[0]!r}")
    doc_type = value.get("type")
    if doc_type not in TYPES:
        raise bad(f"type must be one of {', '.join(TYPES)}; got {doc_type!r}")
    warehouse = _text(value, "warehouse", required=True)
    to_warehouse = _text(value, "to_warehouse")
    if doc_type == "transfer":
        if to_warehouse is None:
            raise bad("a transfer needs to_warehouse")
        if to_warehouse == warehouse:
            raise bad("a transfer needs two different warehouses")
    elif to_warehouse is not None:
        raise bad("to_warehouse belongs to transfers only")
    lines = value.get("lines")
    if not isinstance(lines, list) or not lines:
        raise bad("lines must be a non-empty list")
    if len(lines) > MAX_LINES:
        raise bad(f"at most {MAX_LINES} lines in one document")
    parsed = [_parse_line(doc_type, i, line) for i, line in enumerate(lines, 1)]
    if doc_type == "count":
        seen: set[str] = set()
        for line in parsed:
            if line.sku in seen:
                raise bad(f"line {line.number}: a count lists each SKU once ({line.sku!r} again)")
            seen.add(line.sku)
    return DocumentIn(
        type=doc_type,
        warehouse=warehouse,
        to_warehouse=to_warehouse,
        partner=_text(value, "partner"),
        note=_text(value, "note"),
        lines=parsed,
    )


def _text(obj: dict, key: str, *, required: bool = False, where: str = "") -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise bad(f"{where}missing {key}")
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad(f"{where}{key} must be a non-empty string")
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        # no database stores these (PostgreSQL refuses NUL; lone surrogates are not UTF-8)
        raise bad(f"{where}{key} holds a NUL character or a lone surrogate")
    return value


def _parse_line(doc_type: str, number: int, line: object) -> LineIn:
    where = f"line {number}: "
    if not isinstance(line, dict):
        raise bad(f"{where}a line is a JSON object")
    unknown = sorted(set(line) - LINE_KEYS)
    if unknown:
        raise bad(f"{where}unknown line key {unknown[0]!r}")
    parsed = LineIn(number=number, sku=_text(line, "sku", required=True, where=where))
    parsed.unit = _text(line, "unit", where=where)
    for key in ("serials", "cartons", "add", "remove"):
        setattr(parsed, key, _codes(line, key, where))
    if doc_type == "adjustment":
        extra = [k for k in ("qty", "unit", "serials", "cartons") if k in line]
        if extra:
            raise bad(f"{where}an adjustment line takes add and remove, not {extra[0]}")
        if not parsed.add and not parsed.remove:
            raise bad(f"{where}an adjustment line needs add or remove serials")
        return parsed
    if parsed.add or parsed.remove:
        raise bad(f"{where}add and remove belong to adjustments only")
    if "qty" in line and line["qty"] is not None:
        parsed.qty = _quantity(line["qty"], where)
    elif not parsed.serials and not parsed.cartons:
        raise bad(f"{where}give qty or serials")
    return parsed


def _codes(line: dict, key: str, where: str) -> list[str]:
    value = line.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return split_entry(value)
    if isinstance(value, list) and all(isinstance(code, str) for code in value):
        return list(value)
    raise bad(f"{where}{key} must be a list of strings or one string")


def _quantity(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad(f"{where}qty must be a number; got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise bad(f"{where}qty must be a finite number")
    if isinstance(value, int) and not -(10**12) <= value <= 10**12:
        # before str(): Python refuses to write an int of more than 4300 digits
        raise bad(f"{where}qty must be below 10^12 with at most 6 decimals")
    try:
        qty = Decimal(str(value))
    except InvalidOperation:  # pragma: no cover - str() of a finite number parses
        raise bad(f"{where}qty must be a number") from None
    if qty <= 0:
        raise bad(f"{where}qty must be greater than 0; got {value!r}")
    if qty > Decimal("1e12") or qty != qty.quantize(Decimal("0.000001")):
        raise bad(f"{where}qty must be below 10^12 with at most 6 decimals")
    return qty
