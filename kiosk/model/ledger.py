"""Posting and voiding documents: every serial rule of SPEC §3 lives here.

A post runs in five steps inside one write transaction (``db.write_transaction``):
resolve references, expand cartons and check the input as a whole, check each serial
in document order, check stock, then write in bulk. Rules are checked in the order
SPEC §3 lists them, so the error an integrator sees does not depend on the backend or
on which line happened to be read first. Reads are batched (one query per kind of
row, whatever the number of serials), which keeps a 1000-serial document in a few
dozen milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Sequence

from peewee import SQL, NodeList, fn

from . import audit
from . import codes as codelib
from .db import locked, write_transaction
from .documents import INBOUND, OUTBOUND, PREFIX, DocumentIn, LineIn, parse_document
from .errors import KioskError
from .tables import (
    IN_STOCK,
    OUT,
    Carton,
    CartonSerial,
    DocLine,
    Document,
    Item,
    ItemUnit,
    Movement,
    Serial,
    Setting,
    Stock,
    Warehouse,
    utcnow,
)

CHUNK = 500  # rows per IN (...) list or bulk insert


def chunks(seq: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def among(column, values: Sequence):
    """``column IN (…)`` for a chunk of plain values (codes, ids): the placeholders are
    written at once instead of peewee wrapping and converting each value."""
    if not values:
        return column.in_([])
    param = column.model._meta.database.param
    return NodeList((column, SQL("IN (" + ", ".join([param] * len(values)) + ")", list(values))))


def insert_rows(model, fields: Sequence, rows: Sequence[tuple]) -> None:
    """``INSERT … VALUES (…), (…)`` of many rows, one statement per chunk.

    peewee's ``insert_many`` builds its SQL value by value (a few microseconds each,
    most of a 1000-serial post); here the statement is built once per chunk and the
    values go to the driver as they are: ``rows`` hold only what both drivers take
    and peewee would pass unchanged (str, int, bool, naive datetime, None).
    """
    database = model._meta.database
    table = model._meta.table_name
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    one = "(" + ", ".join([database.param] * len(fields)) + ")"
    for part in chunks(rows):
        sql = f'INSERT INTO "{table}" ({columns}) VALUES ' + ", ".join([one] * len(part))
        database.execute_sql(sql, [value for row in part for value in row])


def serial_management_on() -> bool:
    row = Setting.get_or_none(Setting.key == "serial_management")
    return row is None or row.value == "on"


def serials_by_code(codes: Sequence[str], *, lock: bool = False) -> dict[str, Serial]:
    """The serials' state (not ``updated_at``: parsing a thousand times is a tenth of a post)."""
    found: dict[str, Serial] = {}
    for part in chunks(list(codes)):
        query = Serial.select(
            Serial.id, Serial.code, Serial.item, Serial.status, Serial.warehouse, Serial.last_doc
        ).where(among(Serial.code, part))
        for row in locked(query) if lock else query:
            found[row.code] = row
    return found


def last_doc_types(rows: Iterable[Serial]) -> dict[int, str]:
    ids = sorted({row.last_doc_id for row in rows if row.last_doc_id})
    types: dict[int, str] = {}
    for part in chunks(ids):
        types.update(Document.select(Document.id, Document.type).where(among(Document.id, part)).tuples())
    return types


def whole(qty: Decimal) -> bool:
    return qty == qty.to_integral_value()


# ---------------------------------------------------------------- per-serial rules


def serial_rule(
    doc_type: str,
    role: str,
    item_id: int,
    warehouse_id: int,
    row: Serial | None,
    last_type: str | None,
) -> str | None:
    """The rule one serial breaks in this place of a document, or None.

    ``role`` is ``serial`` for an ordinary line, ``add``/``remove`` for adjustments.
    A serial whose movements are all voided (no ``last_doc``) counts as never seen.
    """
    if row is not None and row.item_id != item_id:
        return "serial_item_mismatch"
    in_stock = row is not None and row.status == IN_STOCK
    here = in_stock and row.warehouse_id == warehouse_id
    seen = row is not None and row.last_doc_id is not None
    if doc_type in ("opening", "purchase") or role == "add":
        return "already_in_stock" if in_stock else None
    if doc_type == "sale_return":
        if in_stock:
            return "already_in_stock"
        return None if seen and last_type == "sale" else "not_returnable"
    if doc_type == "count":
        return "serial_warehouse_mismatch" if in_stock and not here else None
    # taken out of this warehouse: sale, purchase return, transfer, adjustment remove
    if here:
        return None
    if in_stock:
        return "serial_warehouse_mismatch"
    if doc_type in OUTBOUND and not seen:
        return None  # takes one unserialized unit (checked with the stock)
    return "not_in_stock"


