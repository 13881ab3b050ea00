"""Scanner devices: discovery, grab, reader threads, hot-plug, overflow, permissions.

The kernel's side is a real pipe: events go in as ``struct input_event`` records
(``struct.pack("llHHi", ...)``) and come out through python-evdev's own
``EventIO.read()`` / ``async_read_loop()``. ``FakeInputDevice`` stands in only for
what needs a kernel (the ioctls: grab, capabilities, device info), shaped as
``evdev.InputDevice``.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import re
import struct
import time
from pathlib import Path

import pytest
from evdev import InputEvent
from evdev import ecodes as e
from evdev.device import DeviceInfo
from evdev.eventio_async import EventIO

from kiosk.config import ScannerConfig
from kiosk.hardware import evemu, keymaps
from kiosk.hardware.decoder import OVERFLOW, ScanDecoder
from kiosk.hardware.scanners import ScannerHub, is_keyboard, list_candidates, matches
from kiosk.model.errors import KioskError

CAPTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "captures"
EXPECTED = json.loads((CAPTURES / "expected.json").read_text())

KEYBOARD_CAPS = {e.EV_SYN: [0, 1, 4], e.EV_KEY: list(range(1, 128)), e.EV_MSC: [e.MSC_SCAN], e.EV_LED: [0, 1, 2]}
CONSUMER_CAPS = {e.EV_SYN: [0, 1], e.EV_KEY: [e.KEY_VOLUMEUP, e.KEY_VOLUMEDOWN, e.KEY_MUTE, e.KEY_NEXTSONG]}
MOUSE_CAPS = {e.EV_SYN: [0, 2], e.EV_KEY: [e.BTN_LEFT, e.BTN_RIGHT], e.EV_REL: [e.REL_X, e.REL_Y, e.REL_WHEEL]}
# some scanners' mouse node claims a whole keyboard as well
KEYBOARD_MOUSE_CAPS = {**KEYBOARD_CAPS, e.EV_REL: [e.REL_X, e.REL_Y]}


class FakeInputDevice(EventIO):
    """``evdev.InputDevice`` without the kernel: a pipe for the event stream, attributes for the ioctls."""

    def __init__(self, path: str, name: str = "SM-2D PRODUCT HID KBW", vendor: int = 0xFFFF, product: int = 0x0035,
                 caps: dict = KEYBOARD_CAPS, busy: bool = False) -> None:
        self.path, self.name, self.phys, self.uniq = path, name, "usb-0000:00:14.0-1/input0", ""
        self.info = DeviceInfo(3, vendor, product, 0x110)
        self._caps, self.busy = caps, busy
        self.fd, self.kernel = os.pipe()
        os.set_blocking(self.fd, False)
        self.grabbed = self.closed = self.unplugged = False
        self.held: list[int] = []

    def capabilities(self, verbose: bool = False, absinfo: bool = True) -> dict:
        return self._caps

    def grab(self) -> None:
        if self.busy:
            raise OSError(errno.EBUSY, "Device or resource busy")
        self.grabbed = True

    def ungrab(self) -> None:
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        self.grabbed = False

    def active_keys(self, verbose: bool = False) -> list[int]:
        return list(self.held)

    def read(self):
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        return super().read()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)
            os.close(self.kernel)

    # the kernel's side ------------------------------------------------------
    def send(self, events: list[InputEvent]) -> None:
        os.write(self.kernel, b"".join(struct.pack("llHHi", ev.sec, ev.usec, ev.type, ev.code, ev.value) for ev in events))

    def type(self, text: str, layout: str = "us", start: float | None = None) -> None:
        self.send(evemu.key_events(keymaps.encode(text, layout) + [(e.KEY_ENTER, 1), (e.KEY_ENTER, 0)], start=start or time.time()))

    def unplug(self) -> None:
        self.unplugged = True
        os.write(self.kernel, b"\0")  # wakes the reader, whose next read fails as the kernel's would


class Bench:
    """A /dev/input of regular files in tmp_path, a device for each, and a hub's callbacks recorded."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "input"
        (self.dir / "by-id").mkdir(parents=True)
        self.devices: dict[str, FakeInputDevice] = {}
        self.plan: dict[str, dict] = {}
        self.scans: list = []
        self.statuses: list = []
        self.hubs: list[ScannerHub] = []

    def plug(self, node: str, by_id: str | None = None, **device) -> str:
        path = str(self.dir / node)
        Path(path).write_text("")
        if by_id:
            link = self.dir / "by-id" / by_id
            link.unlink(missing_ok=True)
            link.symlink_to(f"../{node}")
        self.plan[path] = device
        return path

    def unplug(self, node: str) -> None:
        path = str(self.dir / node)
        os.unlink(path)  # the node goes first, as the kernel's does: a poll in between must not reopen it
        self.devices[path].unplug()

    def open(self, path: str) -> FakeInputDevice:
        spec = self.plan.get(path)
        if spec is None:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        if spec.get("denied"):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        self.devices[path] = FakeInputDevice(path, **spec)
        return self.devices[path]

    def hub(self, *configs: ScannerConfig, **options) -> ScannerHub:
        hub = ScannerHub(configs, self.scans.append, self.statuses.append, input_dir=str(self.dir),
                         open_device=self.open, poll_interval=0.02, **options)
        self.hubs.append(hub)
        return hub

    def states(self) -> list[tuple[str, str]]:
        return [(s.scanner, s.state) for s in self.statuses]


