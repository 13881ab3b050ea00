"""SPEC §4 (items, the global switch) and cartons (§1, §3)."""

from __future__ import annotations

import threading

from rules_support import (  # noqa: F401
    buy,
    line,
    post,
    refused,
    refused_post,
    sell,
    snapshot,
    stock,
    world,
)

from kiosk.model.catalog import ItemSpec
from kiosk.model.queries import SerialFilter

# ---------------------------------------------------------------- the global switch


def test_serial_management_is_on_in_a_new_database(ledger):
    assert ledger.settings() == {"serial_management": True}


def test_switch_cannot_turn_off_while_items_are_serial_managed(world):
    refused("serial_items_exist", world.set_serial_management, False)
    assert world.settings() == {"serial_management": True}
    world.set_item_serial(["PHN", "TAB"], False)
    assert world.set_serial_management(False) == {"serial_management": False}


def test_switch_off_refuses_serials_everywhere_but_reading_still_works(world, tmp_path):
    buy(world, "A1", "A2")
    world.add_carton("C1", "PHN", ["C-1"])
    world.set_item_serial(["PHN", "TAB"], False)
    world.set_serial_management(False)
    refused_post(world, "serial_management_disabled", "purchase", line(serials=["B1"]))
    refused_post(world, "serial_management_disabled", "purchase", line("CBL", ["B1"]))
    refused_post(world, "serial_management_disabled", "purchase", line(cartons=["C1"]))
    refused_post(world, "serial_management_disabled", "adjustment", {"sku": "PHN", "add": ["B1"]})
    refused("serial_management_disabled", world.add_carton, "C2", "PHN", ["B1"])
    refused("serial_management_disabled", world.set_item_serial, ["PHN"], True)
    refused("serial_management_disabled", world.add_item, ItemSpec("NEW", "New", serial=True))
    post(world, "sale", line(qty=1))  # documents without serials still post
    assert world.parse("X1 X2") == {"serials": ["X1", "X2"]}
    assert world.generate("A", 1, 3) == {"serials": ["A1", "A2", "A3"], "existing": ["A1", "A2"]}
    assert world.search(SerialFilter())["total"] == 2
    assert [m["type"] for m in world.history("A1")["movements"]] == ["purchase"]
    assert world.export(SerialFilter(), "csv", tmp_path / "out.csv")["exported"] == 2


# ---------------------------------------------------------------- enabling items


def test_item_enabling_refusals(ledger):
    ledger.add_item(ItemSpec("BAT", "Batch item", batch=True))
    ledger.add_item(ItemSpec("SHL", "Shelf-life item", shelf_life=True))
    ledger.add_item(ItemSpec("BDL", "Bundle", bundle=True))
    for sku, code in [("BAT", "tracking_conflict"), ("SHL", "tracking_conflict"), ("BDL", "bundle_not_supported")]:
        refused(code, ledger.set_item_serial, [sku], True)
    refused("tracking_conflict", ledger.add_item, ItemSpec("X1", "x", serial=True, batch=True))
    refused("tracking_conflict", ledger.add_item, ItemSpec("X2", "x", serial=True, shelf_life=True))
    refused("bundle_not_supported", ledger.add_item, ItemSpec("X3", "x", serial=True, bundle=True))
    refused("unknown_item", ledger.set_item_serial, ["NOPE"], True)
    assert [i["sku"] for i in ledger.items()] == ["BAT", "BDL", "SHL"]


def test_enabling_needs_whole_non_negative_stock_not_below_in_stock_serials(world):
    world.add_item(ItemSpec("NEG", "Negative"))
    world.add_item(ItemSpec("FRC", "Fraction"))
    world.add_item(ItemSpec("OK", "Fine"))
    post(world, "sale", line("NEG", qty=1), warehouse="WEST")
    post(world, "purchase", line("FRC", qty=2.5))
    post(world, "purchase", line("OK", qty=2))
    for sku in ("NEG", "FRC"):
        refused("invalid_stock_for_serial", world.set_item_serial, [sku], True)
    # serials stay in stock after disabling; sold without serials, on hand falls below them
    buy(world, "A1", "A2")
    world.set_item_serial(["PHN"], False)
    post(world, "sale", line(qty=1))
    assert stock(world, "PHN") == (1, 2)
    refused("invalid_stock_for_serial", world.set_item_serial, ["PHN"], True)
    assert [i["sku"] for i in world.set_item_serial(["OK"], True)] == ["OK"]
    assert world.item("OK")["serial"] is True


def test_enabling_many_items_is_all_or_nothing(world):
    world.add_item(ItemSpec("OK", "Fine"))
    world.add_item(ItemSpec("BDL", "Bundle", bundle=True))
    world.set_item_serial(["PHN"], False)
    error = refused("bundle_not_supported", world.set_item_serial, ["OK", "PHN", "BDL"], True)
    assert [r["sku"] for r in error.extra["refusals"]] == ["BDL"]
    assert [world.item(s)["serial"] for s in ("OK", "PHN", "BDL")] == [False, False, False]
    refused("unknown_item", world.set_item_serial, ["OK", "NOPE"], True)
    assert world.item("OK")["serial"] is False
    assert [i["serial"] for i in world.set_item_serial(["OK", "PHN"], True)] == [True, True]


def test_disabling_keeps_serial_records_and_history(world):
    buy(world, "A1")
    sell(world, "A1")
    world.set_item_serial(["PHN"], False)
    found = world.history("A1")
    assert (found["sku"], found["status"], [m["type"] for m in found["movements"]]) == ("PHN", "out", ["purchase", "sale"])
    refused_post(world, "bad_request", "sale", line(serials=["A1"]))  # not serial-managed now
    world.set_item_serial(["PHN"], True)
    refused_post(world, "serial_item_mismatch", "purchase", line("TAB", ["A1"]))