RULE_TEXT = {
    "serial_item_mismatch": "belongs to another SKU",
    "already_in_stock": "is already in stock",
    "not_returnable": "was not sold, so it cannot be returned",
    "serial_warehouse_mismatch": "is in stock in another warehouse",
    "not_in_stock": "is not in stock here",
    "code_conflict": "is a carton code",
}


# ---------------------------------------------------------------- posting


@dataclass
class Effect:
    """One movement to write: a serial going in or out of a warehouse."""

    code: str
    line: int  # index into plan.lines
    direction: str
    warehouse_id: int
    role: str = ""


@dataclass
class LinePlan:
    source: LineIn
    item: Item
    unit: str
    factor: Decimal
    qty: Decimal = Decimal(0)
    base_qty: Decimal = Decimal(0)
    serials: list[str] = field(default_factory=list)  # after carton expansion
    foreign: set[str] = field(default_factory=set)  # from cartons of another SKU
    delta: Decimal = Decimal(0)
    to_delta: Decimal = Decimal(0)


@dataclass
class Plan:
    doc: DocumentIn
    warehouse: Warehouse
    to_warehouse: Warehouse | None
    lines: list[LinePlan]
    effects: list[Effect] = field(default_factory=list)
    rows: dict[str, Serial] = field(default_factory=dict)
    item_of: dict[str, int] = field(default_factory=dict)  # code -> item id, for new serials
    stock: dict[tuple[int, int], Stock] = field(default_factory=dict)


def post(document: DocumentIn | dict, *, station: str, operator: str, key: str | None = None) -> Document:
    """Post one document atomically; raise the first rule it breaks, changing nothing.

    ``key`` is the poster's own id for this document: posting again with a key already
    posted returns that document and posts nothing, so a station that lost its
    connection in the middle of a post can safely post again.
    """
    doc = document if isinstance(document, DocumentIn) else parse_document(document)
    return write_transaction(lambda: _post(doc, station, operator, key))


def _post(doc: DocumentIn, station: str, operator: str, key: str | None = None) -> Document:
    if key is not None:
        already = Document.get_or_none(Document.key == key)
        if already is not None:
            return already
    plan = _resolve(doc)
    _check_input(plan)
    _check_serials(plan)
    _check_stock(plan)
    document = _write(plan, station, operator, key)
    audit.record(
        audit.Actor(station, operator),
        "adjust" if doc.type == "adjustment" else "post",
        document.number,
        f"{doc.type} {plan.warehouse.code}: {len(plan.lines)} lines, {len({e.code for e in plan.effects})} serials",
    )
    return document


