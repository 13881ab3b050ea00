"""SPEC §3: what each document type does to serials and stock, and the rules it obeys.

Each test runs on SQLite and PostgreSQL (the ``world`` fixture is built on ``ledger``).
"""

from __future__ import annotations

import pytest
from rules_support import (  # noqa: F401
    buy,
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

# ---------------------------------------------------------------- inbound


def test_opening_takes_serials_in_and_qty_defaults_to_their_number(world):
    posted = post(world, "opening", line(serials="A1, A2，A3"))
    assert posted["lines"][0]["qty"] == 3
    assert posted["lines"][0]["serials"] == ["A1", "A2", "A3"]
    assert states(world, "A1", "A2", "A3") == dict.fromkeys(["A1", "A2", "A3"], ("in_stock", "MAIN"))
    assert stock(world, "PHN") == (3, 3)


def test_opening_without_serials_is_unserialized_stock(world):
    post(world, "opening", line(qty=4))
    assert stock(world, "PHN") == (4, 0)


def test_purchase_with_fewer_serials_than_qty_leaves_the_rest_unserialized(world):
    buy(world, "A1", "A2", qty=5)
    assert stock(world, "PHN") == (5, 2)
    assert state(world, "A1") == ("in_stock", "MAIN")


def test_more_serials_than_qty_is_quantity_mismatch_in_every_type(world):
    buy(world, "A1", "A2")
    for doc_type in ("opening", "purchase", "sale_return", "sale", "purchase_return", "transfer", "count"):
        error = refused_post(
            world, "quantity_mismatch", doc_type, line(serials=["A1", "A2"], qty=1),
            **({"to_warehouse": "WEST"} if doc_type == "transfer" else {}),
        )
        assert error.serials == ["A1", "A2"]


def test_inbound_serial_in_stock_anywhere_is_already_in_stock(world):
    buy(world, "A1", warehouse="WEST")
    for doc_type in ("opening", "purchase"):
        error = refused_post(world, "already_in_stock", doc_type, line(serials=["NEW", "A1"]))
        assert error.serials == ["A1"]


def test_a_serial_is_bound_to_its_sku_forever(world):
    buy(world, "A1")
    sell(world, "A1")
    error = refused_post(world, "serial_item_mismatch", "purchase", line("TAB", ["A1"]))
    assert error.serials == ["A1"]


def test_a_serial_may_go_in_and_out_many_times(world):
    buy(world, "A1")
    for _ in range(2):
        sell(world, "A1")
        assert state(world, "A1") == ("out", None)
        post(world, "sale_return", line(serials=["A1"]))
        assert state(world, "A1") == ("in_stock", "MAIN")
    refused_post(world, "already_in_stock", "purchase", line(serials=["A1"]))
    assert stock(world, "PHN") == (1, 1)


# ---------------------------------------------------------------- units


def test_serial_quantity_must_be_whole(world):
    refused_post(world, "quantity_mismatch", "purchase", line(qty=1.5))
    refused_post(world, "quantity_mismatch", "purchase", line(qty=0.25, unit="box"))  # 2.5 pcs
    post(world, "purchase", line(qty=0.5, unit="box"))  # 5 pcs
    assert stock(world, "PHN") == (5, 0)


def test_non_serial_items_take_fractions_and_pack_units(world):
    post(world, "purchase", line("CBL", qty=3, unit="roll"))
    post(world, "sale", line("CBL", qty=0.5))
    assert stock(world, "CBL") == (7, 0)


@pytest.mark.parametrize("doc_type", ["purchase", "opening", "purchase_return", "transfer"])
def test_pack_units_elsewhere_convert(world, doc_type):
    post(world, "purchase", line(qty=30))
    codes = [f"P{n}" for n in range(10)]
    buy(world, *codes)
    fields = {"to_warehouse": "WEST"} if doc_type == "transfer" else {}
    serials = codes if doc_type in ("transfer", "purchase_return") else [f"N{n}" for n in range(10)]
    post(world, doc_type, line(serials=serials, qty=2, unit="box"), **fields)
    on_hand = {"purchase": 60, "opening": 60, "purchase_return": 20, "transfer": 20}[doc_type]
    assert stock(world, "PHN")[0] == on_hand
    if doc_type == "transfer":
        assert stock(world, "PHN", "WEST") == (20, 10)


@pytest.mark.parametrize("doc_type", ["sale", "sale_return"])
def test_sales_documents_need_the_base_unit(world, doc_type):
    buy(world, *[f"B{n}" for n in range(10)])
    refused_post(world, "base_unit_required", doc_type, line(serials=[f"B{n}" for n in range(10)], qty=1, unit="box"))


def test_non_serial_items_may_sell_in_pack_units_and_go_negative(world):
    post(world, "sale", line("CBL", qty=2, unit="roll"))
    assert stock(world, "CBL") == (-5, 0)


# ---------------------------------------------------------------- sale


def test_sale_takes_the_serials_out(world):
    buy(world, "A1", "A2", "A3")
    posted = sell(world, "A1", "A3")
    assert posted["lines"][0]["qty"] == 2
    assert states(world, "A1", "A2", "A3") == {"A1": ("out", None), "A2": ("in_stock", "MAIN"), "A3": ("out", None)}
    assert stock(world, "PHN") == (1, 1)


@pytest.mark.parametrize("given", [[], ["A1"]])
def test_sale_needs_one_serial_per_unit(world, given):
    buy(world, "A1", "A2")
    refused_post(world, "serials_required", "sale", line(serials=given, qty=2))


def test_sale_of_a_never_seen_serial_takes_an_unserialized_unit(world):
    buy(world, "A1", qty=2)
    sell(world, "NEW1")
    assert state(world, "NEW1") == ("out", None)
    assert world.history("NEW1")["sku"] == "PHN"
    assert stock(world, "PHN") == (1, 1)
    error = refused_post(world, "not_in_stock", "sale", line(serials=["NEW2"]))
    assert error.serials == ["NEW2"]


def test_sale_of_a_serial_already_sold_is_not_in_stock(world):
    buy(world, "A1", qty=3)
    sell(world, "A1")
    error = refused_post(world, "not_in_stock", "sale", line(serials=["A1"]))
    assert error.serials == ["A1"]


def test_sale_from_the_wrong_warehouse_is_serial_warehouse_mismatch(world):
    buy(world, "A1", warehouse="WEST")
    buy(world, qty=1)
    error = refused_post(world, "serial_warehouse_mismatch", "sale", line(serials=["A1"]))
    assert error.serials == ["A1"]


def test_sale_of_another_skus_serial_is_serial_item_mismatch(world):
    buy(world, "T1", sku="TAB")
    error = refused_post(world, "serial_item_mismatch", "sale", line(serials=["T1"]))
    assert error.serials == ["T1"]


def test_serials_on_a_non_serial_item_are_bad_request(world):
    refused_post(world, "bad_request", "purchase", line("CBL", ["X1"]))


# ---------------------------------------------------------------- sale return


def test_sale_return_brings_a_sold_serial_back(world):
    buy(world, "A1")
    sell(world, "A1")
    post(world, "sale_return", line(serials=["A1"]), warehouse="WEST")
    assert state(world, "A1") == ("in_stock", "WEST")
    assert stock(world, "PHN", "WEST") == (1, 1)


@pytest.mark.parametrize("given", [None, []])
def test_sale_return_needs_serials(world, given):
    buy(world, "A1")
    sell(world, "A1")
    refused_post(world, "serials_required", "sale_return", line(serials=given, qty=1))


def test_sale_return_rules_per_serial(world):
    buy(world, "A1", "A2", "A3")
    buy(world, "T1", sku="TAB")
    sell(world, "T1", sku="TAB")
    post(world, "purchase_return", line(serials=["A3"]))
    cases = {
        "serial_item_mismatch": "T1",
        "already_in_stock": "A1",
        "not_returnable": "NEVER",  # never seen
    }
    for code, serial in cases.items():
        assert refused_post(world, code, "sale_return", line(serials=[serial])).serials == [serial]
    # its latest movement is a purchase return, not a sale
    assert refused_post(world, "not_returnable", "sale_return", line(serials=["A3"])).serials == ["A3"]


def test_a_serial_lost_in_a_count_is_not_returnable(world):
    buy(world, "A1", "A2")
    post(world, "count", line(serials=["A1"]))
    refused_post(world, "not_returnable", "sale_return", line(serials=["A2"]))


# ---------------------------------------------------------------- purchase return


def test_purchase_return_with_serials_takes_them_out(world):
    buy(world, "A1", "A2")
    post(world, "purchase_return", line(serials=["A1"]))
    assert state(world, "A1") == ("out", None)
    assert stock(world, "PHN") == (1, 1)


def test_purchase_return_without_serials_consumes_unserialized_stock(world):
    buy(world, "A1", qty=3)
    post(world, "purchase_return", line(qty=2))
    assert stock(world, "PHN") == (1, 1)
    assert state(world, "A1") == ("in_stock", "MAIN")
    refused_post(world, "serials_required", "purchase_return", line(qty=1))


def test_purchase_return_of_a_never_seen_serial_takes_an_unserialized_unit(world):
    buy(world, qty=1)
    post(world, "purchase_return", line(serials=["NEW"]))
    assert stock(world, "PHN") == (0, 0)
    assert state(world, "NEW") == ("out", None)


# ---------------------------------------------------------------- transfer


def test_transfer_moves_serials_and_unserialized_rest(world):
    buy(world, "A1", "A2", qty=4)
    post(world, "transfer", line(serials=["A1"], qty=3), to_warehouse="WEST")
    assert states(world, "A1", "A2") == {"A1": ("in_stock", "WEST"), "A2": ("in_stock", "MAIN")}
    assert stock(world, "PHN") == (1, 1)
    assert stock(world, "PHN", "WEST") == (3, 1)
    movements = [(m["type"], m["direction"], m["warehouse"]) for m in world.history("A1")["movements"]]
    assert movements == [("purchase", "in", "MAIN"), ("transfer", "out", "MAIN"), ("transfer", "in", "WEST")]


def test_transfer_rules(world):
    buy(world, "A1", qty=3)
    buy(world, "W1", warehouse="WEST")
    assert refused_post(world, "not_in_stock", "transfer", line(serials=["NEVER"]), to_warehouse="WEST").serials == ["NEVER"]
    assert refused_post(world, "serial_warehouse_mismatch", "transfer", line(serials=["W1"]), to_warehouse="WEST").serials == ["W1"]
    refused_post(world, "serials_required", "transfer", line(serials=["A1"], qty=4), to_warehouse="WEST")
    refused_post(world, "unknown_warehouse", "transfer", line(qty=1), to_warehouse="EAST")
    refused_post(world, "bad_request", "transfer", line(qty=1), to_warehouse="MAIN")
    refused_post(world, "bad_request", "transfer", line(qty=1))


def test_transfer_of_a_sold_serial_is_not_in_stock(world):
    buy(world, "A1", qty=2)
    sell(world, "A1")
    refused_post(world, "not_in_stock", "transfer", line(serials=["A1"]), to_warehouse="WEST")


# ---------------------------------------------------------------- count


def test_count_reconciles_serials_and_on_hand(world):
    buy(world, "A1", "A2", "A3", qty=5)
    sell(world, "A3")
    posted = post(world, "count", line(serials=["A1", "A3", "NEW"], qty=6))
    assert posted["lines"][0]["gained"] == ["A3", "NEW"]
    assert posted["lines"][0]["lost"] == ["A2"]
    assert states(world, "A1", "A2", "A3", "NEW") == {
        "A1": ("in_stock", "MAIN"), "A2": ("out", None), "A3": ("in_stock", "MAIN"), "NEW": ("in_stock", "MAIN"),
    }
    assert stock(world, "PHN") == (6, 3)


def test_count_qty_defaults_to_the_number_counted(world):
    buy(world, "A1", "A2", qty=7)
    posted = post(world, "count", line(serials=["A1"]))
    assert posted["lines"][0]["qty"] == 1
    assert stock(world, "PHN") == (1, 1)


def test_count_without_serials_empties_the_in_stock_set(world):
    """Spec: "the counted serials become the item's in-stock set": none counted, none in stock."""
    buy(world, "A1")
    posted = post(world, "count", line(qty=4))
    assert posted["lines"][0]["lost"] == ["A1"]
    assert stock(world, "PHN") == (4, 0)


def test_count_of_a_non_serial_item_sets_on_hand(world):
    post(world, "purchase", line("CBL", qty=3))
    post(world, "count", line("CBL", qty=1.5))
    assert stock(world, "CBL") == (1.5, 0)


def test_count_of_a_serial_in_another_warehouse_is_serial_warehouse_mismatch(world):
    buy(world, "W1", warehouse="WEST")
    error = refused_post(world, "serial_warehouse_mismatch", "count", line(serials=["W1"]))
    assert error.serials == ["W1"]
    refused_post(world, "serial_item_mismatch", "count", line("TAB", ["W1"]))


# ---------------------------------------------------------------- adjustment


def adjust(ledger, add=(), remove=(), warehouse="MAIN") -> dict:
    return post(ledger, "adjustment", {"sku": "PHN", "add": list(add), "remove": list(remove)}, warehouse=warehouse)


def test_adjustment_replaces_serials_and_keeps_on_hand(world):
    buy(world, "A1", "A2", qty=3)
    posted = adjust(world, add=["B1", "B2"], remove=["A1"])
    assert posted["lines"][0]["add"] == ["B1", "B2"]
    assert posted["lines"][0]["remove"] == ["A1"]
    assert states(world, "A1", "B1", "B2") == {"A1": ("out", None), "B1": ("in_stock", "MAIN"), "B2": ("in_stock", "MAIN")}
    assert stock(world, "PHN") == (3, 3)
    adjust(world, remove=["A2"])
    assert stock(world, "PHN") == (3, 2)


def test_adjustment_adds_at_most_removed_plus_unserialized(world):
    buy(world, "A1", qty=2)
    error = refused_post(world, "quantity_mismatch", "adjustment", {"sku": "PHN", "add": ["B1", "B2", "B3"], "remove": ["A1"]})
    assert error.serials == ["B1", "B2", "B3"]
    adjust(world, add=["B1", "B2"], remove=["A1"])
    assert stock(world, "PHN") == (2, 2)


def test_adjustment_serial_rules(world):
    buy(world, "A1", qty=2)
    buy(world, "W1", warehouse="WEST")
    for code, fields in [
        ("not_in_stock", {"remove": ["NEVER"]}),
        ("serial_warehouse_mismatch", {"remove": ["W1"]}),
        ("already_in_stock", {"add": ["W1"]}),
        ("duplicate_in_input", {"add": ["A1"], "remove": ["A1"]}),
        ("bad_request", {"add": ["B1"], "qty": 1}),
        ("bad_request", {}),
    ]:
        refused_post(world, code, "adjustment", {"sku": "PHN", **fields})


# ---------------------------------------------------------------- shapes and references


BAD_SHAPES = [
    [],
    {"type": "order", "warehouse": "MAIN", "lines": [{"sku": "PHN", "qty": 1}]},
    {"type": "purchase", "lines": [{"sku": "PHN", "qty": 1}]},
    {"type": "purchase", "warehouse": "MAIN"},
    {"type": "purchase", "warehouse": "MAIN", "lines": []},
    {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN"}]},
    {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "qty": 0}]},
    {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "qty": -1}]},
    {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "qty": "2"}]},
    {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "qty": True}]},
    {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "qty": 1, "unit": "crate"}]},
    {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": [1, 2]}]},
    {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "qty": 1, "colour": "red"}]},
    {"type": "count", "warehouse": "MAIN", "lines": [{"sku": "PHN", "qty": 1}, {"sku": "PHN", "qty": 1}]},
]


