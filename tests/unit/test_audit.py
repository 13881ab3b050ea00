"""The audit log and idempotent posting, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from kiosk.model.audit import AuditFilter
from kiosk.model.catalog import ItemSpec, add_operator
from kiosk.model.errors import KioskError
from kiosk.model.tables import Document


@pytest.fixture
def shop(ledger):
    ledger.add_warehouse("MAIN")
    ledger.add_item(ItemSpec("PHN", "Phone", serial=True))
    return ledger


def purchase(*codes):
    return {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": list(codes)}]}


def actions(ledger, **filters):
    return [(e["action"], e["subject"], e["operator"], e["station"]) for e in ledger.audit(AuditFilter(**filters))]


def test_posts_voids_adjustments_settings_and_sign_ins_are_recorded_newest_first(shop):
    add_operator("ann", "1234")
    number = shop.post(purchase("A", "B"))["number"]
    adjusted = shop.post({"type": "adjustment", "warehouse": "MAIN", "lines": [{"sku": "PHN", "remove": ["A"], "add": ["C"]}]})
    shop.void(adjusted["number"])
    shop.set_item_serial(["PHN"], False)
    shop.set_serial_management(False)
    shop.sign_in("ann", "1234")
    with pytest.raises(KioskError):
        shop.sign_in("ann", "9999")
    assert actions(shop) == [
        ("sign_in_failed", "ann", "ann", "test-station"),
        ("sign_in", "ann", "ann", "test-station"),
        ("settings", "serial_management", "tester", "test-station"),
        ("item_serial", "PHN", "tester", "test-station"),
        ("void", adjusted["number"], "tester", "test-station"),
        ("adjust", adjusted["number"], "tester", "test-station"),
        ("post", number, "tester", "test-station"),
    ]
    assert actions(shop, action="post") == [("post", number, "tester", "test-station")]
    assert [a[0] for a in actions(shop, operator="ann")] == ["sign_in_failed", "sign_in"]


def test_a_refused_change_leaves_no_audit_entry(shop):
    shop.post(purchase("A"))
    with pytest.raises(KioskError):
        shop.post(purchase("A"))  # already_in_stock: rolled back with its entry
    with pytest.raises(KioskError):
        shop.set_serial_management(False)  # serial_items_exist
    assert [a[0] for a in actions(shop)] == ["post"]


def test_posting_again_with_the_same_key_returns_the_first_post(shop):
    first = shop.post(purchase("A", "B"), key="station-1:draft-42")
    again = shop.post(purchase("A", "B"), key="station-1:draft-42")
    assert again["number"] == first["number"]
    assert Document.select().count() == 1
    assert shop.post(purchase("C"), key="station-1:draft-43")["number"] != first["number"]


def test_unknown_audit_action_is_bad_request(shop):
    with pytest.raises(KioskError) as caught:
        shop.audit(AuditFilter(action="dance"))
    assert caught.value.code == "bad_request"