def _resolve(doc: DocumentIn) -> Plan:
    codes_wh = [doc.warehouse] + ([doc.to_warehouse] if doc.to_warehouse else [])
    warehouses = {w.code: w for w in Warehouse.select().where(Warehouse.code.in_(codes_wh))}
    skus = sorted({line.sku for line in doc.lines})
    items = {i.sku: i for i in Item.select().where(Item.sku.in_(skus))}
    packs: dict[int, dict[str, Decimal]] = {}
    for pack in ItemUnit.select().where(ItemUnit.item.in_([i.id for i in items.values()])):
        packs.setdefault(pack.item_id, {})[pack.unit] = pack.factor
    switch_on = serial_management_on()

    lines: list[LinePlan] = []
    for line in doc.lines:
        item = items.get(line.sku)
        if item is None:
            continue
        unit = line.unit or item.unit
        factor = Decimal(1) if unit == item.unit else packs.get(item.id, {}).get(unit)
        if factor is None:
            raise KioskError("bad_request", f"line {line.number}: {line.sku} has no unit {unit!r}")
        if switch_on and line.has_serial_input and not item.serial:
            raise KioskError(
                "bad_request", f"line {line.number}: {line.sku} is not serial-managed; give no serials"
            )
        lines.append(LinePlan(line, item, unit, factor))

    missing_wh = [code for code in codes_wh if code not in warehouses]
    if missing_wh:
        raise KioskError("unknown_warehouse", f"no warehouse {missing_wh[0]!r}")
    missing = [line.sku for line in doc.lines if line.sku not in items]
    if missing:
        raise KioskError("unknown_item", f"no item with SKU {missing[0]!r}")
    if not switch_on and any(line.has_serial_input for line in doc.lines):
        raise KioskError(
            "serial_management_disabled", "serial management is off; documents carry no serials"
        )
    return Plan(
        doc=doc,
        warehouse=warehouses[doc.warehouse],
        to_warehouse=warehouses.get(doc.to_warehouse) if doc.to_warehouse else None,
        lines=lines,
    )


def _check_input(plan: Plan) -> None:
    """Codes, cartons, counts and units: everything knowable before reading serials."""
    codelib.require_valid([c for lp in plan.lines for c in lp.source.codes])
    wanted = sorted({c for lp in plan.lines for c in lp.source.cartons})
    cartons: dict[str, Carton] = {}
    contents: dict[int, list[str]] = {}
    if wanted:
        valid = [c for c in wanted if codelib.is_valid(c)]  # no other code can be a carton's
        cartons = {c.code: c for c in Carton.select().where(Carton.code.in_(valid))}
        unknown = [c for c in wanted if c not in cartons]
        if unknown:
            raise KioskError("unknown_carton", "no carton " + ", ".join(map(repr, unknown)), unknown)
        query = (
            CartonSerial.select(CartonSerial.carton, CartonSerial.code)
            .where(CartonSerial.carton.in_([c.id for c in cartons.values()]))
            .order_by(CartonSerial.carton, CartonSerial.position)
        )
        for carton_id, code in query.tuples():
            contents.setdefault(carton_id, []).append(code)
        # a carton binds its serials to its SKU: on another SKU's line they break
        # serial_item_mismatch, a per-serial rule reported in its place in the order
        for lp in plan.lines:
            for code in lp.source.cartons:
                carton = cartons[code]
                if carton.item_id != lp.item.id:
                    lp.foreign.update(contents[carton.id])
    for lp in plan.lines:
        lp.serials = lp.source.serials + [
            c for code in lp.source.cartons for c in contents[cartons[code].id]
        ]
    every = [c for lp in plan.lines for c in lp.serials + lp.source.remove + lp.source.add]
    codelib.check(every)  # too_many_serials, then duplicate_in_input, after expansion

    doc_type = plan.doc.type
    for lp in plan.lines:
        if doc_type in ("sale", "sale_return") and lp.item.serial and lp.unit != lp.item.unit:
            raise KioskError(
                "base_unit_required",
                f"line {lp.source.number}: {doc_type.replace('_', ' ')}s of serial-managed "
                f"{lp.item.sku} use its base unit {lp.item.unit!r}",
            )
    for lp in plan.lines:
        _line_quantity(doc_type, lp)


def _line_quantity(doc_type: str, lp: LinePlan) -> None:
    where = f"line {lp.source.number}: "
    n = len(lp.serials)
    if doc_type == "adjustment":
        return  # changes no quantity; add ≤ remove + unserialized is a stock check
    lp.qty = lp.source.qty if lp.source.qty is not None else Decimal(n)
    lp.base_qty = lp.qty * lp.factor
    if lp.item.serial and not whole(lp.base_qty):
        raise KioskError(
            "quantity_mismatch",
            f"{where}{lp.item.sku} is serial-managed; {lp.base_qty.normalize()} {lp.item.unit} is not whole",
        )
    if n > lp.base_qty:
        raise KioskError(
            "quantity_mismatch", f"{where}{n} serials for a quantity of {lp.base_qty.normalize()}", lp.serials
        )
    if doc_type in ("sale", "sale_return") and lp.item.serial and n < lp.base_qty:
        raise KioskError(
            "serials_required",
            f"{where}a {doc_type.replace('_', ' ')} of {lp.item.sku} needs one serial per unit: "
            f"{n} given for {lp.base_qty.normalize()}",
        )


