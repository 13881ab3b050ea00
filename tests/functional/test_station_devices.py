"""The station with an evdev scanner: scans reach the mode whatever has focus.

The scanner hub is the real one, reading through python-evdev from a pipe; only the
device object (the kernel's ioctls) is the fake of ``tests/unit/test_scanners.py``.
"""

from __future__ import annotations

import time

from kiosk.config import ScannerConfig
from kiosk.hardware.scanners import ScannerHub
from kiosk.model.tables import Serial
from tests.station_support import demo_station
from tests.unit.test_scanners import Bench

# A generous half-scan time-out: these tests are about routing, and a loaded CI machine can
# stall the reader thread between two reads of one burst (the time-out has its own tests).
DOCK = ScannerConfig(name="dock", match="SM-2D PRODUCT HID KBW", timeout_ms=5000)


async def until(pilot, predicate, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, f"timed out; scanner states {pilot.app.scanner_states}"
        await pilot.pause(0.02)


def station_with_scanner(url, tmp_path, config=DOCK):
    bench = Bench(tmp_path)
    path = bench.plug("event5")

    def hub(on_scan, on_status):
        return ScannerHub([config], on_scan, on_status, input_dir=str(bench.dir), open_device=bench.open, poll_interval=0.02)

    return demo_station(url, scanners=hub, scanner_names=[config.name]), bench, path


async def test_an_evdev_scan_reaches_checkout_without_focus(sqlite_url, tmp_path):
    app, bench, path = station_with_scanner(sqlite_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        app.screen.set_focus(None)  # nothing focused: the scan must still arrive
        await until(pilot, lambda: path in bench.devices and bench.devices[path].grabbed)
        bench.devices[path].type("PHN100-0001")
        await until(pilot, lambda: app.screen.draft.count == 1)
        assert app.screen.draft.serials() == ["PHN100-0001"]
        assert "dock: connected" in " ".join(app.device_lines("scanners"))
        bench.devices[path].type("PHN100-0001")  # a refused scan rings, as typed ones do
        await until(pilot, lambda: app.bells == 1)
        await pilot.press("f10", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert Serial.get(Serial.code == "PHN100-0001").status == "out"
    for hub_device in bench.devices.values():
        hub_device.close()


async def test_a_scanner_bound_to_a_mode_opens_it_and_an_unplug_is_shown(sqlite_url, tmp_path):
    bound = ScannerConfig(name="returns", match="SM-2D PRODUCT HID KBW", mode="receiving", timeout_ms=5000)
    app, bench, path = station_with_scanner(sqlite_url, tmp_path, bound)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: path in bench.devices and bench.devices[path].grabbed)
        bench.devices[path].type("PHN-100")
        await until(pilot, lambda: app.current_mode == "receiving" and app.screen.draft.item is not None)
        bench.unplug("event5")
        # shown as lost: "disconnected", then "waiting" for it to come back (either may be the latest)
        await until(pilot, lambda: app.scanner_states.get("returns", "connected").split()[0] in ("disconnected", "waiting"))
        assert app.is_running
    for hub_device in bench.devices.values():
        hub_device.close()


async def test_a_sale_prints_its_receipt_and_received_serials_their_labels(sqlite_url, tmp_path):
    """A network printer on 127.0.0.1: the station queues, the print worker sends."""
    from kiosk.config import Config
    from kiosk.hardware.printing import Printing
    from tests.unit.test_printers import LoopbackPrinter

    with LoopbackPrinter() as printer:
        config = Config(printers=[printer.config(name="counter", role="both")])
        app = demo_station(sqlite_url)
        app.printing = Printing(config, app.ledger)
        app.info.printers = ["counter"]
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f2")
            app.screen.handle_scan("PHN100-0004")
            await pilot.press("f10", "enter")
            await app.workers.wait_for_complete()
            await until(pilot, lambda: b"PHN100-0004" in printer.received)
            await pilot.press("escape", "f1")
            app.screen.handle_scan("PHN-100")
            app.screen.handle_scan("LBL-0001")
            await pilot.press("f10", "enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("ctrl+l")
            await app.workers.wait_for_complete()
            await until(pilot, lambda: any(b"\x1dv0" in job for job in printer.jobs))  # the label's raster
            labels_before = sum(b"\x1dv0" in job for job in printer.jobs)
            await pilot.press("ctrl+k")
            await pilot.pause()
            await pilot.press(*"CTN-TAB-01", "enter")
            await app.workers.wait_for_complete()
            await until(pilot, lambda: sum(b"\x1dv0" in job for job in printer.jobs) > labels_before)  # the carton's
            assert "counter: ready" in " ".join(app.device_lines("printers"))
    printed = printer.jobs  # each connection: a status query (DLE EOT), then the job
    from tests.unit.test_labels import decode, raster_image

    scanned = [code for job in printed if b"\x1dv0" in job for code in decode(raster_image(job))]
    assert "LBL-0001" in scanned and "CTN-TAB-01" in scanned  # the received serial's label, the carton's
    assert any(b"PHN100-0004" in job and b"Demo phone" in job for job in printed)  # the sale's receipt
    assert any(b"LBL-0001" in job for job in printed)  # the purchase's receipt
