"""SPEC §8: bad input never crashes anything and never writes part of a document.

Hypothesis feeds each parser of outside input what an attacker or a broken device
could send: the document JSON (and posting it through the Ledger on a real
database), the manual-entry parser, ``evemu-record`` captures, and raw key event
streams into the scan decoder. The only way out is a ``KioskError``.
"""

from __future__ import annotations

import sqlite3
import string

import pytest
from evdev import InputEvent
from evdev import ecodes as e
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.hardware import evemu
from kiosk.hardware.decoder import ScanDecoder
from kiosk.hardware.keymaps import LAYOUTS
from kiosk.model import codes
from kiosk.model.documents import TYPES, parse_document
from kiosk.model.errors import KioskError
from tests.robustness.support import check_counters, path_of, prepare

# ---------------------------------------------------------------- document JSON

json_scalars = st.none() | st.booleans() | st.integers(-10**15, 10**15) | st.floats(allow_nan=True) | st.text(max_size=12)
any_json = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)

# codes near the edges: valid, hostile, separators, GS, non-ASCII, too long
code = st.sampled_from(["P1", "P2", "P3", "C1", "X-1", "\x1b[2J", "a b", "a,b", "序列", "\x1d", "", " ", "-", "P1 P2", "=1+2"]) | st.text(max_size=6)
codes_value = st.lists(code, max_size=5) | code | any_json
quantity = st.sampled_from([1, 2, 0, -1, 0.5, 1e-7, 1e13, 2.5, float("inf"), float("nan"), "1", True, None, 10**12]) | st.integers(-5, 5) | st.floats(-3, 3)
line = st.fixed_dictionaries(
    {},
    optional={
        "sku": st.sampled_from(["PHN", "CBL", "NOPE", "", 5]),
        "qty": quantity,
        "unit": st.sampled_from(["pcs", "box", "kg", "", None]),
        "serials": codes_value,
        "cartons": st.lists(st.sampled_from(["CT1", "NOCT", "P1"]), max_size=2),
        "add": st.lists(code, max_size=3),
        "remove": st.lists(code, max_size=3),
    },
) | any_json
document = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from([*TYPES, "order", "", None]),
        "warehouse": st.sampled_from(["MAIN", "WEST", "NOWH", "", 1]),
        "to_warehouse": st.sampled_from(["MAIN", "WEST", "NOWH", None]),
        "partner": st.text(max_size=10) | any_json,
        "note": st.text(max_size=10),
        "lines": st.lists(line, max_size=3) | any_json,
    },
) | any_json


POOL = st.sampled_from(["P1", "P2", "P3", "P4", "C1", "NEW1", "NEW2"])


@st.composite
def plausible_document(draw) -> dict:
    """Well-formed documents on the fixture's world, so that many post and many break a rule."""
    doc_type = draw(st.sampled_from(TYPES))
    warehouse = draw(st.sampled_from(["MAIN", "WEST"]))
    doc: dict = {"type": doc_type, "warehouse": warehouse, "lines": []}
    if doc_type == "transfer":
        doc["to_warehouse"] = "WEST" if warehouse == "MAIN" else "MAIN"
    for sku in draw(st.lists(st.sampled_from(["PHN", "CBL"]), min_size=1, max_size=2, unique=True)):
        if sku == "CBL" and draw(st.integers(0, 9)):  # mostly right: a plain item takes no serials
            doc["lines"].append({"sku": sku, "qty": draw(st.integers(1, 4))} if doc_type != "adjustment" else {"sku": "PHN", "add": ["NEW3"]})
            continue
        if doc_type == "adjustment":
            doc["lines"].append({"sku": sku, "add": draw(st.lists(POOL, max_size=2)), "remove": draw(st.lists(POOL, max_size=2))})
            continue
        entry = {"sku": sku, "serials": draw(st.lists(POOL, max_size=3))}
        if draw(st.booleans()) or not entry["serials"]:
            entry["qty"] = draw(st.integers(1, 4))
        if draw(st.integers(0, 5)) == 0:
            entry["cartons"] = ["CT1"]
        doc["lines"].append(entry)
    return doc


@given(document)
def test_parse_document_raises_only_bad_request(value):
    try:
        parsed = parse_document(value)
    except KioskError as exc:
        assert exc.code == "bad_request", exc
    else:
        assert parsed.type in TYPES and parsed.lines
        assert all(isinstance(c, str) for ln in parsed.lines for c in ln.codes)


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory):
    """One database for every example (a function-scoped one fails Hypothesis's health
    check): MAIN, WEST, serial PHN with pack box=10, plain CBL, carton CT1, stock."""
    from kiosk.model import db as kdb
    from kiosk.model.api import Ledger

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    prepare(url)
    kdb.connect(url)
    ledger = Ledger(station="fuzz", operator="fuzzer")
    ledger.add_carton("CT1", "PHN", ["C1", "C2"])
    ledger.post({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": ["P1", "P2"], "qty": 4}, {"sku": "CBL", "qty": 9}]})
    yield url, ledger
    kdb.close()


def row_counts(path) -> tuple:
    with sqlite3.connect(path) as con:
        found = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("document", "doc_line", "serial", "movement", "stock"))
    con.close()
    return found


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(plausible_document(), plausible_document(), plausible_document(), document))
def test_posting_fuzzed_documents_refuses_whole_or_posts_whole(fuzz_db, value):
    url, ledger = fuzz_db
    path = path_of(url)
    before = row_counts(path)
    try:
        posted = ledger.post(value)
    except KioskError as exc:
        assert exc.code != "internal_error"
        assert row_counts(path) == before  # refused: nothing of it written
    else:
        after = row_counts(path)
        assert after[0] == before[0] + 1 and after[1] == before[1] + len(posted["lines"])
    check_counters(path)