# ---------------------------------------------------------------- cartons


def test_a_carton_enters_all_its_serials(world):
    assert world.add_carton("BOX-1", "PHN", ["C1", "C2", "C3"]) == {"code": "BOX-1", "sku": "PHN", "serials": ["C1", "C2", "C3"]}
    posted = post(world, "purchase", line(serials=["S1"], cartons=["BOX-1"]))
    assert posted["lines"][0]["serials"] == ["S1", "C1", "C2", "C3"]
    assert posted["lines"][0]["qty"] == 4
    assert stock(world, "PHN") == (4, 4)
    sold = post(world, "sale", line(cartons=["BOX-1"]))
    assert sold["lines"][0]["serials"] == ["C1", "C2", "C3"]
    assert stock(world, "PHN") == (1, 1)


def test_carton_rules(world):
    buy(world, "S1")
    world.add_carton("BOX-1", "PHN", ["C1", "C2"])
    world.add_carton("BOX-T", "TAB", ["T1"])
    assert refused_post(world, "unknown_carton", "purchase", line(cartons=["BOX-1", "NOPE"])).serials == ["NOPE"]
    refused("unknown_carton", world.carton, "NOPE")
    assert refused_post(world, "serial_item_mismatch", "purchase", line(cartons=["BOX-T"])).serials == ["T1"]
    assert refused_post(world, "duplicate_in_input", "purchase", line(serials=["C2"], cartons=["BOX-1"])).serials == ["C2"]
    # code_conflict both ways: a carton code that is a serial, a serial that is a carton code
    assert refused("code_conflict", world.add_carton, "S1", "PHN", ["C9"]).serials == ["S1"]
    assert refused("code_conflict", world.add_carton, "BOX-2", "PHN", ["BOX-1"]).serials == ["BOX-1"]
    assert refused_post(world, "code_conflict", "purchase", line(serials=["BOX-1"])).serials == ["BOX-1"]
    refused("serial_item_mismatch", world.add_carton, "BOX-3", "TAB", ["S1"])
    refused("bad_request", world.add_carton, "BOX-4", "CBL", ["Z1"])
    refused("invalid_serial", world.add_carton, "BOX 5", "PHN", ["Z1"])
    refused("invalid_serial", world.add_carton, "BOX-6", "PHN", ["Z 1"])
    refused("duplicate_in_input", world.add_carton, "BOX-7", "PHN", ["Z1", "Z1"])


def test_too_many_serials_counts_the_whole_document_after_expansion(world):
    world.add_carton("BIG", "PHN", [f"C{n}" for n in range(600)])
    refused_post(world, "too_many_serials", "purchase", line(cartons=["BIG"]), line("TAB", [f"T{n}" for n in range(401)]))
    refused_post(world, "too_many_serials", "adjustment", {"sku": "PHN", "add": [f"A{n}" for n in range(600)], "remove": [f"R{n}" for n in range(401)]})
    post(world, "purchase", line(cartons=["BIG"]), line("TAB", [f"T{n}" for n in range(400)]))
    assert stock(world, "PHN") == (600, 600)



def test_carton_refusals_follow_the_document_rule_order(world):
    """Cartons follow SPEC §3's order: shape → unknown item → switch → invalid_serial → …"""
    refused("bad_request", world.add_carton, "BOX 1", "PHN", [])
    refused("unknown_item", world.add_carton, "BOX 1", "NOPE", ["x"])
    refused("bad_request", world.add_carton, "BOX-1", "CBL", ["x"])  # not serial-managed
    assert refused("invalid_serial", world.add_carton, "BOX 1", "PHN", ["A 1", "A2"]).serials == ["BOX 1", "A 1"]
    world.set_item_serial(["PHN", "TAB"], False)
    world.set_serial_management(False)
    refused("unknown_item", world.add_carton, "BOX 1", "NOPE", ["x"])
    refused("serial_management_disabled", world.add_carton, "BOX 1", "PHN", ["A 1"])
    refused("serial_management_disabled", world.add_carton, "BOX-1", "CBL", ["x"])
    world.set_serial_management(True)
    world.set_item_serial(["PHN"], True)
    assert refused("code_conflict", world.add_carton, "BOX-1", "PHN", ["A1", "BOX-1"]).serials == ["BOX-1"]


def test_switching_off_while_an_item_is_being_enabled_never_leaves_a_serial_item(ledger, monkeypatch):
    """Two supervisors at once: "cannot be turned off while any item is serial-managed"."""
    from kiosk.model import catalog
    from kiosk.model.tables import db

    ledger.add_item(ItemSpec("OK", "Fine"))
    checked, switched = threading.Event(), threading.Event()
    real = catalog.enable_refusals

    def slow_refusals(chosen):
        refusals = real(chosen)
        checked.set()
        switched.wait(1.0)  # the other supervisor switches off now, or waits for us
        return refusals

    monkeypatch.setattr(catalog, "enable_refusals", slow_refusals)

    def enable() -> None:
        try:
            ledger.set_item_serial(["OK"], True)
        finally:
            db.close()

    enabler = threading.Thread(target=enable)
    enabler.start()
    assert checked.wait(10)
    error = refused("serial_items_exist", ledger.set_serial_management, False)
    switched.set()
    enabler.join(10)
    assert error and ledger.item("OK")["serial"] is True
    assert ledger.settings() == {"serial_management": True}