def _check_serials(plan: Plan) -> None:
    """Each serial against its rule, in document order; the first rule broken is reported."""
    doc_type = plan.doc.type
    named = [(i, lp, role, code) for i, lp in enumerate(plan.lines) for role, code in _named(lp)]
    if not named:
        return
    plan.rows = serials_by_code([code for *_, code in named], lock=True)
    types = last_doc_types(r for r in plan.rows.values()) if doc_type == "sale_return" else {}
    new_codes = [code for *_, code in named if code not in plan.rows]
    cartons = set()
    for part in chunks(new_codes):
        cartons.update(Carton.select(Carton.code).where(among(Carton.code, part)).tuples())
    cartons = {c for (c,) in cartons}

    failing: dict[str, list[str]] = {}
    for index, lp, role, code in named:
        row = plan.rows.get(code)
        if code in cartons:
            rule = "code_conflict"
        elif code in lp.foreign:
            rule = "serial_item_mismatch"
        else:
            rule = serial_rule(
                doc_type, role, lp.item.id, plan.warehouse.id, row, types.get(row.last_doc_id) if row else None
            )
        if rule:
            failing.setdefault(rule, []).append(code)
            continue
        if row is None:
            plan.item_of[code] = lp.item.id
        plan.effects.extend(_effects(plan, index, role, code, row))
    if failing:
        rule, codes = next(iter(failing.items()))
        raise KioskError(
            rule,
            ", ".join(codes[:10]) + (f" and {len(codes) - 10} more" if len(codes) > 10 else "")
            + f": {RULE_TEXT[rule]}",
            codes,
        )


def _named(lp: LinePlan) -> list[tuple[str, str]]:
    if lp.source.add or lp.source.remove:
        return [("remove", c) for c in lp.source.remove] + [("add", c) for c in lp.source.add]
    return [("serial", c) for c in lp.serials]


def _effects(plan: Plan, index: int, role: str, code: str, row: Serial | None) -> list[Effect]:
    wh = plan.warehouse.id
    doc_type = plan.doc.type
    if doc_type in INBOUND or role == "add":
        return [Effect(code, index, "in", wh, "add" if role == "add" else "")]
    if role == "remove":
        return [Effect(code, index, "out", wh, "remove")]
    if doc_type == "transfer":
        return [Effect(code, index, "out", wh), Effect(code, index, "in", plan.to_warehouse.id)]
    if doc_type == "count":
        in_here = row is not None and row.status == IN_STOCK
        return [] if in_here else [Effect(code, index, "in", wh, "gained")]
    return [Effect(code, index, "out", wh)]


