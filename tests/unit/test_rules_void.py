"""SPEC §3 "Voiding": a void undoes a document completely, latest document first."""

from __future__ import annotations

import threading

from rules_support import (  # noqa: F401
    buy,
    check_invariants,
    line,
    post,
    refused,
    refused_post,
    sell,
    snapshot,
    state,
    states,
    stock,
    world,
)

from kiosk.model.errors import KioskError
from kiosk.model.queries import SerialFilter


def refused_void(ledger, code: str, number: str):
    before = snapshot(ledger)
    error = refused(code, ledger.void, number)
    assert snapshot(ledger) == before
    return error


def test_void_purchase_undoes_it_and_history_keeps_it_marked(world):
    purchase = buy(world, "A1", "A2", qty=3)
    voided = world.void(purchase["number"])
    assert voided["status"] == "voided"
    assert world.document(purchase["number"])["status"] == "voided"
    assert stock(world, "PHN") == (0, 0)
    found = world.history("A1")
    assert (found["sku"], found["status"], found["warehouse"]) == ("PHN", "out", None)
    assert [(m["doc"], m["direction"], m["voided"]) for m in found["movements"]] == [(purchase["number"], "in", True)]
    row = world.search(SerialFilter(serial="A1"))["results"][0]
    assert (row["status"], row["warehouse"], row["last_doc"], row["last_doc_type"]) == ("out", None, None, None)


def test_void_sale_puts_the_serials_back(world):
    buy(world, "A1", "A2")
    sale = sell(world, "A1", "A2")
    world.void(sale["number"])
    assert states(world, "A1", "A2") == dict.fromkeys(["A1", "A2"], ("in_stock", "MAIN"))
    assert stock(world, "PHN") == (2, 2)
    row = world.search(SerialFilter(serial="A1"))["results"][0]
    assert row["last_doc_type"] == "purchase"
    sell(world, "A1")  # in stock again: can be sold again


def test_void_order_names_blocking_serials_and_documents(world):
    purchase = buy(world, "A1", "A2", "A3")
    sale = sell(world, "A1")
    transfer = post(world, "transfer", line(serials=["A3"]), to_warehouse="WEST")
    error = refused_void(world, "void_order", purchase["number"])
    assert sorted(error.serials) == ["A1", "A3"]
    assert sorted(error.extra["documents"]) == sorted([sale["number"], transfer["number"]])
    assert error.as_json()["error"]["documents"] == error.extra["documents"]
    world.void(sale["number"])
    error = refused_void(world, "void_order", purchase["number"])
    assert (error.serials, error.extra["documents"]) == (["A3"], [transfer["number"]])
    world.void(transfer["number"])
    world.void(purchase["number"])
    assert stock(world, "PHN") == (0, 0)
    assert stock(world, "PHN", "WEST") == (0, 0)


def test_void_twice_and_unknown_documents(world):
    purchase = buy(world, "A1")
    world.void(purchase["number"])
    refused_void(world, "already_voided", purchase["number"])
    refused_void(world, "unknown_document", "PUR-999999")


def test_void_that_takes_on_hand_below_zero_is_insufficient_stock(world):
    purchase = buy(world, qty=2)
    sell(world, "X1")  # never seen: takes an unserialized unit
    refused_void(world, "insufficient_stock", purchase["number"])


def test_void_that_takes_on_hand_below_in_stock_serials_is_insufficient_stock(world):
    purchase = buy(world, qty=1)
    post(world, "adjustment", {"sku": "PHN", "add": ["A1"]})  # the unserialized unit gets a serial
    assert stock(world, "PHN") == (1, 1)
    refused_void(world, "insufficient_stock", purchase["number"])


def test_non_serial_items_may_go_negative_when_voiding(world):
    purchase = post(world, "purchase", line("CBL", qty=2))
    post(world, "sale", line("CBL", qty=2))
    world.void(purchase["number"])
    assert stock(world, "CBL") == (-2, 0)