# ---------------------------------------------------------------- manual entry


@given(st.text(max_size=300) | st.lists(code, max_size=30).map(" ,\u3000".join))
def test_manual_entry_gives_valid_distinct_codes_or_a_rule(text):
    try:
        parsed = codes.parse_entry(text)
    except KioskError as exc:
        assert exc.code in ("invalid_serial", "too_many_serials", "duplicate_in_input"), exc
        assert exc.message.isprintable()
    else:
        assert all(codes.is_valid(c) for c in parsed) and len(set(parsed)) == len(parsed)


# ---------------------------------------------------------------- evemu captures

evemu_line = st.one_of(
    st.text(max_size=40),
    st.builds("E: {}.{} {} {} {}".format, st.integers(-5, 10**12), st.integers(0, 10**7), st.text(string.hexdigits, max_size=5),
              st.text(string.hexdigits, max_size=5), st.integers(-(2**40), 2**40)),
    st.builds("I: {} {} {} {}".format, *[st.text(string.hexdigits + "xg-", max_size=6)] * 4),
    st.sampled_from(["# EVEMU 1.3", "N: scanner", "B: 00 0b", "", "E: 1.000001 0001 001e 1", "E: 1.000002 0000 0000 0"]),
)


@given(st.lists(evemu_line, max_size=12).map("\n".join))
def test_evemu_parse_raises_only_bad_request(text):
    try:
        capture = evemu.parse(text, "fuzz")
    except KioskError as exc:
        assert exc.code == "bad_request" and exc.message.startswith("fuzz")
    else:
        assert capture.events


# ---------------------------------------------------------------- the scan decoder

KEY_CODES = st.sampled_from(sorted({*range(0, 130), e.KEY_KP0, e.KEY_KP7, e.KEY_KPENTER, e.KEY_LEFTALT, e.KEY_RIGHTALT,
                                    e.KEY_LEFTCTRL, e.KEY_LEFTSHIFT, e.KEY_CAPSLOCK, e.KEY_RIGHTBRACE, 0x2FF})) | st.integers(0, 0x2FF)
event = st.one_of(
    st.tuples(st.just(e.EV_KEY), KEY_CODES, st.sampled_from([0, 1, 1, 1, 2, -1, 7])),
    st.tuples(st.just(e.EV_SYN), st.sampled_from([e.SYN_REPORT, e.SYN_DROPPED, 5]), st.just(0)),
    st.tuples(st.sampled_from([e.EV_MSC, e.EV_LED, 0x1F]), st.integers(0, 10), st.integers(-1, 70000)),
)
# what no scan may carry: C1 controls (0x9b is CSI to a terminal) and the bidi controls
C1_OR_BIDI = {chr(c) for c in range(0x80, 0xA0)} | set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@settings(max_examples=300)
@given(layout=st.sampled_from(sorted(LAYOUTS)), events=st.lists(st.tuples(event, st.integers(0, 400_000)), max_size=80))
def test_the_scan_decoder_never_raises_and_never_yields_c1_or_bidi_controls(layout, events):
    decoder = ScanDecoder(layout_name=layout)
    clock = 1_700_000_000_000_000
    scans = []
    for (etype, code, value), gap_us in events:
        clock += gap_us
        scans += decoder.feed(InputEvent(clock // 10**6, clock % 10**6, etype, code, value))
        if gap_us > 300_000:
            scans += decoder.expire(clock / 10**6)
    scans += decoder.finish()
    for scan in scans:
        assert isinstance(scan.text, str)
        assert not set(scan.text) & C1_OR_BIDI, ascii(scan.text)
        assert scan.ok or scan.dropped  # a complete scan, or a discarded one with its reason
        assert scan.text or scan.dropped  # a complete scan is never empty


# ---------------------------------------------------------------- GS1 scans

GS1_TEXT = st.text(alphabet=st.sampled_from([*"0123456789()]CdQ[;a-21,", "\x1d", "\x1b", "\x07", "\x9b", "\u202e", "\u0663", "é"]), max_size=40)


@settings(max_examples=500)
@given(prefix=st.sampled_from(["]C1", "]d2", "]Q3", "\x1d", "", "]", "]C10112345678901231\x1d21"]), body=GS1_TEXT)
def test_a_gs1_scan_gives_a_serial_or_an_escaped_refusal(prefix, body):
    from kiosk.hardware.gs1 import parse_scan

    try:
        found = parse_scan(prefix + body)
    except KioskError as exc:
        assert exc.code == "invalid_serial" and exc.message.isprintable(), ascii(exc.message)
    else:
        assert found is None or (found.serial.isprintable() and found.serial.isascii())
