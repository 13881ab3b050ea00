"""The station under Pilot: each mode's main path and its refusals, on a real database."""

from __future__ import annotations

import pytest

from kiosk.model.tables import Document, Serial
from kiosk.screens.widgets.scanbox import ScanBox
from kiosk.screens.widgets.verdict import Verdict
from tests.station_support import as_supervisor, demo_station, last_movement, select_row, type_scan

SIZE = (120, 40)


def app_dialog_text(app) -> str:
    return str(app.screen.query_one("#message-body").render())


def verdict(app) -> str:
    widget = app.screen.query_one(Verdict)
    return str(widget.render())


@pytest.fixture
def station(sqlite_url):
    return demo_station(sqlite_url)


async def test_checkout_sells_a_scanned_serial_and_refuses_it_twice(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await type_scan(pilot, "PHN100-0001")
        assert "PHN100-0001" in verdict(station) and "-ok" in station.screen.query_one(Verdict).classes
        bells = station.bells
        await type_scan(pilot, "PHN100-0001")
        assert "already in this document" in verdict(station)
        assert station.bells == bells + 1
        assert station.screen.draft.count == 1
        await pilot.press("f10")
        await pilot.press("enter")
        await station.workers.wait_for_complete()
        await pilot.pause()
        assert "posted SAL-" in verdict(station)
    assert last_movement("PHN100-0001") == ("sale", "out", False)


@pytest.mark.parametrize(
    "scan, reason",
    [
        ("TAB200-0006", "in stock in another warehouse"),  # the demo moved it to WEST
        ("PHN100-0021", "not in stock here"),  # sold in the demo
        ("序列号-1", "not a valid serial"),
        ("NEVER-SEEN", "scan or choose its item first"),
    ],
)
async def test_checkout_refusals_ring_and_add_nothing(station, scan, reason):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await type_scan(pilot, scan)
        assert reason in verdict(station)
        assert station.bells == 1
        assert station.screen.draft.count == 0


async def test_receiving_item_then_new_serial_posts_a_purchase(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await type_scan(pilot, "PHN-100")
        assert "item PHN-100" in verdict(station)
        await type_scan(pilot, "NEW-0001")
        assert station.screen.draft.serials() == ["NEW-0001"]
        await pilot.press("f10", "enter")
        await station.workers.wait_for_complete()
        await pilot.pause()
    serial = Serial.get(Serial.code == "NEW-0001")
    assert (serial.status, serial.warehouse.code, serial.item.sku) == ("in_stock", "MAIN", "PHN-100")
    assert last_movement("NEW-0001") == ("purchase", "in", False)
    assert Document.get(Document.id == serial.last_doc_id).operator == "demo"


async def test_nothing_is_written_before_f10_and_escape_cancels_the_confirmation(station):
    before = Document.select().count()
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await type_scan(pilot, "PHN-100")
        await type_scan(pilot, "NEW-0002")
        await pilot.press("f10", "escape")
        await pilot.pause()
        assert station.screen.draft.count == 1
    assert Document.select().count() == before
    assert Serial.get_or_none(Serial.code == "NEW-0002") is None


async def test_a_burst_of_300_scans_is_taken_whole_and_in_order(station):
    codes = [f"BURST-{n:04d}" for n in range(300)]
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await type_scan(pilot, "PHN-100")
        await type_scan(pilot, *codes)
        assert station.screen.draft.serials() == codes


async def test_more_than_1000_serials_in_one_document_is_refused(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await type_scan(pilot, "PHN-100")
        screen = station.screen
        screen.post_message(ScanBox.ListEntered([f"BULK-{n:04d}" for n in range(1000)]))
        await pilot.pause()
        assert screen.draft.count == 1000
        await type_scan(pilot, "BULK-9999")
        assert "more than 1000" in verdict(station)
        assert screen.draft.count == 1000


async def test_scan_box_keeps_gs_and_splits_typed_lists(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        seen: list = []
        screen = station.screen
        screen.handle_scan = seen.append  # what the box delivers, before any rule
        await type_scan(pilot, "]C10109506000134352" + "21ABC\x1d10")
        assert seen == ["]C10109506000134352" + "21ABC\x1d10"]


async def test_gs1_scan_selects_the_item_by_gtin_and_takes_ai_21(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        # GTIN 06901234567892 is PHN-100's barcode 6901234567892 as GTIN-14
        station.screen.handle_scan("]C10106901234567892" + "21GS1-SERIAL-1")
        await pilot.pause()
        assert station.screen.draft.serials() == ["GS1-SERIAL-1"]
        assert station.screen.draft.item.sku == "PHN-100"


async def test_pasted_list_is_split_by_the_entry_separators(station):
    from textual import events

    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await type_scan(pilot, "PHN-100")
        station.screen.query_one(ScanBox).post_message(events.Paste("P-1, P-2，P-3、P-4\u3000P-5\nP-6"))
        await pilot.pause()
        assert station.screen.draft.serials() == ["P-1", "P-2", "P-3", "P-4", "P-5", "P-6"]


async def test_stocktake_shows_missing_and_unexpected_and_posts_a_count(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await type_scan(pilot, "PHN-100")  # scope: the phones
        await type_scan(pilot, *[f"PHN100-{n:04d}" for n in range(1, 19)])  # 0019, 0020 not on the shelf
        side = str(station.screen.query_one("#doc-side").render())
        assert "missing" in side and "PHN100-0019" in side and "PHN100-0020" in side
        await pilot.press("f10", "enter")
        await station.workers.wait_for_complete()
        await pilot.pause()
    assert last_movement("PHN100-0019") == ("count", "out", False)
    assert Serial.get(Serial.code == "PHN100-0001").status == "in_stock"


async def test_transfer_moves_a_serial_to_the_other_warehouse(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await type_scan(pilot, "PHN100-0002")
        await pilot.press("f10", "enter")
        await station.workers.wait_for_complete()
        await pilot.pause()
    serial = Serial.get(Serial.code == "PHN100-0002")
    assert (serial.status, serial.warehouse.code) == ("in_stock", "WEST")


async def test_transfer_verify_shows_what_is_missing_and_what_does_not_belong(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f4", "ctrl+v")
        await pilot.pause()
        await pilot.press("enter")  # the demo's one transfer: TAB200-0006…0010
        await pilot.pause()
        await type_scan(pilot, "TAB200-0006")
        await type_scan(pilot, "PHN100-0001")
        side = str(station.screen.query_one("#doc-side").render())
        assert "missing             4" in side.replace("  ", " ") or "TAB200-0007" in side
        assert "not on it" in side and "PHN100-0001" in side
        before = Document.select().count()
        await pilot.press("f10")
        assert Document.select().count() == before


async def test_control_keys_do_not_drop_the_kiosk_and_leaving_needs_a_supervisor(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+c", "ctrl+q")
        assert station.is_running
        await pilot.press("f12")
        await pilot.pause()
        await pilot.press(*"demo", "enter", *"1234", "enter")  # an operator, not a supervisor
        await pilot.pause()
        assert station.is_running
        assert "not a supervisor" in str(station.screen.query_one("#pin-error").render())
        await pilot.press("escape", "f12")
        await pilot.pause()
        await as_supervisor(pilot)
        await pilot.pause()
        assert not station.is_running


async def test_sign_in_by_pin_and_five_wrong_pins_lock_it(sqlite_url):
    app = demo_station(sqlite_url, operator=None)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(5):
            await pilot.press(*"demo", "enter", *"0000", "enter")
            await pilot.press("shift+tab")
            await pilot.pause()
            app.screen.query_one("#pin-name").value = ""
        app.screen.query_one("#pin-name").value = "demo"
        app.screen.query_one("#pin-pin").focus()
        await pilot.press(*"1234", "enter")
        await pilot.pause()
        assert "locked" in str(app.screen.query_one("#pin-error").render())
        assert app.info.operator is None


async def test_documents_void_needs_a_supervisor_and_shows_what_blocks_it(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        table = station.screen.query_one("#documents")
        select_row(table, "PUR-000001")
        await pilot.press("ctrl+x", "enter")
        await pilot.pause()
        await as_supervisor(pilot)
        await station.workers.wait_for_complete()
        await pilot.pause()
        text = verdict(station)
        assert "void" in text and "SAL-000003" in text
        select_row(table, "TRF-000005")  # the newest: nothing blocks it
        await pilot.press("ctrl+x", "enter")
        await pilot.pause()
        await as_supervisor(pilot)
        await station.workers.wait_for_complete()
        await pilot.pause()
        assert "voided TRF-000005" in verdict(station)
    assert Document.get(Document.number == "PUR-000001").status == "posted"
    voided = Document.get(Document.number == "TRF-000005")
    assert (voided.status, voided.voided_by) == ("voided", "boss")  # in the supervisor's name


async def test_items_enable_serials_needs_a_supervisor_and_names_each_refusal(station):
    from kiosk.model.catalog import ItemSpec

    station.ledger.add_item(ItemSpec("LOT-1", "Batch item", batch=True))
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        table = station.screen.query_one("#items")
        select_row(table, "LOT-1")
        await pilot.press("ctrl+e")
        await pilot.pause()
        await as_supervisor(pilot)
        await pilot.pause()
        dialog = str(app_dialog_text(station))
        assert "tracking_conflict" in dialog and "LOT-1" in dialog
    assert station.ledger.item("LOT-1")["serial"] is False


async def test_settings_switch_is_refused_while_items_use_serials(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "ctrl+s")
        await pilot.pause()
        await as_supervisor(pilot)
        await pilot.pause()
        assert "serial_items_exist" in verdict(station)
    assert station.ledger.settings() == {"serial_management": True}


async def test_search_pages_and_shows_a_history(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await station.workers.wait_for_complete()
        await pilot.pause()
        assert "32 serials match" in verdict(station)
        table = station.screen.query_one("#results")
        assert table.row_count == 32
        station.screen.query_one("#f-serial").value = "0019"
        await pilot.press("enter")
        await station.workers.wait_for_complete()
        await pilot.pause()
        assert table.row_count == 1
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        body = str(station.screen.query_one("#message-body").render())
        assert "SRT-" in body and "SAL-" in body and "PUR-" in body


async def test_supervisors_read_the_audit_log_in_settings(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "ctrl+a")
        await pilot.pause()
        await as_supervisor(pilot)
        await pilot.pause()
        body = app_dialog_text(station)
        assert "sign_in" in body and "boss" in body  # the supervisor's own sign-in is the newest
        assert "post" in body and "PUR-000001" in body


async def test_a_supervisor_adjusts_in_stock_serials_from_items(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        table = station.screen.query_one("#items")
        select_row(table, "PHN-100")
        await pilot.press("ctrl+a")
        await pilot.pause()
        await as_supervisor(pilot)
        await pilot.pause()
        await pilot.press(*"PHN100-0005", "enter", *"RELABEL-1", "enter")
        await pilot.pause()
        assert "posted ADJ-" in verdict(station)
    assert Serial.get(Serial.code == "PHN100-0005").status == "out"
    relabelled = Serial.get(Serial.code == "RELABEL-1")
    assert (relabelled.status, relabelled.warehouse.code) == ("in_stock", "MAIN")
    assert Document.get(Document.id == relabelled.last_doc_id).operator == "boss"
