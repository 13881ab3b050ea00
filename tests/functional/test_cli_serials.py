"""``kiosk serials …``: parse, generate, search, history and export (SPEC §5)."""

from __future__ import annotations

import csv
import re

from tests.functional.conftest import ISO_UTC, doc, line

SEARCH_KEYS = {"serial", "sku", "item_name", "warehouse", "status", "last_doc", "last_doc_type", "updated_at"}


def test_parse_and_generate(kiosk, stocked):
    assert kiosk.ok("serials", "parse", "--", "-A1，B2、C3 D4\u3000E5") == {"serials": ["-A1", "B2", "C3", "D4", "E5"]}
    kiosk.refused("serials", "parse", "-A1", code="bad_request")  # a leading '-' needs '--' first
    invalid = kiosk.refused("serials", "parse", "OK1 bad\x1bcode 手机", code="invalid_serial")
    assert invalid.error["serials"] == ["bad\x1bcode", "手机"]
    assert kiosk.refused("serials", "parse", "D1 D2 D1", code="duplicate_in_input").error["serials"] == ["D1"]
    generated = kiosk.ok("serials", "generate", "--prefix", "PHN-", "--start", "59", "--count", "3", "--width", "3")
    assert generated == {"serials": ["PHN-059", "PHN-060", "PHN-061"], "existing": ["PHN-059", "PHN-060"]}
    kiosk.refused("serials", "generate", "--start", "1", "--count", "1001", code="too_many_serials")
    kiosk.refused("serials", "generate", "--start", "1", "--count", "x", code="bad_request")


def test_search_pages_sorted_results_in_the_spec_shape(kiosk, stocked):
    [sale] = kiosk.post(doc("sale", line(serials=["PHN-002", "PHN-001"]))).value["posted"]
    first = kiosk.ok("serials", "search")
    assert set(first) == {"total", "results"} and first["total"] == 60 and len(first["results"]) == 50
    codes = [r["serial"] for r in first["results"]]
    assert codes == sorted(codes) == [f"PHN-{n:03d}" for n in range(1, 51)]
    row = first["results"][0]
    assert set(row) == SEARCH_KEYS and re.fullmatch(ISO_UTC, row["updated_at"])
    assert (row["sku"], row["item_name"], row["status"], row["warehouse"]) == ("PHN", "Phone", "out", None)
    assert (row["last_doc"], row["last_doc_type"]) == (sale["number"], "sale")
    page = kiosk.ok("serials", "search", "--status", "in_stock", "--warehouse", "MAIN", "--limit", "2", "--offset", "1")
    assert page["total"] == 58 and [r["serial"] for r in page["results"]] == ["PHN-004", "PHN-005"]
    moved = kiosk.ok("serials", "search", "--doc", sale["number"], "--serial", "-00")
    assert [r["serial"] for r in moved["results"]] == ["PHN-001", "PHN-002"]
    kiosk.refused("serials", "search", "--since", "yesterday", code="bad_request")
    kiosk.refused("serials", "search", "--warehouse", "EAST", code="unknown_warehouse")


def test_history_and_export(kiosk, stocked, tmp_path):
    kiosk.post(doc("sale", line(serials=["PHN-007"])), doc("sale_return", line(serials=["PHN-007"])))
    history = kiosk.ok("serials", "history", "PHN-007")
    assert set(history) == {"serial", "sku", "status", "warehouse", "movements"}
    assert (history["serial"], history["sku"], history["status"], history["warehouse"]) == ("PHN-007", "PHN", "in_stock", "MAIN")
    assert [(m["type"], m["direction"]) for m in history["movements"]] == [("purchase", "in"), ("sale", "out"), ("sale_return", "in")]
    assert all(set(m) == {"doc", "type", "direction", "warehouse", "at", "voided"} for m in history["movements"])
    kiosk.refused("serials", "history", "NEVER-SEEN", code="unknown_serial")

    out = tmp_path / "report.csv"
    assert kiosk.ok("serials", "export", "--format", "csv", "--out", str(out), "--serial", "PHN-00") == {
        "exported": 9, "out": str(out),
    }
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["serial", "sku", "item_name", "warehouse", "status", "last_doc", "last_doc_type", "updated_at"]
    assert [r[0] for r in rows[1:]] == [f"PHN-{n:03d}" for n in range(1, 10)]
    kiosk.refused("serials", "export", "--format", "csv", "--out", str(tmp_path / "no" / "dir" / "x.csv"), code="bad_request")
