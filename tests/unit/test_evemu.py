"""evemu-record captures: the real scanner recordings decode to their expected scans,
our own recordings too, and a malformed capture is ``bad_request`` naming the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from evdev import InputEvent
from evdev import ecodes as e

from kiosk.hardware import evemu, keymaps
from kiosk.hardware.decoder import decode_events
from kiosk.model.errors import KioskError

REPO = Path(__file__).resolve().parents[2]
CAPTURES = REPO / ".." / "shared" / "captures"
DATA = REPO / "tests" / "data"
EXPECTED = json.loads((CAPTURES / "expected.json").read_text())
OUR_CAPTURES = {
    "us-typed.evemu": ["SN-0001", "abc-XYZ_9/#+", "]C1010950110102091710LOT7\x1d21SN0042"],
    "alt-codes.evemu": ["SN-0001", "0109501101020917\x1d21A+B/7"],
}


def test_the_real_captures_are_all_checked():
    assert sorted(EXPECTED) == sorted(p.name for p in CAPTURES.glob("*.evemu")) and len(EXPECTED) >= 3


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_scanner_captures_decode_to_the_expected_scans(name):
    capture = evemu.read(CAPTURES / name)
    assert capture.name == "SM-2D PRODUCT HID KBW" and (capture.vendor, capture.product) == (0xFFFF, 0x0035)
    found = decode_events(capture.events)
    assert [s.text for s in found] == EXPECTED[name] and all(s.ok for s in found)


@pytest.mark.parametrize("name", sorted(OUR_CAPTURES))
def test_our_captures_decode_to_what_was_typed(name):
    found = decode_events(evemu.read(DATA / name).events)
    assert [s.text for s in found] == OUR_CAPTURES[name] and all(s.ok for s in found)


def test_events_keep_type_code_value_and_microseconds():
    capture = evemu.parse("N: x\nI: 0003 046d c31c 0110\nE: 12.000250 0001 001e 1\nE: 12.5 0000 0000 0\n")
    assert list(map(_fields, capture.events)) == [
        (12, 250, e.EV_KEY, e.KEY_A, 1), (12, 500000, e.EV_SYN, e.SYN_REPORT, 0)
    ]
    assert all(isinstance(ev, InputEvent) for ev in capture.events)
    assert (capture.vendor, capture.product) == (0x046D, 0xC31C)


def test_written_captures_read_back_the_same():
    strokes = keymaps.encode("Ab-1", "us")
    capture = evemu.Capture("scanner", 3, 0xFFFF, 0x35, 0x110, evemu.key_events(strokes))
    again = evemu.parse(evemu.write(capture))
    assert (again.name, again.vendor, again.product) == ("scanner", 0xFFFF, 0x35)
    assert list(map(_fields, again.events)) == list(map(_fields, capture.events))


@pytest.mark.parametrize(
    "text, where",
    [
        ("N: x\nE: 1.0 0001 001e\n", "line 2"),
        ("E: 1.0 0001 001e 1\nE: one 0001 001e 1\n", "line 2"),
        ("E: 1.0 zz 001e 1\n", "line 1"),
        ("# fine\nI: 0003 nothex 0035 0110\nE: 1.0 0001 001e 1\n", "line 2"),
        ("hello world\n", "line 1"),
        ("# only comments\nN: x\n", "no events"),
        ("", "no events"),
    ],
)
def test_malformed_captures_are_bad_requests_naming_the_line(text, where):
    with pytest.raises(KioskError) as err:
        evemu.parse(text, "scan.evemu")
    assert err.value.code == "bad_request" and where in err.value.message and "scan.evemu" in err.value.message


@pytest.mark.parametrize("make", [lambda p: p / "missing.evemu", lambda p: p, lambda p: _binary(p)], ids=["missing", "directory", "binary"])
def test_unreadable_captures_are_bad_requests(tmp_path, make):
    with pytest.raises(KioskError) as err:
        evemu.read(make(tmp_path))
    assert err.value.code == "bad_request" and "cannot read capture" in err.value.message


def _fields(ev: InputEvent) -> tuple:
    return ev.sec, ev.usec, ev.type, ev.code, ev.value


def _binary(tmp_path: Path) -> Path:
    path = tmp_path / "scan.evemu"
    path.write_bytes(b"\xff\xfe\x00E: \x80")
    return path