def test_bad_shapes_are_bad_request(world):
    before = snapshot(world)
    for document in BAD_SHAPES:
        refused("bad_request", world.post, document)
    assert snapshot(world) == before


def test_unknown_references(world):
    refused_post(world, "unknown_item", "purchase", line("NOPE", qty=1))
    refused_post(world, "unknown_warehouse", "purchase", line(qty=1), warehouse="EAST")


# ---------------------------------------------------------------- codes in documents


def test_codes_are_exact_and_invalid_ones_are_named(world):
    buy(world, "abc", "ABC", "Abc")  # three serials: no case folding
    assert stock(world, "PHN") == (3, 3)
    error = refused_post(world, "invalid_serial", "purchase", line(serials=["ok1", "序列1", "B\x1b[0m", "ok2"]))
    assert error.serials == ["序列1", "B\x1b[0m"]
    # list entries are taken literally, never split
    assert refused_post(world, "invalid_serial", "purchase", line(serials=["A1 B1"])).serials == ["A1 B1"]
    error = refused_post(world, "invalid_serial", "adjustment", {"sku": "PHN", "add": ["N 1"], "remove": ["abc"]})
    assert error.serials == ["N 1"]
    assert refused_post(world, "duplicate_in_input", "purchase", line(serials="N1 N2，N1")).serials == ["N1"]