def test_an_all_voided_serial_stays_bound_and_counts_as_never_seen(world):
    purchase = buy(world, "A1")
    world.void(purchase["number"])
    refused_post(world, "serial_item_mismatch", "purchase", line("TAB", ["A1"]))
    refused_post(world, "not_returnable", "sale_return", line(serials=["A1"]))
    refused_post(world, "not_in_stock", "transfer", line(serials=["A1"]), to_warehouse="WEST")
    refused_post(world, "not_in_stock", "sale", line(serials=["A1"]))  # no unserialized unit
    buy(world, qty=1)
    sell(world, "A1")  # never seen: takes the unserialized unit
    assert stock(world, "PHN") == (0, 0)
    assert [m["voided"] for m in world.history("A1")["movements"]] == [True, False]


def test_voided_later_movements_do_not_block_and_returns_follow_the_latest_live_sale(world):
    buy(world, "A1")
    sale = sell(world, "A1")
    ret = post(world, "sale_return", line(serials=["A1"]))
    refused_void(world, "void_order", sale["number"])
    world.void(ret["number"])
    assert state(world, "A1") == ("out", None)
    post(world, "sale_return", line(serials=["A1"]))  # the latest live movement is the sale again
    assert state(world, "A1") == ("in_stock", "MAIN")


def test_void_transfer_moves_everything_back(world):
    buy(world, "A1", qty=3)
    transfer = post(world, "transfer", line(serials=["A1"], qty=2), to_warehouse="WEST")
    world.void(transfer["number"])
    assert state(world, "A1") == ("in_stock", "MAIN")
    assert stock(world, "PHN") == (3, 1)
    assert stock(world, "PHN", "WEST") == (0, 0)


def test_void_count_restores_lost_and_removes_gained(world):
    buy(world, "A1", "A2", qty=4)
    count = post(world, "count", line(serials=["A1", "G1"]))
    world.void(count["number"])
    assert states(world, "A1", "A2", "G1") == {
        "A1": ("in_stock", "MAIN"), "A2": ("in_stock", "MAIN"), "G1": ("out", None),
    }
    assert stock(world, "PHN") == (4, 2)


def test_void_adjustment_swaps_back(world):
    buy(world, "A1", qty=2)
    adjustment = post(world, "adjustment", {"sku": "PHN", "add": ["B1", "B2"], "remove": ["A1"]})
    world.void(adjustment["number"])
    assert states(world, "A1", "B1", "B2") == {"A1": ("in_stock", "MAIN"), "B1": ("out", None), "B2": ("out", None)}
    assert stock(world, "PHN") == (2, 1)


def test_a_return_racing_the_void_of_its_sale_never_brings_a_serial_in_twice(world, monkeypatch):
    """Voiding a sale while another station returns the same serial: one of them loses.

    The void is held just after its void-order check; the return is posted then. Either
    the return waits for the void (and finds the serial in stock again) or the void must
    see the return; never both in.
    """
    from kiosk.model import ledger as ledger_module
    from kiosk.model.tables import db

    buy(world, "A1")
    sale = sell(world, "A1")
    checked, returned = threading.Event(), threading.Event()
    real = ledger_module._check_void_order

    def held_check(*args):
        real(*args)
        checked.set()
        returned.wait(1.0)

    monkeypatch.setattr(ledger_module, "_check_void_order", held_check)
    outcome: list[str] = []

    def void() -> None:
        try:
            world.void(sale["number"])
            outcome.append("voided")
        except KioskError as error:
            outcome.append(error.code)
        finally:
            db.close()

    voider = threading.Thread(target=void)
    voider.start()
    assert checked.wait(10)
    try:
        post(world, "sale_return", line(serials=["A1"]))
        outcome.append("returned")
    except KioskError as error:
        outcome.append(error.code)
    returned.set()
    voider.join(10)
    assert sorted(outcome) in (["already_in_stock", "voided"], ["returned", "void_order"]), outcome
    check_invariants()
    assert stock(world, "PHN") == (1, 1)
