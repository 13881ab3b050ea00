"""SPEC §3: which rule is reported when a document breaks several, and atomicity.

"When a document breaks several rules, the first in this order is reported: shape →
unknown references → serial_management_disabled → invalid_serial → unknown_carton →
too_many_serials → duplicate_in_input → base_unit_required → serial count against qty
→ per-serial rules, in the document's order → stock."
"""

from __future__ import annotations

import threading

import pytest
from rules_support import (  # noqa: F401
    buy,
    doc,
    line,
    post,
    refused,
    refused_post,
    sell,
    snapshot,
    stock,
    world,
)

from kiosk.model.errors import KioskError
from kiosk.model.queries import SerialFilter
from kiosk.model.tables import db

STATIONS = 4

MANY = [f"M{n}" for n in range(1001)]

# (expected, the later rule also broken, document type, lines, extra fields)
PAIRS = [
    ("bad_request", "unknown_item", "purchase", [line("NOPE", qty=1), line(qty=0)], {}),
    ("bad_request", "unknown_warehouse", "purchase", [line(qty=1, unit="crate")], {"warehouse": "EAST"}),
    ("bad_request", "unknown_item", "purchase", [line("NOPE", qty=1), line("CBL", ["X1"])], {}),
    ("unknown_item", "invalid_serial", "purchase", [line(serials=["bad code"]), line("NOPE", qty=1)], {}),
    ("unknown_warehouse", "invalid_serial", "transfer", [line(serials=["bad code"])], {"to_warehouse": "EAST"}),
    ("invalid_serial", "unknown_carton", "purchase", [line(cartons=["NOPE"]), line("TAB", ["序列"])], {}),
    ("invalid_serial", "too_many_serials", "purchase", [line(serials=MANY + ["bad code"])], {}),
    ("unknown_carton", "too_many_serials", "purchase", [line(serials=MANY, cartons=["NOPE"])], {}),
    ("too_many_serials", "duplicate_in_input", "purchase", [line(serials=MANY + ["M1"])], {}),
    ("duplicate_in_input", "base_unit_required", "sale", [line(serials=["A1", "A1"], unit="box", qty=1)], {}),
    ("duplicate_in_input", "code_conflict", "purchase", [line(serials=["BOX-1", "BOX-1"])], {}),
    ("base_unit_required", "quantity_mismatch", "sale", [line(serials=["A1", "A2"], qty=1), line(unit="box", qty=1, serials=["A3"])], {}),
    ("quantity_mismatch", "serial_item_mismatch", "sale", [line(serials=["T1", "A1"], qty=1)], {}),
    ("serials_required", "serial_warehouse_mismatch", "sale", [line(serials=["W1"]), line("TAB", qty=1)], {}),
    ("already_in_stock", "serial_item_mismatch", "purchase", [line(serials=["A1"]), line(serials=["T1"])], {}),
    ("serial_item_mismatch", "already_in_stock", "purchase", [line(serials=["T1"]), line(serials=["A1"])], {}),
    ("serial_item_mismatch", "already_in_stock", "sale_return", [line(serials=["T1"])], {}),  # T1 is a TAB in stock
    ("serial_warehouse_mismatch", "not_in_stock", "sale", [line(serials=["NEW"]), line(serials=["W1"])], {}),
    # a carton of another SKU is a per-serial rule (serial_item_mismatch), so it comes late too
    ("duplicate_in_input", "serial_item_mismatch", "purchase", [line(cartons=["BOX-T"]), line(serials=["X", "X"])], {}),
    ("base_unit_required", "serial_item_mismatch", "sale", [line(cartons=["BOX-T"]), line(unit="box", qty=1)], {}),
    ("quantity_mismatch", "serial_item_mismatch", "purchase", [line(cartons=["BOX-T"], serials=["X"], qty=1)], {}),
    ("already_in_stock", "serial_item_mismatch", "purchase", [line(serials=["A1"]), line(cartons=["BOX-T"])], {}),
    ("serial_item_mismatch", "already_in_stock", "purchase", [line(cartons=["BOX-T"]), line(serials=["A1"])], {}),
    ("not_in_stock", "serials_required", "purchase_return", [line(serials=["NEW"]), line("TAB", qty=5)], {}),
    ("serials_required", "not_in_stock", "purchase_return", [line("TAB", qty=5), line(serials=["NEW"])], {}),
]