@pytest.fixture
def bench(tmp_path):
    bench = Bench(tmp_path)
    yield bench
    for hub in bench.hubs:
        hub.stop()
    for device in bench.devices.values():
        device.close()


def wait_for(predicate, timeout: float = 3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {predicate.__doc__ or 'a condition'}")


def texts(bench: Bench) -> list[str]:
    return [s.text for s in bench.scans if s.ok]


SCANNER = ScannerConfig(name="dock", match="ffff:0035", mode="receiving")


# ---------------------------------------------------------------- what a node is


@pytest.mark.parametrize(
    "caps, typing",
    [(KEYBOARD_CAPS, True), (CONSUMER_CAPS, False), (MOUSE_CAPS, False), (KEYBOARD_MOUSE_CAPS, False),
     ({e.EV_KEY: [e.KEY_POWER, e.KEY_SLEEP]}, False), ({}, False)],
    ids=["keyboard", "consumer-control", "mouse", "keyboard-with-mouse-axes", "system-control", "nothing"],
)
def test_only_the_node_that_types_is_a_scanner(caps, typing):
    assert is_keyboard(caps) is typing


@pytest.mark.parametrize(
    "match, hit",
    [("ffff:0035", True), ("FFFF:0035", True), ("ffff:0036", False), ("SM-2D PRODUCT HID KBW", True),
     ("SM-2D*", True), ("sm-2d*", False), ("/dev/input/by-id/usb-SM-2D*-event-kbd", True),
     ("/dev/input/by-id/usb-Other*", False), ("", False)],
)
def test_a_config_matches_by_id_glob_name_or_vendor_product(match, hit):
    link = "/dev/input/by-id/usb-SM-2D_PRODUCT_HID_KBW-event-kbd"
    config = ScannerConfig(match=match)
    assert matches(config, "/dev/input/event5", "SM-2D PRODUCT HID KBW", 0xFFFF, 0x0035, [link]) is hit


def test_a_by_id_glob_follows_the_links_to_the_node(bench):
    path = bench.plug("event5", by_id="usb-SM-2D_PRODUCT-event-kbd")
    bench.plug("event6")
    glob = str(bench.dir / "by-id" / "usb-SM-2D*-event-kbd")
    assert matches(ScannerConfig(match=glob), path, "", 0, 0)
    assert not matches(ScannerConfig(match=glob), str(bench.dir / "event6"), "", 0, 0)


def test_list_shows_every_node_what_it_is_and_whether_we_may_read_it(bench, tmp_path):
    bench.plug("event3", name="AT Translated Set 2 keyboard", vendor=0x0001, product=0x0001)
    bench.plug("event5", by_id="usb-SM-2D_PRODUCT-event-kbd")
    bench.plug("event6", name="SM-2D PRODUCT HID KBW Consumer Control", caps=CONSUMER_CAPS)
    bench.plug("event7", denied=True)
    sysfs = tmp_path / "sys" / "class" / "input" / "event7" / "device"
    (sysfs / "id").mkdir(parents=True)
    (sysfs / "name").write_text("Honeywell Imager\n")
    (sysfs / "id" / "vendor").write_text("0c2e\n")
    (sysfs / "id" / "product").write_text("0b61\n")
    found = list_candidates(str(bench.dir), [SCANNER], bench.open, sys_root=str(tmp_path / "sys"))
    rows = {os.path.basename(c.path): c for c in found}
    assert list(rows) == ["event3", "event5", "event6", "event7"]
    assert [(c.keyboard, c.scanner, c.readable, c.config) for c in rows.values()] == [
        (True, False, True, None), (True, True, True, "dock"), (False, False, True, "dock"), (False, False, False, None)
    ]
    assert rows["event5"].as_json()["vendor_product"] == "ffff:0035"
    assert rows["event5"].by_id == [str(bench.dir / "by-id" / "usb-SM-2D_PRODUCT-event-kbd")]
    assert (rows["event7"].name, rows["event7"].vendor_product) == ("Honeywell Imager", "0c2e:0b61")
    assert "99-kiosk-scanners.rules" in rows["event7"].problem and rows["event7"].denied
    assert not any(c.denied for name, c in rows.items() if name != "event7")
    assert all(d.closed for d in bench.devices.values())  # listing leaves nothing open


def test_list_without_input_devices_is_empty(tmp_path):
    assert list_candidates(str(tmp_path / "no-such-dir")) == []


# ---------------------------------------------------------------- the hub


def test_scans_reach_the_app_tagged_with_scanner_and_mode_and_the_device_is_grabbed(bench):
    path = bench.plug("event5")
    hub = bench.hub(SCANNER)
    hub.poll()
    device = bench.devices[path]
    assert device.grabbed and hub.usable
    device.type("SN-0001")
    device.type("0109501101020917\x1d21ABC")
    wait_for(lambda: len(bench.scans) == 2)
    assert texts(bench) == ["SN-0001", "0109501101020917\x1d21ABC"]
    assert {(s.scanner, s.mode, s.device) for s in bench.scans} == {("dock", "receiving", path)}
    assert bench.states() == [("dock", "connected")]
    hub.stop()
    assert device.closed and not device.grabbed


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_real_captures_replayed_through_a_device_give_the_expected_scans(bench, name):
    path = bench.plug("event5")
    bench.hub(SCANNER).start()
    device = wait_for(lambda: bench.devices.get(path))
    device.send(evemu.read(CAPTURES / name).events)
    wait_for(lambda: bench.scans)
    assert texts(bench) == EXPECTED[name]


def test_extra_mouse_and_consumer_nodes_of_a_scanner_are_skipped(bench):
    kbd = bench.plug("event5")
    mouse = bench.plug("event6", name="SM-2D PRODUCT HID KBW Mouse", caps=KEYBOARD_MOUSE_CAPS)
    consumer = bench.plug("event7", name="SM-2D PRODUCT HID KBW Consumer Control", caps=CONSUMER_CAPS)
    hub = bench.hub(SCANNER)
    hub.poll()
    assert bench.devices[kbd].grabbed
    assert not bench.devices[mouse].grabbed and bench.devices[mouse].closed
    assert not bench.devices[consumer].grabbed and bench.devices[consumer].closed
    opened = len(bench.devices)
    hub.poll()  # nodes known not to be ours are not opened again
    assert [s.device for s in hub.statuses()] == [kbd] and len(bench.devices) == opened


def test_other_keyboards_are_never_grabbed(bench):
    keyboard = bench.plug("event3", name="AT Translated Set 2 keyboard", vendor=1, product=1)
    bench.hub(SCANNER).poll()
    assert not bench.devices[keyboard].grabbed and bench.devices[keyboard].closed


def test_two_scanners_typing_at_once_never_mix(bench):
    a = bench.plug("event5", name="Scanner A", vendor=0x0C2E, product=0x0B61)
    b = bench.plug("event6", name="Scanner B", vendor=0x05E0, product=0x1200)
    hub = bench.hub(ScannerConfig(name="a", match="Scanner A", mode="checkout"),
                    ScannerConfig(name="b", match="05e0:1200", layout="de", mode="stocktake"))
    hub.poll()
    now = time.time()
    events_a = evemu.key_events(keymaps.encode("AAAA-1111\n"[:-1], "us") + [(e.KEY_ENTER, 1), (e.KEY_ENTER, 0)], start=now)
    events_b = evemu.key_events(keymaps.encode("Zy@B-2222", "de") + [(e.KEY_ENTER, 1), (e.KEY_ENTER, 0)], start=now)
    for n in range(0, max(len(events_a), len(events_b)), 4):  # interleaved, a few events at a time
        bench.devices[a].send(events_a[n:n + 4])
        bench.devices[b].send(events_b[n:n + 4])
    wait_for(lambda: len(bench.scans) == 2)
    assert sorted((s.scanner, s.mode, s.text) for s in bench.scans) == [
        ("a", "checkout", "AAAA-1111"), ("b", "stocktake", "Zy@B-2222")
    ]


def test_an_unplugged_scanner_is_reported_and_picked_up_again_when_it_returns(bench):
    path = bench.plug("event5")
    hub = bench.hub(SCANNER)
    hub.start()
    first = wait_for(lambda: bench.devices.get(path))
    first.type("SN-1")
    wait_for(lambda: texts(bench) == ["SN-1"])
    first.send(evemu.key_events(keymaps.encode("SN-2", "us"), start=time.time()))  # mid-scan…
    time.sleep(0.05)
    bench.unplug("event5")  # …the cable is pulled: the next read fails with ENODEV
    wait_for(lambda: ("dock", "disconnected") in bench.states())
    assert not hub.usable
    [lost] = [s for s in bench.scans if not s.ok]
    assert lost.text == "SN-2" and "unplugged" in lost.dropped
    bench.plug("event5")  # plugged in again: the same node name, a new device
    second = wait_for(lambda: bench.devices[path] is not first and bench.devices[path])
    wait_for(lambda: second.grabbed)
    second.type("SN-3")
    wait_for(lambda: "SN-3" in texts(bench))
    assert texts(bench) == ["SN-1", "SN-3"]
    assert bench.states() == [("dock", "connected"), ("dock", "disconnected"), ("dock", "connected")]
    assert [s.state for s in hub.statuses()] == ["connected"]


def test_a_scanner_that_is_not_there_yet_is_waiting_and_found_when_plugged(bench):
    hub = bench.hub(SCANNER)
    hub.start()
    wait_for(lambda: bench.states() == [("dock", "waiting")])
    assert not hub.usable  # the station falls back to keyboard-wedge scans
    bench.plug("event9")
    wait_for(lambda: hub.usable)
    assert bench.states() == [("dock", "waiting"), ("dock", "connected")]


def test_a_kernel_overflow_drops_the_partial_scan_and_tells_the_operator(bench):
    path = bench.plug("event5")
    bench.hub(SCANNER).poll()
    device = bench.devices[path]
    device.held = [e.KEY_LEFTSHIFT]  # the kernel's key state after the overflow
    now = time.time()
    partial = evemu.key_events(keymaps.encode("SN-00", "us"), start=now)
    sec, usec = divmod(round((now + 0.02) * 1e6), 1_000_000)
    overflow = [InputEvent(sec, usec, e.EV_SYN, e.SYN_DROPPED, 0), InputEvent(sec, usec, e.EV_SYN, e.SYN_REPORT, 0)]
    rest = evemu.key_events([(e.KEY_1, 1), (e.KEY_1, 0), (e.KEY_ENTER, 1), (e.KEY_ENTER, 0),
                             (e.KEY_A, 1), (e.KEY_A, 0), (e.KEY_LEFTSHIFT, 0), (e.KEY_ENTER, 1), (e.KEY_ENTER, 0)],
                            start=now + 0.03)
    device.send(partial + overflow + rest)
    wait_for(lambda: any(s.ok for s in bench.scans))
    assert [(s.text, s.dropped) for s in bench.scans] == [("SN-00", OVERFLOW), ("A", None)]


def test_a_half_scan_is_dropped_when_the_device_falls_silent(bench):
    path = bench.plug("event5")
    bench.hub(ScannerConfig(name="dock", match="ffff:0035", timeout_ms=50)).poll()
    bench.devices[path].send(evemu.key_events(keymaps.encode("SN-12", "us"), start=time.time()))
    [dropped] = wait_for(lambda: bench.scans)
    assert dropped.text == "SN-12" and "50 ms" in dropped.dropped


def test_a_busy_event_loop_loses_no_keys(bench):
    """The reader is its own thread: a screen update that blocks the app's loop stalls nothing."""
    path = bench.plug("event5")
    bench.hub(SCANNER).poll()
    long_scan = "0109501101020917" + "\x1d" + "21" + "SN" * 30  # ~500 events, far beyond the kernel's 64

    async def app() -> list[str]:
        bench.devices[path].type(long_scan)
        time.sleep(0.3)  # a long, blocking screen update on the app's loop
        return texts(bench)

    assert asyncio.run(app()) == [long_scan]  # the scan was read while the loop was blocked


def test_a_grab_held_by_another_program_is_reported(bench):
    path = bench.plug("event5", busy=True)
    hub = bench.hub(SCANNER)
    hub.poll()
    [status] = hub.statuses()
    assert (status.state, status.device) == ("busy", path) and "another program" in status.message
    assert bench.devices[path].closed and not hub.usable


def test_without_grab_the_device_is_read_but_not_taken(bench):
    path = bench.plug("event5", busy=True)
    hub = bench.hub(ScannerConfig(name="dock", match="ffff:0035", grab=False))
    hub.poll()
    bench.devices[path].type("X1")
    wait_for(lambda: texts(bench) == ["X1"])
    assert not bench.devices[path].grabbed


def test_permission_problems_are_explained(bench, tmp_path):
    bench.plug("event5", denied=True, by_id="usb-SM-2D_PRODUCT-event-kbd")
    hub = bench.hub(ScannerConfig(name="dock", match=str(bench.dir / "by-id" / "usb-SM-2D*")))
    hub.poll()
    [status] = hub.statuses()
    assert status.state == "permission_denied" and "99-kiosk-scanners.rules" in status.message
    assert "udevadm" in status.message


def test_a_callback_that_fails_does_not_stop_the_reader(bench):
    path = bench.plug("event5")
    seen = []

    def on_scan(scan):
        seen.append(scan.text)
        raise RuntimeError("a bug in the screen")

    hub = ScannerHub([SCANNER], on_scan, input_dir=str(bench.dir), open_device=bench.open)
    bench.hubs.append(hub)
    hub.poll()
    bench.devices[path].type("A1")
    bench.devices[path].type("A2")
    wait_for(lambda: seen == ["A1", "A2"])


@pytest.mark.parametrize(
    "config, needle",
    [(ScannerConfig(name="dock", match="x", terminators=["KEY_NOPE"]), "KEY_NOPE"),
     (ScannerConfig(name="dock", match="x", layout="dvorak"), "dvorak"),
     (ScannerConfig(name="dock", match="x", timeout_ms=0), "timeout_ms"),
     (ScannerConfig(name="dock", match="  "), "scanners.match")],
    ids=["terminator", "layout", "time-out", "empty-match"],
)
def test_a_bad_scanner_config_is_refused_at_once(bench, config, needle):
    with pytest.raises(KioskError) as err:
        bench.hub(config)
    assert err.value.code == "bad_config" and needle in err.value.message


# ---------------------------------------------------------------- python-evdev's own readers over a pipe


def test_evdev_async_read_loop_over_a_pipe_decodes_a_capture():
    class PipeDevice(EventIO):
        def __init__(self, fd: int) -> None:
            self.fd = fd

    read, write = os.pipe()
    capture = evemu.read(CAPTURES / "sm2d-1.evemu")
    os.write(write, b"".join(struct.pack("llHHi", ev.sec, ev.usec, ev.type, ev.code, ev.value) for ev in capture.events))
    decoder = ScanDecoder()

    async def main() -> list[str]:
        found = []
        async for event in PipeDevice(read).async_read_loop():
            found += [s.text for s in decoder.feed(event)]
            if found:
                return found
        return found

    try:
        assert asyncio.run(asyncio.wait_for(main(), 5)) == EXPECTED["sm2d-1.evemu"]
    finally:
        os.close(read)
        os.close(write)


# ---------------------------------------------------------------- kiosk scanners watch


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json-lines"])
def test_watch_prints_each_scan_as_data_never_as_control_sequences(bench, as_json):
    import io
    import threading

    from kiosk.cli.context import Context
    from kiosk.cli.scanner_cmds import watch

    path = bench.plug("event5")
    ctx = Context(json=as_json, out=io.StringIO(), err=io.StringIO())
    runner = threading.Thread(target=watch, args=(ctx, [SCANNER], 0.6),
                              kwargs={"input_dir": str(bench.dir), "open_device": bench.open, "poll_interval": 0.02})
    runner.start()
    device = wait_for(lambda: bench.devices.get(path))
    wait_for(lambda: device.grabbed)
    device.type("\x1b[2J" + "0109501101020917\x1d21A")  # an ESC sequence in a barcode stays text
    runner.join(5)
    assert not runner.is_alive() and device.closed
    if as_json:
        lines = [json.loads(line) for line in ctx.out.getvalue().splitlines()]
        assert lines[0]["status"] == "connected"
        assert lines[1] == {"scan": "\x1b[2J0109501101020917\x1d21A", "scanner": "dock", "device": path, "mode": "receiving"}
    else:
        assert ctx.out.getvalue() == "\\x1b[2J0109501101020917\\x1d21A\n"
        assert "dock: connected" in ctx.err.getvalue()


# ---------------------------------------------------------------- the udev rule


def test_the_udev_rule_opens_only_listed_scanner_models_to_the_kiosk_user():
    rules = (Path(__file__).resolve().parents[2] / "config" / "99-kiosk-scanners.rules").read_text()
    granting = [line for line in rules.splitlines() if ("OWNER" in line or "MODE" in line or "GROUP" in line) and not line.startswith("#")]
    assert granting, "the rule grants nothing"
    for line in granting:
        assert re.search(r'ATTRS\{idVendor\}=="[0-9a-f]{4}", ATTRS\{idProduct\}=="[0-9a-f]{4}"', line), line
        assert 'OWNER="kiosk"' in line and 'MODE="0600"' in line and "GROUP" not in line, line
    assert 'SUBSYSTEM!="input", GOTO="kiosk_scanners_end"' in rules and 'KERNEL!="event*"' in rules


def test_a_waiting_scanner_mentions_nodes_this_user_may_not_read(bench):
    bench.plug("event5", denied=True)  # no sysfs here: we cannot tell what it is
    hub = bench.hub(SCANNER)
    hub.poll()
    [status] = hub.statuses()
    assert status.state == "waiting" and "1 input node(s) may not be read" in status.message
    bench.plan[str(bench.dir / "event5")] = {}  # the udev rule is installed: the node is readable now
    os.utime(bench.dir / "event5")  # …and changed, as a chown by udev changes it
    hub.poll()
    assert [s.state for s in hub.statuses()] == ["connected"]