def _check_stock(plan: Plan) -> None:
    doc_type = plan.doc.type
    wh = plan.warehouse.id
    keys = {(lp.item.id, wh) for lp in plan.lines}
    if plan.to_warehouse:
        keys |= {(lp.item.id, plan.to_warehouse.id) for lp in plan.lines}
    for item_id in sorted({k[0] for k in keys}):
        query = Stock.select().where(Stock.item == item_id, Stock.warehouse.in_(sorted({k[1] for k in keys})))
        for row in locked(query):
            plan.stock[(row.item_id, row.warehouse_id)] = row
    for key in keys:
        plan.stock.setdefault(key, Stock(item=key[0], warehouse=key[1], on_hand=Decimal(0), serials_in_stock=0))

    for index, lp in enumerate(plan.lines):
        effects = [e for e in plan.effects if e.line == index]
        st = plan.stock[(lp.item.id, wh)]
        where = f"line {lp.source.number}: "
        if doc_type in INBOUND:
            st.on_hand += lp.base_qty
            st.serials_in_stock += len(effects)
            lp.delta = lp.base_qty
        elif doc_type == "count":
            _count_line(plan, lp, st)
        elif doc_type == "adjustment":
            adds = sum(1 for e in effects if e.role == "add")
            removes = sum(1 for e in effects if e.role == "remove")
            unserialized = st.on_hand - st.serials_in_stock
            if adds > removes + unserialized:
                raise KioskError(
                    "quantity_mismatch",
                    f"{where}{adds} serials added but only {removes} removed and "
                    f"{unserialized.normalize()} unserialized on hand",
                    [e.code for e in effects if e.role == "add"],
                )
            st.serials_in_stock += adds - removes
        else:  # out of this warehouse: sale, purchase_return, transfer
            outs = [e for e in effects if e.direction == "out"]
            taken = [e.code for e in outs if plan.rows.get(e.code) is not None and plan.rows[e.code].status == IN_STOCK]
            unseen = [e.code for e in outs if e.code not in taken]
            rest = lp.base_qty - len(outs)
            if lp.item.serial:
                unserialized = st.on_hand - st.serials_in_stock
                if len(unseen) > unserialized:
                    raise KioskError(
                        "not_in_stock",
                        f"{where}{', '.join(unseen[:10])}: not in stock and no unserialized "
                        f"{lp.item.sku} left in {plan.warehouse.code}",
                        unseen,
                    )
                if rest > unserialized - len(unseen):
                    raise KioskError(
                        "serials_required",
                        f"{where}{rest.normalize()} {lp.item.sku} without serials but only "
                        f"{(unserialized - len(unseen)).normalize()} unserialized in {plan.warehouse.code}",
                    )
                if st.on_hand - lp.base_qty < 0:  # pragma: no cover - implied by the two checks above
                    raise KioskError("insufficient_stock", f"{where}not enough {lp.item.sku} on hand")
            st.on_hand -= lp.base_qty
            st.serials_in_stock -= len(taken)
            lp.delta = -lp.base_qty
            if doc_type == "transfer":
                dest = plan.stock[(lp.item.id, plan.to_warehouse.id)]
                dest.on_hand += lp.base_qty
                dest.serials_in_stock += len(outs)
                lp.to_delta = lp.base_qty


def _count_line(plan: Plan, lp: LinePlan, st: Stock) -> None:
    """The counted serials become the in-stock set here; on hand becomes the counted qty.

    A count line of a serial-managed item that names no serials counts none: every
    serial in stock here is ``lost`` and on hand becomes ``qty``, all unserialized
    (SPEC §3 makes serials optional but the counted set the in-stock set; keeping
    uncounted serials could leave fewer units on hand than serials in stock).
    """
    counted = set(lp.serials)
    if lp.item.serial:
        query = Serial.select().where(
            Serial.item == lp.item.id, Serial.warehouse == plan.warehouse.id, Serial.status == IN_STOCK
        )
        lost = [row for row in locked(query).order_by(Serial.code) if row.code not in counted]
        for row in lost:
            plan.rows[row.code] = row
            plan.effects.append(Effect(row.code, plan.lines.index(lp), "out", plan.warehouse.id, "lost"))
        st.serials_in_stock = len(counted)
    lp.delta = lp.base_qty - st.on_hand
    st.on_hand = lp.base_qty


