"""Items, warehouses, cartons, operators and the global switch (SPEC §4)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Sequence

from peewee import IntegrityError

from . import audit
from . import codes as codelib
from .db import locked, write_transaction
from .errors import KioskError
from .ledger import serial_management_on, serials_by_code
from .tables import (
    Barcode,
    Carton,
    CartonSerial,
    Item,
    ItemUnit,
    Operator,
    Serial,
    Setting,
    Stock,
    Warehouse,
    utcnow,
)

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=1)


def _key(kind: str, value: object, limit: int) -> str:
    """SKUs, warehouse codes, units and barcodes: printable ASCII without spaces."""
    if not isinstance(value, str) or not re.fullmatch(r"[\x21-\x7e]{1,%d}" % limit, value):
        raise KioskError(
            "bad_request",
            f"{kind} must be 1–{limit} printable ASCII characters without spaces; got {codelib.shown(str(value))!r}",
        )
    return value


def _label(kind: str, value: str | None, limit: int = 200) -> str:
    """Free text such as names: any printable characters, no control sequences."""
    value = (value or "").strip()
    if len(value) > limit or not value.isprintable():
        raise KioskError("bad_request", f"{kind} must be at most {limit} printable characters")
    return value


# ---------------------------------------------------------------- settings


def settings() -> dict:
    return {"serial_management": serial_management_on()}


def lock_switch() -> bool:
    """The global switch, read under a lock held to the end of the transaction.

    Turning the switch off and making an item serial-managed each check what the
    other one changes; without a common lock two supervisors at once could leave the
    switch off with a serial item (PostgreSQL reads committed rows; SQLite writers are
    serialised already). The setting row is created first so there is a row to lock.
    """
    Setting.insert(key="serial_management", value="on").on_conflict_ignore().execute()
    return locked(Setting.select().where(Setting.key == "serial_management")).get().value == "on"


def set_serial_management(on: bool, actor: audit.Actor | None = None) -> dict:
    def work() -> dict:
        lock_switch()
        if not on and Item.select().where(Item.serial == True).exists():  # noqa: E712
            skus = [i.sku for i in Item.select(Item.sku).where(Item.serial == True).order_by(Item.sku).limit(10)]  # noqa: E712
            raise KioskError(
                "serial_items_exist",
                "turn serial management off for every item first: " + ", ".join(skus),
            )
        Setting.insert(key="serial_management", value="on" if on else "off").on_conflict(
            conflict_target=[Setting.key], update={Setting.value: "on" if on else "off"}
        ).execute()
        audit.record(actor, "settings", "serial_management", "on" if on else "off")
        return settings()

    return write_transaction(work)


# ---------------------------------------------------------------- warehouses


def add_warehouse(code: str, name: str | None = None) -> Warehouse:
    code = _key("warehouse code", code, 32)
    name = _label("name", name)

    def work() -> Warehouse:
        if Warehouse.select().where(Warehouse.code == code).exists():
            raise KioskError("bad_request", f"warehouse {code} exists already")
        return Warehouse.create(code=code, name=name)

    return write_transaction(work)


def warehouses() -> list[Warehouse]:
    return list(Warehouse.select().order_by(Warehouse.code))


def warehouse(code: str) -> Warehouse:
    found = Warehouse.get_or_none(Warehouse.code == code)
    if found is None:
        raise KioskError("unknown_warehouse", f"no warehouse {code!r}")
    return found


# ---------------------------------------------------------------- items


@dataclass
class ItemSpec:
    sku: str
    name: str
    unit: str = "pcs"
    packs: Sequence[tuple[str, Decimal]] = ()
    barcodes: Sequence[str] = ()
    serial: bool = False
    batch: bool = False
    shelf_life: bool = False
    bundle: bool = False


def parse_pack(text: str) -> tuple[str, Decimal]:
    """``UNIT=FACTOR`` as the command line takes it, e.g. ``box=12``."""
    unit, sep, factor = text.partition("=")
    try:
        value = Decimal(factor)
    except InvalidOperation:
        value = None
    if not sep or value is None or not value.is_finite() or value <= 0:
        raise KioskError("bad_request", f"a pack unit is UNIT=FACTOR with FACTOR > 0, e.g. box=12; got {text!r}")
    return _key("unit", unit, 16), value


def add_item(spec: ItemSpec) -> Item:
    sku = _key("SKU", spec.sku, 64)
    name = _label("name", spec.name)
    if not name:
        raise KioskError("bad_request", "an item needs a name")
    unit = _key("unit", spec.unit, 16)
    barcodes = [_key("barcode", b, 128) for b in spec.barcodes]
    packs = [(_key("unit", u, 16), Decimal(f)) for u, f in spec.packs]
    pack_units = [u for u, _ in packs]
    if unit in pack_units or len(set(pack_units)) != len(pack_units):
        raise KioskError("bad_request", "each unit of an item is named once")
    if len(set(barcodes)) != len(barcodes):
        raise KioskError("bad_request", "a barcode is given twice")
    def work() -> Item:
        if spec.serial:
            lock_switch()
            _enable_conflicts(spec.sku, batch=spec.batch, shelf_life=spec.shelf_life, bundle=spec.bundle)
        if Item.select().where(Item.sku == sku).exists():
            raise KioskError("bad_request", f"item {sku} exists already")
        taken = [b.code for b in Barcode.select().where(Barcode.code.in_(barcodes))] if barcodes else []
        if taken:
            raise KioskError("bad_request", f"barcode {taken[0]} belongs to another item")
        item = Item.create(
            sku=sku,
            name=name,
            unit=unit,
            serial=spec.serial,
            batch=spec.batch,
            shelf_life=spec.shelf_life,
            bundle=spec.bundle,
        )
        for pack_unit, factor in packs:
            ItemUnit.create(item=item, unit=pack_unit, factor=factor)
        for code in barcodes:
            Barcode.create(code=code, item=item)
        return item

    return write_transaction(work)


def _enable_conflicts(sku: str, *, batch: bool, shelf_life: bool, bundle: bool) -> None:
    if not serial_management_on():
        raise KioskError("serial_management_disabled", "serial management is off in the settings")
    if batch or shelf_life:
        raise KioskError(
            "tracking_conflict", f"{sku}: serial management excludes batch and shelf-life management"
        )
    if bundle:
        raise KioskError("bundle_not_supported", f"{sku} is a bundle; bundles carry no serials")


def item(sku: str) -> Item:
    found = Item.get_or_none(Item.sku == sku)
    if found is None:
        raise KioskError("unknown_item", f"no item with SKU {sku!r}")
    return found


def item_by_code(code: str) -> Item | None:
    """An item by barcode, else by SKU: what a scan of an item label selects."""
    barcode = Barcode.get_or_none(Barcode.code == code)
    if barcode is not None:
        return barcode.item
    return Item.get_or_none(Item.sku == code)


def items() -> list[Item]:
    return list(Item.select().order_by(Item.sku))


def stock_of(item_ids: Sequence[int]) -> dict[int, dict[str, Stock]]:
    """item id → warehouse code → stock row, for every warehouse holding a row."""
    found: dict[int, dict[str, Stock]] = {}
    query = (
        Stock.select(Stock, Warehouse.code)
        .join(Warehouse)
        .where(Stock.item.in_(list(item_ids)))
        .order_by(Warehouse.code)
    )
    for row in query:
        found.setdefault(row.item_id, {})[row.warehouse.code] = row
    return found


def set_item_serial(skus: Sequence[str], on: bool, actor: audit.Actor | None = None) -> list[Item]:
    """Enable or disable serial management on many items: all of them or none."""
    if not skus:
        raise KioskError("bad_request", "name at least one SKU")

    def work() -> list[Item]:
        found = {i.sku: i for i in Item.select().where(Item.sku.in_(list(skus)))}
        missing = [s for s in skus if s not in found]
        if missing:
            raise KioskError("unknown_item", "no item with SKU " + ", ".join(map(repr, missing)))
        chosen = [found[s] for s in dict.fromkeys(skus)]
        if on:
            lock_switch()
            refusals = enable_refusals(chosen)
            if refusals:
                first = refusals[0]
                raise KioskError(
                    first.code,
                    "; ".join(f"{e.message}" for e in refusals),
                    refusals=[{"sku": e.extra["sku"], "code": e.code, "message": e.message} for e in refusals],
                )
        ids = [i.id for i in chosen]
        Item.update(serial=on).where(Item.id.in_(ids)).execute()
        for chosen_item in chosen:
            chosen_item.serial = on
        audit.record(actor, "item_serial", " ".join(i.sku for i in chosen), "on" if on else "off")
        return chosen

    return write_transaction(work)


def enable_refusals(chosen: Sequence[Item]) -> list[KioskError]:
    """Why each item may not become serial-managed (SPEC §4), one refusal per item."""
    switch_on = serial_management_on()
    stock = stock_of([i.id for i in chosen])
    refusals = []
    for it in chosen:
        reason = None
        if not switch_on:
            reason = ("serial_management_disabled", "serial management is off in the settings")
        elif it.batch or it.shelf_life:
            reason = ("tracking_conflict", "has batch or shelf-life management")
        elif it.bundle:
            reason = ("bundle_not_supported", "is a bundle")
        else:
            for wh, row in stock.get(it.id, {}).items():
                if row.on_hand < 0 or row.on_hand != row.on_hand.to_integral_value() or row.on_hand < row.serials_in_stock:
                    reason = (
                        "invalid_stock_for_serial",
                        f"has {row.on_hand.normalize()} on hand in {wh} "
                        f"({row.serials_in_stock} serials in stock); on hand must be whole, "
                        "not negative and not below the serials in stock",
                    )
                    break
        if reason:
            refusals.append(KioskError(reason[0], f"{it.sku} {reason[1]}", sku=it.sku))
    return refusals


# ---------------------------------------------------------------- cartons


def add_carton(code: str, sku: str, serials: Sequence[str]) -> Carton:
    """A carton of ``serials`` of one SKU.

    Refusals come in the order SPEC §3 gives for documents: shape → unknown item →
    ``serial_management_disabled`` → not serial-managed (``bad_request``) →
    ``invalid_serial`` (the carton code and its entries alike) → ``too_many_serials`` →
    ``duplicate_in_input`` → then the database: an existing carton, ``code_conflict``,
    ``serial_item_mismatch``. A carton may not hold its own code: scanning it would
    always enter the carton, never that serial (``code_conflict``).
    """
    serials = list(serials)
    if not serials:
        raise KioskError("bad_request", "a carton holds at least one serial")

    def work() -> Carton:
        carton_item = item(sku)
        if not serial_management_on():
            raise KioskError("serial_management_disabled", "serial management is off in the settings")
        if not carton_item.serial:
            raise KioskError("bad_request", f"{sku} is not serial-managed; cartons hold serials")
        codelib.require_valid([code, *serials])
        entries = codelib.check(serials)
        if code in entries:
            raise KioskError("code_conflict", f"{code} is the carton's own code; it cannot be one of its serials", [code])
        if Carton.select().where(Carton.code == code).exists():
            raise KioskError("bad_request", f"carton {code} exists already")
        if Serial.select().where(Serial.code == code).exists():
            raise KioskError("code_conflict", f"{code} is a serial; a carton needs its own code", [code])
        clashing = [c.code for c in Carton.select(Carton.code).where(Carton.code.in_(entries))]
        if clashing:
            raise KioskError("code_conflict", ", ".join(clashing) + ": carton codes, not serials", clashing)
        others = [s.code for s in serials_by_code(entries).values() if s.item_id != carton_item.id]
        if others:
            raise KioskError("serial_item_mismatch", ", ".join(others) + ": belong to another SKU", others)
        carton = Carton.create(code=code, item=carton_item, created_at=utcnow())
        CartonSerial.insert_many(
            [(carton.id, i, c) for i, c in enumerate(entries)],
            fields=[CartonSerial.carton, CartonSerial.position, CartonSerial.code],
        ).execute()
        return carton

    return write_transaction(work)


def carton(code: str) -> tuple[Carton, list[str]]:
    found = Carton.get_or_none(Carton.code == code)
    if found is None:
        raise KioskError("unknown_carton", f"no carton {code!r}", [code])
    entries = [c for (c,) in found.entries.select(CartonSerial.code).order_by(CartonSerial.position).tuples()]
    return found, entries


# ---------------------------------------------------------------- operators


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """scrypt, as ``scrypt$n$r$p$salt$hash`` (hex): a stolen database does not give the PINs."""
    salt = salt or secrets.token_bytes(16)
    n, r, p = 2**14, 8, 1
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


def add_operator(name: str, pin: str, role: str = "operator") -> Operator:
    name = _key("operator name", name, 64)
    if role not in ("operator", "supervisor"):
        raise KioskError("bad_request", "role is operator or supervisor")
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise KioskError("bad_request", "a PIN is 4 to 12 digits")

    def work() -> Operator:
        try:
            return Operator.create(name=name, role=role, pin_hash=hash_pin(pin))
        except IntegrityError:
            raise KioskError("bad_request", f"operator {name} exists already") from None

    return write_transaction(work)


def sign_in(name: str, pin: str, station: str = "") -> Operator:
    """Check a PIN; five wrong ones lock the operator's sign-in for a minute.

    Every attempt is audited, failed ones with the reason."""
    actor = audit.Actor(station, name)

    def work() -> tuple[Operator | None, KioskError | None]:
        op = Operator.get_or_none(Operator.name == name)
        now = utcnow()

        def refuse(message: str) -> tuple[None, KioskError]:
            audit.record(actor, "sign_in_failed", name, message)
            return None, KioskError("permission_denied", message)

        if op is None:
            return refuse("unknown operator or wrong PIN")
        if op.locked_until and op.locked_until > now:
            seconds = int((op.locked_until - now).total_seconds()) + 1
            return refuse(f"sign-in locked for {seconds} s after {LOCK_AFTER} wrong PINs")
        if pin_matches(pin, op.pin_hash):
            Operator.update(failed_attempts=0, locked_until=None).where(Operator.id == op.id).execute()
            audit.record(actor, "sign_in", name, op.role)
            return op, None
        failed = op.failed_attempts + 1
        locked_until = now + LOCK_FOR if failed >= LOCK_AFTER else None
        Operator.update(
            failed_attempts=0 if locked_until else failed, locked_until=locked_until
        ).where(Operator.id == op.id).execute()
        return refuse("unknown operator or wrong PIN")

    op, error = write_transaction(work)  # failures are recorded, so not raised inside
    if error:
        raise error
    return op
