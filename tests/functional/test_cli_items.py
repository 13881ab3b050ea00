"""``kiosk settings|warehouse|item|carton …``: what they print and what they refuse."""

from __future__ import annotations

ITEM_KEYS = {"sku", "name", "unit", "serial", "batch", "shelf_life", "bundle", "stock"}


def test_catalog_commands_print_what_they_created(kiosk):
    assert kiosk.ok("warehouse", "add", "MAIN", "--name", "Main store") == {"code": "MAIN", "name": "Main store"}
    kiosk.refused("warehouse", "add", "MAIN", code="bad_request")
    assert kiosk.ok("warehouse", "list") == {"results": [{"code": "MAIN", "name": "Main store"}]}

    phone = kiosk.ok("item", "add", "PHN", "--name", "Phone", "--serial", "--barcode", "6901234567892")
    assert phone == {
        "sku": "PHN", "name": "Phone", "unit": "pcs", "serial": True, "batch": False,
        "shelf_life": False, "bundle": False, "stock": {},
    }
    kiosk.refused("item", "add", "PHN", "--name", "Phone again", code="bad_request")  # duplicate SKU
    kiosk.refused("item", "add", "TAB", "--name", "Tablet", "--barcode", "6901234567892", code="bad_request")
    kiosk.refused("item", "add", "BOX", "--name", "Box", "--pack", "box=zero", code="bad_request")
    kiosk.refused("item", "add", "LOT", "--name", "Lot", "--serial", "--batch", code="tracking_conflict")
    cable = kiosk.ok("item", "add", "CBL", "--name", "Cable", "--unit", "m", "--pack", "roll=50")
    assert (cable["unit"], cable["serial"]) == ("m", False)

    kiosk.post({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "qty": 3, "serials": ["A", "B"]}]})
    shown = kiosk.ok("item", "show", "PHN")
    assert set(shown) == ITEM_KEYS and shown["stock"] == {"MAIN": {"on_hand": 3, "serials_in_stock": 2}}
    listed = kiosk.ok("item", "list")
    assert set(listed) == {"results"} and [i["sku"] for i in listed["results"]] == ["CBL", "PHN"]
    assert all(set(i) == ITEM_KEYS for i in listed["results"])
    kiosk.refused("item", "show", "NOPE", code="unknown_item")

    switched = kiosk.ok("item", "serial", "on", "CBL")
    assert [(i["sku"], i["serial"]) for i in switched["results"]] == [("CBL", True)]
    kiosk.refused("settings", "set", "serial-management", "off", code="serial_items_exist")
    assert kiosk.ok("settings", "show") == {"serial_management": True}

    carton = kiosk.ok("carton", "add", "CTN-1", "--sku", "PHN", "C1", "--", "-C2")
    assert carton == {"code": "CTN-1", "sku": "PHN", "serials": ["C1", "-C2"]}
    assert kiosk.ok("carton", "show", "CTN-1") == carton
    kiosk.refused("carton", "show", "CTN-2", code="unknown_carton")