def _write(plan: Plan, station: str, operator: str, key: str | None = None) -> Document:
    now = utcnow()
    doc = plan.doc
    document = Document.create(
        type=doc.type,
        warehouse=plan.warehouse,
        to_warehouse=plan.to_warehouse,
        partner=doc.partner,
        note=doc.note,
        station=station,
        operator=operator,
        posted_at=now,
        key=key,
    )
    document.number = f"{PREFIX[doc.type]}-{document.id:06d}"
    document.save(only=[Document.number])
    line_ids = []
    for lp in plan.lines:
        line = DocLine.create(
            document=document,
            line_no=lp.source.number,
            item=lp.item,
            qty=lp.qty,
            unit=lp.unit,
            base_qty=lp.base_qty,
            delta=lp.delta,
            to_delta=lp.to_delta,
            serials="\n".join(lp.serials if doc.type != "adjustment" else []),
        )
        line_ids.append(line.id)

    # the state each serial ends in: its last effect in this document
    final: dict[str, Effect] = {}
    for effect in plan.effects:
        final[effect.code] = effect
    new = [code for code in final if code not in plan.rows]
    insert_rows(
        Serial,
        [Serial.code, Serial.item, Serial.status, Serial.warehouse, Serial.last_doc, Serial.updated_at],
        [(code, plan.item_of[code], *_state(final[code]), document.id, now) for code in new],
    )
    created: dict[int, int] = {}
    for code in new:
        created[plan.item_of[code]] = created.get(plan.item_of[code], 0) + 1
    for item_id, n in sorted(created.items()):  # in id order: two posts never lock items crosswise
        Item.update(serial_count=Item.serial_count + n).where(Item.id == item_id).execute()
    ids = {code: row.id for code, row in plan.rows.items()}
    for part in chunks(new):
        ids.update(Serial.select(Serial.code, Serial.id).where(among(Serial.code, part)).tuples())
    groups: dict[tuple[str, int | None], list[int]] = {}
    for code, effect in final.items():
        if code in plan.rows:
            groups.setdefault(_state(effect), []).append(ids[code])
    for (status, warehouse_id), serial_ids in groups.items():
        for part in chunks(serial_ids):
            Serial.update(
                status=status, warehouse=warehouse_id, last_doc=document.id, updated_at=now
            ).where(among(Serial.id, part)).execute()
    movements = [
        (ids[e.code], document.id, line_ids[e.line], e.direction, e.warehouse_id, e.role, False, now)
        for e in plan.effects
    ]
    insert_rows(
        Movement,
        [
            Movement.serial,
            Movement.document,
            Movement.line,
            Movement.direction,
            Movement.warehouse,
            Movement.role,
            Movement.voided,
            Movement.at,
        ],
        movements,
    )
    save_stock(plan.stock.values())
    return document


def _state(effect: Effect) -> tuple[str, int | None]:
    return (IN_STOCK, effect.warehouse_id) if effect.direction == "in" else (OUT, None)


def save_stock(rows: Iterable[Stock]) -> None:
    for row in rows:
        if row.id is None:
            row.save(force_insert=True)
        else:
            row.save(only=[Stock.on_hand, Stock.serials_in_stock])


# ---------------------------------------------------------------- voiding


def void(number: str, *, operator: str, station: str = "") -> Document:
    """Undo a posted document completely, latest first (SPEC §3 "Voiding")."""
    return write_transaction(lambda: _void(number, operator, station))