def test_the_first_rule_in_spec_order_is_reported(world):
    buy(world, "A1")
    buy(world, "W1", warehouse="WEST")
    buy(world, "T1", sku="TAB")
    world.add_carton("BOX-1", "PHN", ["C1"])
    world.add_carton("BOX-T", "TAB", ["T5"])
    for expected, later, doc_type, lines, fields in PAIRS:
        before = snapshot(world)
        try:
            world.post(doc(doc_type, *lines, **fields))
        except KioskError as error:
            assert error.code == expected, f"{expected} before {later}: got {error!r}"
        else:
            raise AssertionError(f"{expected} before {later}: posted")
        assert snapshot(world) == before


def test_serial_management_disabled_comes_after_references_and_before_serial_rules(world):
    world.set_item_serial(["PHN", "TAB"], False)
    world.set_serial_management(False)
    refused_post(world, "unknown_item", "purchase", line("NOPE", qty=1), line(serials=["x"]))
    refused_post(world, "bad_request", "purchase", line(serials=["x"]), line(qty=-1))
    # neither invalid_serial nor "serials on a non-serial item" (bad_request): the switch is off
    refused_post(world, "serial_management_disabled", "purchase", line("CBL", ["bad code", "bad code"]))


def test_the_per_serial_rule_names_every_serial_breaking_it(world):
    buy(world, "A1", "A2")
    error = refused_post(world, "already_in_stock", "purchase", line(serials=["N1", "A2", "N2", "A1"]))
    assert error.serials == ["A2", "A1"]


# ---------------------------------------------------------------- atomicity


def test_a_document_with_one_bad_line_leaves_nothing_behind(world):
    buy(world, "A1", "A2", qty=3)
    # refused at the serial check, after line 1 was planned
    refused_post(world, "already_in_stock", "purchase", line(serials=["N1", "N2"]), line(serials=["A1"]))
    # refused at the stock check, after line 1's serials were planned to move
    refused_post(world, "serials_required", "transfer", line(serials=["A1"]), line("TAB", qty=2), to_warehouse="WEST")
    # refused at the count of line 2, after line 1 lost A2 and gained N1
    refused_post(world, "quantity_mismatch", "count", line(serials=["A1", "N1"]), line("TAB", ["T8", "T9"], qty=1))
    refused_post(world, "serials_required", "sale", line(serials=["A1"]), line("TAB", qty=1))
    assert stock(world, "PHN") == (3, 2)
    assert world.search(SerialFilter())["total"] == 2


@pytest.mark.parametrize(
    "doc_type, loser",
    [("purchase", "already_in_stock"), ("sale", "not_in_stock")],
)
def test_stations_posting_the_same_serial_at_once_one_wins(world, doc_type, loser):
    """Exactly one wins; the others get the rule's error, never a database error."""
    if doc_type == "sale":
        buy(world, "RACE", warehouse="WEST")
    barrier = threading.Barrier(STATIONS)
    outcomes: list[str] = []

    def station() -> None:
        barrier.wait()
        try:
            post(world, doc_type, line(serials=["RACE"]), warehouse="WEST")
            outcomes.append("posted")
        except KioskError as error:
            outcomes.append(error.code)
        except Exception as error:  # noqa: BLE001 - a database error is the failure being tested
            outcomes.append(repr(error))
        finally:
            db.close()

    threads = [threading.Thread(target=station) for _ in range(STATIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == sorted(["posted"] + [loser] * (STATIONS - 1))
    assert stock(world, "PHN", "WEST") == ((1, 1) if doc_type == "purchase" else (0, 0))
