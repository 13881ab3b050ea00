"""The peewee models: one schema for SQLite and PostgreSQL (core field types only).

The schema itself is created by the numbered files in ``kiosk/model/migrations``;
``tests/unit/test_schema.py`` checks that these models and the migrated schema agree.

Derived counters are kept where the hot paths need them: ``Stock.serials_in_stock``
makes "unserialized = on hand − in-stock serials" one row read instead of a count over
a million serials, and ``Serial.status``/``warehouse``/``last_doc`` are the serial's
state after its latest non-voided movement, so a scan is validated by one indexed read.
"""

from __future__ import annotations

import datetime as dt

from peewee import (
    BlobField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

db = DatabaseProxy()

IN_STOCK = "in_stock"
OUT = "out"


def utcnow() -> dt.datetime:
    """Naive UTC, microseconds kept: the one clock every row is stamped with."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def Quantity(**kwargs) -> DecimalField:
    return DecimalField(max_digits=20, decimal_places=6, auto_round=True, **kwargs)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Setting(BaseModel):
    key = CharField(max_length=64, primary_key=True)
    value = TextField()


class Warehouse(BaseModel):
    code = CharField(max_length=32, unique=True)
    name = TextField(default="")


class Item(BaseModel):
    sku = CharField(max_length=64, unique=True)
    name = TextField()
    unit = CharField(max_length=16)
    serial = BooleanField(default=False)
    batch = BooleanField(default=False)
    shelf_life = BooleanField(default=False)
    bundle = BooleanField(default=False)
    # serial rows of this item (they are never deleted): with Stock.serials_in_stock,
    # a search by SKU, status or warehouse is totalled without counting serial rows
    serial_count = IntegerField(default=0)


class ItemUnit(BaseModel):
    """A pack unit: one ``unit`` is ``factor`` base units."""

    item = ForeignKeyField(Item, backref="packs", on_delete="CASCADE")
    unit = CharField(max_length=16)
    factor = Quantity()

    class Meta:
        indexes = ((("item", "unit"), True),)


class Barcode(BaseModel):
    code = CharField(max_length=128, unique=True)
    item = ForeignKeyField(Item, backref="barcodes", on_delete="CASCADE")


class Stock(BaseModel):
    item = ForeignKeyField(Item)
    warehouse = ForeignKeyField(Warehouse)
    on_hand = Quantity(default=0)
    serials_in_stock = IntegerField(default=0)

    class Meta:
        indexes = ((("item", "warehouse"), True),)


class Document(BaseModel):
    number = CharField(max_length=32, unique=True, null=True)
    type = CharField(max_length=16)
    warehouse = ForeignKeyField(Warehouse)
    to_warehouse = ForeignKeyField(Warehouse, null=True)
    partner = TextField(null=True)
    note = TextField(null=True)
    station = CharField(max_length=64)
    operator = CharField(max_length=64)
    posted_at = DateTimeField(default=utcnow, index=True)
    status = CharField(max_length=8, default="posted")
    voided_at = DateTimeField(null=True)
    voided_by = CharField(max_length=64, null=True)
    # the poster's own id for this document: a post retried after a lost connection
    # finds the first one instead of posting twice
    key = CharField(max_length=64, unique=True, null=True)

    class Meta:
        indexes = ((("type", "posted_at"), False),)


class DocLine(BaseModel):
    """One line; ``delta``/``to_delta`` are what it did to on hand, so a void can undo it."""

    document = ForeignKeyField(Document, backref="lines", on_delete="CASCADE")
    line_no = IntegerField()
    item = ForeignKeyField(Item)
    qty = Quantity()
    unit = CharField(max_length=16)
    base_qty = Quantity()
    delta = Quantity(default=0)
    to_delta = Quantity(default=0)
    serials = TextField(default="")  # the codes as given (after carton expansion), one a line

    class Meta:
        indexes = ((("document", "line_no"), True),)


class Serial(BaseModel):
    # item and warehouse are looked up through the composite indexes they begin;
    # nothing looks serials up by last_doc (migration 0004 dropped the lone indexes)
    code = CharField(max_length=100, unique=True)
    item = ForeignKeyField(Item, index=False)
    status = CharField(max_length=8, default=OUT)
    warehouse = ForeignKeyField(Warehouse, null=True, index=False)
    last_doc = ForeignKeyField(Document, null=True, index=False)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("item", "warehouse", "status", "code"), False),
            (("item", "code"), False),  # search by SKU, sorted by serial
            (("warehouse", "code"), False),
            (("status", "code"), False),
            (("updated_at",), False),
        )


class Movement(BaseModel):
    """One serial entering or leaving a warehouse through one document line."""

    serial = ForeignKeyField(Serial, index=False)  # (serial, id) below serves it
    document = ForeignKeyField(Document)
    line = ForeignKeyField(DocLine, index=False)
    direction = CharField(max_length=3)  # in | out
    warehouse = ForeignKeyField(Warehouse, index=False)
    role = CharField(max_length=8, default="")  # '' | gained | lost | add | remove
    voided = BooleanField(default=False)
    at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("serial", "id"), False),
            (("document",), False),
        )


class Carton(BaseModel):
    code = CharField(max_length=100, unique=True)
    item = ForeignKeyField(Item)
    created_at = DateTimeField(default=utcnow)


class CartonSerial(BaseModel):
    carton = ForeignKeyField(Carton, backref="entries", on_delete="CASCADE")
    position = IntegerField()
    code = CharField(max_length=100)

    class Meta:
        indexes = ((("carton", "position"), True),)


class Operator(BaseModel):
    """A person who signs in at a station; the PIN is kept only as a salted hash."""

    name = CharField(max_length=64, unique=True)
    role = CharField(max_length=16, default="operator")  # operator | supervisor
    pin_hash = TextField()
    failed_attempts = IntegerField(default=0)
    locked_until = DateTimeField(null=True)


class PrintJob(BaseModel):
    """A label or receipt, stored as the exact ESC/POS bytes before it is sent.

    The queue survives restarts and power cuts; a printer that is off or out of paper
    keeps its jobs ``queued`` and they are retried with back-off until printed once.
    """

    printer = CharField(max_length=64)
    kind = CharField(max_length=16)  # label | receipt | test | carton
    title = TextField(default="")  # what the job is, for the queue listing
    payload = BlobField()
    status = CharField(max_length=8, default="queued")  # queued | sending | done | failed
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    next_try_at = DateTimeField(default=utcnow)
    created_at = DateTimeField(default=utcnow)
    printed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "next_try_at"), False),)


class AuditEntry(BaseModel):
    """Who did what, where and when: posts, voids, setting and item changes, sign-ins."""

    at = DateTimeField(default=utcnow, index=True)
    station = CharField(max_length=64)
    operator = CharField(max_length=64)
    action = CharField(max_length=32)  # post | void | settings | item_serial | sign_in | sign_in_failed | …
    subject = TextField(default="")  # a document number, SKUs, a setting
    detail = TextField(default="")

    class Meta:
        indexes = ((("action", "at"), False), (("operator", "at"), False))


MODELS = [
    Setting,
    Warehouse,
    Item,
    ItemUnit,
    Barcode,
    Stock,
    Document,
    DocLine,
    Serial,
    Movement,
    Carton,
    CartonSerial,
    Operator,
    PrintJob,
    AuditEntry,
]
