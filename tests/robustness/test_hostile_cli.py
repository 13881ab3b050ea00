"""SPEC §8: imported text never reaches the terminal as control sequences from the
command line. Partners and notes are free text in document JSON; readable output
shows their controls escaped (``safe``), and ``--json`` is pure ASCII JSON that
reads back to the very same text."""

from __future__ import annotations

import json
import re

import pytest

HOSTILE = "Acme\x1b]0;pwned\x07 \x1b[2J\x9b31m\u202eevil\u2066 \x85\x00end"
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile(kiosk):
    """A purchase whose partner and note carry every kind of control (NUL is refused)."""
    doc = {"type": "purchase", "warehouse": "MAIN", "partner": HOSTILE.replace("\x00", ""), "note": HOSTILE.replace("\x00", ""),
           "lines": [{"sku": "PHN", "serials": ["H-1"]}]}
    assert kiosk.post(doc).status == 0
    return kiosk


@pytest.mark.parametrize("args", [("doc", "show", "PUR-000001"), ("doc", "list"), ("doc", "list", "--type", "purchase")])
def test_readable_output_shows_controls_escaped(hostile, args):
    result = hostile(*args, json_out=False)
    assert result.status == 0, result.err
    assert not FORBIDDEN.search(result.out), ascii(result.out)
    assert "Acme\\x1b]0;pwned\\x07" in result.out
    if args[1] == "show":
        assert "\\x1b[2J\\x9b31m\\u202eevil\\u2066 \\x85end" in result.out


@pytest.mark.parametrize("args", [("doc", "show", "PUR-000001"), ("doc", "list"), ("serials", "history", "H-1")])
def test_json_output_is_pure_ascii_and_reads_back_exactly(hostile, args):
    result = hostile(*args)
    assert result.out.isascii() and not FORBIDDEN.search(result.out)
    if args[1] == "show":
        assert result.value["partner"] == HOSTILE.replace("\x00", "")


def test_a_nul_in_imported_text_is_a_bad_request(kiosk):
    result = kiosk.refused("doc", "post", "-", stdin=json.dumps({"type": "purchase", "warehouse": "MAIN", "partner": HOSTILE,
                                                                  "lines": [{"sku": "PHN", "qty": 1}]}), code="bad_request")
    assert "NUL" in result.error["message"]


def test_a_refused_hostile_serial_is_one_escaped_line(kiosk):
    """The error line names the offending code, escaped (conftest's ``refused`` checks no raw control)."""
    doc = {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": ["\x1b]0;pwned\x07", "ok\u202e"]}]}
    result = kiosk.refused("doc", "post", "-", stdin=json.dumps(doc), code="invalid_serial", json_out=False)
    assert "x1b]0;pwned" in result.err and "u202e" in result.err  # escaped: no raw ESC (checked by ``refused``)
    as_json = kiosk.refused("doc", "post", "-", stdin=json.dumps(doc), code="invalid_serial")
    assert as_json.out.isascii() and as_json.error["serials"] == ["\x1b]0;pwned\x07", "ok\u202e"]


def test_hostile_command_line_arguments_are_escaped_in_the_error(kiosk):
    result = kiosk.refused("serials", "history", "\x1b]0;pwned\x07", code="unknown_serial", json_out=False)
    assert "\\x1b]0;pwned\\x07" in result.err


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])  # SPEC §5, written out: not read from the code
def test_every_formula_start_of_the_spec_is_neutralised(start):
    from kiosk.model.queries import neutralise

    assert neutralise(f"{start}HYPERLINK(\"http://x\")") == f"'{start}HYPERLINK(\"http://x\")"


def test_exports_from_the_command_line_carry_no_formula(kiosk, tmp_path):
    from openpyxl import load_workbook

    kiosk.ok("item", "add", "=EVIL", "--name", "@SUM(A1:A9)", "--serial")
    kiosk.post({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "=EVIL", "serials": ["=1+2", "+7", "-3", "@x"]}]})
    kiosk.ok("serials", "export", "--format", "csv", "--out", str(tmp_path / "s.csv"), "--sku", "=EVIL")
    rows = [line.split(",") for line in (tmp_path / "s.csv").read_text(encoding="utf-8-sig").splitlines()[1:]]
    assert [r[:3] for r in rows] == [[f"'{c}", "'=EVIL", "'@SUM(A1:A9)"] for c in ["+7", "-3", "=1+2", "@x"]]
    kiosk.ok("serials", "export", "--format", "xlsx", "--out", str(tmp_path / "s.xlsx"), "--sku", "=EVIL")
    cells = [c for row in load_workbook(tmp_path / "s.xlsx").active.iter_rows(min_row=2) for c in row[:3]]
    assert all(c.data_type == "s" for c in cells) and {c.value for c in cells} >= {"=1+2", "=EVIL", "@SUM(A1:A9)"}