def _void(number: str, operator: str, station: str = "") -> Document:
    document = locked(Document.select().where(Document.number == number)).first()
    if document is None:
        raise KioskError("unknown_document", f"no document {number!r}")
    if document.status == "voided":
        raise KioskError("already_voided", f"{number} is already voided")
    moves = list(
        Movement.select(Movement.id, Movement.serial, Movement.direction, Movement.warehouse)
        .where(Movement.document == document.id)
        .order_by(Movement.id)
    )
    serial_ids = sorted({m.serial_id for m in moves})
    # lock the serials before reading their later movements: a station posting one of
    # them now either commits first (and the void-order check sees it) or waits for us
    rows = {}
    for part in chunks(serial_ids):
        rows.update({s.id: s for s in locked(Serial.select().where(Serial.id.in_(part)))})
    if moves:
        _check_void_order(document, moves, serial_ids)

    # serial state before this document: its latest non-voided movement elsewhere
    before: dict[int, tuple[str, int | None, int | None]] = {sid: (OUT, None, None) for sid in serial_ids}
    for part in chunks(serial_ids):
        latest = (
            Movement.select(Movement.serial, fn.MAX(Movement.id).alias("last"))
            .where(Movement.serial.in_(part), Movement.voided == False, Movement.document != document.id)  # noqa: E712
            .group_by(Movement.serial)
        )
        query = Movement.select(Movement.serial, Movement.direction, Movement.warehouse, Movement.document).where(
            Movement.id.in_([last for _, last in latest.tuples()])
        )
        for sid, direction, wh, doc_id in query.tuples():
            before[sid] = (IN_STOCK, wh, doc_id) if direction == "in" else (OUT, None, doc_id)

    lines = list(DocLine.select().where(DocLine.document == document.id))
    stock: dict[tuple[int, int], Stock] = {}
    keys = {(line.item_id, document.warehouse_id) for line in lines}
    if document.to_warehouse_id:
        keys |= {(line.item_id, document.to_warehouse_id) for line in lines}
    keys |= {(s.item_id, s.warehouse_id) for s in rows.values() if s.warehouse_id}
    keys |= {(rows[sid].item_id, wh) for sid, (_, wh, _) in before.items() if wh}
    for item_id in sorted({k[0] for k in keys}):
        query = Stock.select().where(Stock.item == item_id)
        for row in locked(query):
            stock[(row.item_id, row.warehouse_id)] = row
    for key in keys:
        stock.setdefault(key, Stock(item=key[0], warehouse=key[1], on_hand=Decimal(0), serials_in_stock=0))

    for line in lines:
        stock[(line.item_id, document.warehouse_id)].on_hand -= line.delta
        if document.to_warehouse_id:
            stock[(line.item_id, document.to_warehouse_id)].on_hand -= line.to_delta
    for sid, serial in rows.items():
        if serial.status == IN_STOCK:
            stock[(serial.item_id, serial.warehouse_id)].serials_in_stock -= 1
        status, wh, _ = before[sid]
        if status == IN_STOCK:
            stock[(serial.item_id, wh)].serials_in_stock += 1
    items = {i.id: i for i in Item.select().where(Item.id.in_(sorted({k[0] for k in keys})))}
    for (item_id, wh), row in sorted(stock.items()):
        item = items[item_id]
        if item.serial and (row.on_hand < 0 or row.on_hand < row.serials_in_stock):
            warehouse = Warehouse.get_by_id(wh)
            raise KioskError(
                "insufficient_stock",
                f"voiding {number} would leave {item.sku} in {warehouse.code} with "
                f"{row.on_hand.normalize()} on hand for {row.serials_in_stock} serials in stock",
            )

    now = utcnow()
    groups: dict[tuple[str, int | None, int | None], list[int]] = {}
    for sid, state in before.items():
        groups.setdefault(state, []).append(sid)
    for (status, wh, last_doc), ids in groups.items():
        for part in chunks(ids):
            Serial.update(status=status, warehouse=wh, last_doc=last_doc, updated_at=now).where(
                Serial.id.in_(part)
            ).execute()
    Movement.update(voided=True).where(Movement.document == document.id).execute()
    save_stock(stock.values())
    document.status = "voided"
    document.voided_at = now
    document.voided_by = operator
    document.save(only=[Document.status, Document.voided_at, Document.voided_by])
    audit.record(audit.Actor(station, operator), "void", number, document.type)
    return document


def _check_void_order(document: Document, moves: list[Movement], serial_ids: list[int]) -> None:
    last_id = moves[-1].id
    blocking: dict[str, list[str]] = {}
    for part in chunks(serial_ids):
        query = (
            Movement.select(Serial.code, Document.number)
            .join(Serial, on=(Movement.serial == Serial.id))
            .switch(Movement)
            .join(Document, on=(Movement.document == Document.id))
            .where(
                Movement.serial.in_(part),
                Movement.voided == False,  # noqa: E712
                Movement.id > last_id,
                Movement.document != document.id,
            )
            .order_by(Movement.id)
        )
        for code, later in query.tuples():
            blocking.setdefault(code, [])
            if later not in blocking[code]:
                blocking[code].append(later)
    if blocking:
        later_docs = list(dict.fromkeys(n for docs in blocking.values() for n in docs))
        raise KioskError(
            "void_order",
            f"void {', '.join(later_docs)} first: "
            + ", ".join(list(blocking)[:10])
            + f" moved there after {document.number}",
            list(blocking),
            documents=later_docs,
        )
