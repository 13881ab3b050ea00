"""``kiosk scanners list|watch|decode`` through the installed script (SPEC §5, §7)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CAPTURES = REPO / ".." / "shared" / "captures"
DATA = REPO / "tests" / "data"
EXPECTED = json.loads((CAPTURES / "expected.json").read_text())
US_TYPED = ["SN-0001", "abc-XYZ_9/#+", "]C1010950110102091710LOT7\x1d21SN0042"]
RAW_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_decode_gives_exactly_the_expected_scans_of_each_real_capture(kiosk, name):
    assert kiosk.ok("scanners", "decode", str(CAPTURES / name), db=None) == {"scans": EXPECTED[name]}


def test_decode_of_our_us_capture_gives_exactly_what_was_typed(kiosk):
    assert kiosk.ok("scanners", "decode", str(DATA / "us-typed.evemu"), db=None) == {"scans": US_TYPED}


def test_the_layout_changes_what_the_same_keys_mean(kiosk):
    value = kiosk.ok("scanners", "decode", str(DATA / "us-typed.evemu"), "--layout", "de", db=None)
    assert value["scans"][:2] == ["SN-0001", "abc-XZY?9-§+"]


def test_terminators_can_be_chosen(kiosk):
    value = kiosk.ok("scanners", "decode", str(CAPTURES / "sm2d-3.evemu"), "--terminator", "KEY_TAB", db=None)
    before_tab, after_tab = EXPECTED["sm2d-3.evemu"][0].split("\t")
    assert value["scans"] == [before_tab]
    assert value["dropped"][0]["partial"] == after_tab + "\n"  # Enter is text now; no TAB ends it


def test_readable_decode_prints_one_scan_a_line_with_controls_escaped(kiosk):
    result = kiosk("scanners", "decode", str(DATA / "us-typed.evemu"), json_out=False, db=None)
    assert result.status == 0 and result.err == ""
    assert result.out.splitlines() == ["SN-0001", "abc-XYZ_9/#+", "]C1010950110102091710LOT7\\x1d21SN0042"]
    result = kiosk("scanners", "decode", str(CAPTURES / "sm2d-3.evemu"), json_out=False, db=None)
    assert "\\x09" in result.out and not RAW_CONTROLS.search(result.out)


@pytest.mark.parametrize(
    "content, needle",
    [(b"hello\n", "line 1"), (b"E: 1.0 0001 001e\n", "line 1"), (b"\xff\xfe\x00\x01", "cannot read"), (b"", "no events")],
    ids=["not-evemu", "short-event", "binary", "empty"],
)
def test_a_malformed_capture_is_a_bad_request(kiosk, tmp_path, content, needle):
    capture = tmp_path / "bad.evemu"
    capture.write_bytes(content)
    result = kiosk.refused("scanners", "decode", str(capture), code="bad_request", db=None)
    assert needle in result.error["message"]
    kiosk.refused("scanners", "decode", str(capture), code="bad_request", db=None, json_out=False)


@pytest.mark.parametrize(
    "args",
    [("scanners", "decode", "missing.evemu"), ("scanners", "decode", "."), ("scanners", "decode", "x.evemu", "--layout", "dvorak"),
     ("scanners", "decode", str(DATA / "us-typed.evemu"), "--terminator", "KEY_NOPE"),
     ("scanners", "decode", str(DATA / "us-typed.evemu"), "--timeout-ms", "0"), ("scanners",)],
)
def test_bad_decode_requests_are_refused(kiosk, args):
    kiosk.refused(*args, code="bad_request", db=None)
    kiosk.refused(*args, code="bad_request", db=None, json_out=False)


def test_list_without_input_devices_is_an_empty_list_and_a_hint(kiosk, tmp_path):
    env = {"KIOSK_INPUT_DIR": str(tmp_path / "no-input")}
    value = kiosk.ok("scanners", "list", db=None, env=env)
    assert value["results"] == [] and "plug in the scanner" in value["hint"]
    result = kiosk("scanners", "list", db=None, env=env, json_out=False)
    assert result.status == 0 and "(none)" in result.out and "hint: no input devices" in result.out


def test_list_shows_nodes_that_are_no_input_devices_with_the_reason(kiosk, tmp_path):
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "event0").write_text("not a device")
    value = kiosk.ok("scanners", "list", db=None, env={"KIOSK_INPUT_DIR": str(tmp_path / "input")})
    [row] = value["results"]
    assert row["path"] == str(tmp_path / "input" / "event0") and not row["readable"] and not row["scanner"]
    assert row["problem"].startswith("cannot open") and "looks like a scanner" in value["hint"]


def test_watch_reports_a_configured_scanner_that_is_not_there(kiosk, tmp_path):
    config = tmp_path / "station.toml"
    config.write_text('[[scanners]]\nname = "dock"\nmatch = "ffff:0035"\n')
    env = {"KIOSK_INPUT_DIR": str(tmp_path / "no-input")}
    result = kiosk("--json", "--config", str(config), "scanners", "watch", "--seconds", "0.3", json_out=False, db=None, env=env)
    assert result.status == 0, result.err
    assert [json.loads(line) for line in result.out.splitlines()] == [
        {"status": "waiting", "scanner": "dock", "device": None, "message": "no device matches 'ffff:0035' yet"}
    ]


def test_watch_with_nothing_to_watch_says_why(kiosk, tmp_path):
    result = kiosk("scanners", "watch", json_out=False, db=None, env={"KIOSK_INPUT_DIR": str(tmp_path)})
    assert result.status == 0 and "no scanner to watch" in result.err and "scanners list" in result.err
