"""SPEC §5 reading side: serial search filters and paging, export, history, DOC shape."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules_support import buy, line, post, refused, sell, world  # noqa: F401

from kiosk.model.queries import FORMULA_START, DocumentFilter, SerialFilter, neutralise
from kiosk.model.tables import Serial

CODES = ["AB%C", "ABXC", "A_B", "AxB", "abc", "ABC", "Z9", "A\\B"]


def found(ledger, **filters) -> list[str]:
    return [r["serial"] for r in ledger.search(SerialFilter(limit=None, **filters))["results"]]


@pytest.fixture
def stocked(world):
    buy(world, *CODES)
    return world


def test_serial_filter_is_a_literal_case_sensitive_substring(stocked):
    assert found(stocked, serial="%") == ["AB%C"]
    assert found(stocked, serial="_") == ["A_B"]
    assert found(stocked, serial="\\") == ["A\\B"]  # not an escape character either
    assert found(stocked, serial="B%") == ["AB%C"]
    assert found(stocked, serial="AB") == ["AB%C", "ABC", "ABXC"]
    assert found(stocked, serial="abc") == ["abc"]
    assert found(stocked, serial="x") == ["AxB"]
    assert found(stocked, serial="*") == []
    assert found(stocked, serial="A?C") == []


def test_search_is_sorted_by_serial_and_paged(stocked):
    everything = sorted(CODES)
    assert found(stocked) == everything
    page = stocked.search(SerialFilter(limit=2, offset=2))
    assert page["total"] == len(CODES)
    assert [r["serial"] for r in page["results"]] == everything[2:4]
    assert [r["serial"] for r in stocked.search(SerialFilter(limit=2, after=everything[3]))["results"]] == everything[4:6]
    assert stocked.search(SerialFilter(serial="AB", limit=1))["total"] == 3
    for bad in (SerialFilter(limit=0), SerialFilter(offset=-1), SerialFilter(status="lost")):
        refused("bad_request", stocked.search, bad)


def test_search_row_shape(stocked):
    purchase_number = stocked.search(SerialFilter(serial="Z9"))["results"][0]["last_doc"]
    row = stocked.search(SerialFilter(serial="Z9"))["results"][0]
    assert set(row) == {"serial", "sku", "item_name", "warehouse", "status", "last_doc", "last_doc_type", "updated_at"}
    assert (row["sku"], row["item_name"], row["warehouse"], row["status"]) == ("PHN", "Phone", "MAIN", "in_stock")
    assert (row["last_doc"], row["last_doc_type"]) == (purchase_number, "purchase")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["updated_at"])


def test_warehouse_status_sku_and_doc_filters(world):
    purchase = buy(world, "A1", "A2", "A3")
    buy(world, "T1", sku="TAB", warehouse="WEST")
    sale = sell(world, "A1")
    transfer = post(world, "transfer", line(serials=["A2"]), to_warehouse="WEST")
    post(world, "sale", line("TAB", ["T1"]), warehouse="WEST")  # out: no longer in WEST
    assert found(world, warehouse="WEST") == ["A2"]
    assert found(world, warehouse="MAIN") == ["A3"]
    assert found(world, status="out") == ["A1", "T1"]
    assert found(world, status="in_stock", sku="PHN") == ["A2", "A3"]
    assert found(world, sku="TAB") == ["T1"]
    assert found(world, doc=purchase["number"]) == ["A1", "A2", "A3"]  # any movement, since moved or not
    assert found(world, doc=sale["number"]) == ["A1"]
    assert found(world, doc=transfer["number"], warehouse="WEST") == ["A2"]
    refused("unknown_item", world.search, SerialFilter(sku="NOPE"))
    refused("unknown_warehouse", world.search, SerialFilter(warehouse="EAST"))
    refused("unknown_document", world.search, SerialFilter(doc="PUR-999999"))


def test_since_and_until_are_inclusive(world):
    buy(world, "S1", "S2", "S3")
    times = {
        "S1": dt.datetime(2026, 1, 1, 10, 0, 0),
        "S2": dt.datetime(2026, 1, 2, 10, 0, 0, 500000),
        "S3": dt.datetime(2026, 1, 3, 0, 0, 0),
    }
    for code, moment in times.items():
        Serial.update(updated_at=moment).where(Serial.code == code).execute()
    cases = [
        (dict(since="2026-01-02"), ["S2", "S3"]),
        (dict(until="2026-01-02"), ["S1", "S2"]),  # a date covers its whole day
        (dict(since="2026-01-02T10:00:00Z", until="2026-01-02T10:00:00Z"), ["S2"]),  # and a time its second
        (dict(since="2026-01-03T00:00:00"), ["S3"]),
        (dict(until="2026-01-03T00:00:00"), ["S1", "S2", "S3"]),
        (dict(until="2026-01-02T09:59:59"), ["S1"]),
        (dict(since="2026-01-02T11:00:00+01:00", until="2026-01-02T11:00:00+01:00"), ["S2"]),  # read as UTC
        (dict(since="2026-01-04"), []),
    ]
    for filters, expected in cases:
        assert found(world, **filters) == expected, filters
    refused("bad_request", world.search, SerialFilter(since="yesterday"))


# ---------------------------------------------------------------- export

FORMULA_CODES = ["=1+2", "+1", "-5", "@SUM", "007", "plain"]


@pytest.fixture
def formulas(ledger):
    from kiosk.model.catalog import ItemSpec

    ledger.add_warehouse("MAIN")
    ledger.add_item(ItemSpec("=EVIL", "=HYPERLINK(\"http://x\")", serial=True))
    post(ledger, "purchase", line("=EVIL", FORMULA_CODES))
    sell(ledger, "plain", sku="=EVIL")
    return ledger


def expected_rows(ledger) -> list[list[str]]:
    return [["" if v is None else v for v in r.values()] for r in ledger.search(SerialFilter(limit=None))["results"]]


def test_csv_export_has_a_bom_a_header_and_neutralised_cells(formulas, tmp_path):
    out = tmp_path / "serials.csv"
    assert formulas.export(SerialFilter(limit=None), "csv", out) == {"exported": 6, "out": str(out)}
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["serial", "sku", "item_name", "warehouse", "status", "last_doc", "last_doc_type", "updated_at"]
    assert rows[1:] == [[neutralise(v) for v in row] for row in expected_rows(formulas)]
    serials = [row[0] for row in rows[1:]]
    assert serials == ["'+1", "'-5", "007", "'=1+2", "'@SUM", "plain"]
    assert {row[1] for row in rows[1:]} == {"'=EVIL"}
    assert {row[2] for row in rows[1:]} == {"'=HYPERLINK(\"http://x\")"}
    assert rows[-1][3] == ""  # sold: no warehouse


@pytest.mark.parametrize("start", FORMULA_START)
def test_neutralise_every_formula_start(start):
    assert neutralise(f"{start}cmd|' /C calc'!A0") == f"'{start}cmd|' /C calc'!A0"
    assert neutralise(f"x{start}") == f"x{start}"


def test_xlsx_export_cells_are_text_with_exact_values(formulas, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "serials.xlsx"
    assert formulas.export(SerialFilter(limit=None), "xlsx", out)["exported"] == 6
    sheet = load_workbook(out).active
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    assert [c.value for c in rows[0]] == ["serial", "sku", "item_name", "warehouse", "status", "last_doc", "last_doc_type", "updated_at"]
    assert [[c.value or "" for c in row] for row in rows[1:]] == expected_rows(formulas)
    assert all(c.data_type == "s" for row in rows for c in row if c.value is not None)
    assert [row[0].value for row in rows[1:]] == ["+1", "-5", "007", "=1+2", "@SUM", "plain"]


def test_export_limit_offset_and_filters(formulas, tmp_path):
    out = tmp_path / "page.csv"
    assert formulas.export(SerialFilter(limit=2, offset=1), "csv", out)["exported"] == 2
    assert [r[0] for r in list(csv.reader(out.read_text("utf-8-sig").splitlines()))[1:]] == ["'-5", "007"]
    assert formulas.export(SerialFilter(limit=None, status="out"), "csv", out)["exported"] == 1
    refused("bad_request", formulas.export, SerialFilter(), "pdf", out)


# ---------------------------------------------------------------- history and documents


def test_history_shape_and_order(world):
    purchase = buy(world, "A1")
    transfer = post(world, "transfer", line(serials=["A1"]), to_warehouse="WEST")
    sale = sell(world, "A1", warehouse="WEST")
    world.void(sale["number"])
    found_history = world.history("A1")
    assert {k: found_history[k] for k in ("serial", "sku", "status", "warehouse")} == {
        "serial": "A1", "sku": "PHN", "status": "in_stock", "warehouse": "WEST",
    }
    moves = found_history["movements"]
    assert [(m["doc"], m["type"], m["direction"], m["warehouse"], m["voided"]) for m in moves] == [
        (purchase["number"], "purchase", "in", "MAIN", False),
        (transfer["number"], "transfer", "out", "MAIN", False),
        (transfer["number"], "transfer", "in", "WEST", False),
        (sale["number"], "sale", "out", "WEST", True),
    ]
    assert all(set(m) == {"doc", "type", "direction", "warehouse", "at", "voided"} for m in moves)
    assert [m["at"] for m in moves] == sorted(m["at"] for m in moves)
    assert refused("unknown_serial", world.history, "NOPE").serials == ["NOPE"]


def test_document_shape(world):
    posted = post(world, "purchase", line(serials="A1 A2", qty=3), partner="ACME")
    assert {"number", "type", "status", "warehouse", "to_warehouse", "partner", "posted_at", "lines"} <= set(posted)
    assert re.fullmatch(r"PUR-\d+", posted["number"])
    assert (posted["type"], posted["status"], posted["warehouse"], posted["to_warehouse"], posted["partner"]) == (
        "purchase", "posted", "MAIN", None, "ACME",
    )
    assert posted["lines"] == [{"sku": "PHN", "qty": 3, "unit": "pcs", "serials": ["A1", "A2"]}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", posted["posted_at"])
    assert world.document(posted["number"]) == posted
    refused("unknown_document", world.document, "PUR-999999")


def test_document_list_filters_newest_first(world):
    purchase = buy(world, "A1", "A2")
    transfer = post(world, "transfer", line(serials=["A1"]), line("CBL", qty=1), to_warehouse="WEST")
    sale = sell(world, "A1", warehouse="WEST")
    world.void(sale["number"])

    def listed(**filters) -> list[str]:
        return [d["number"] for d in world.documents(DocumentFilter(**filters))]

    assert listed() == [sale["number"], transfer["number"], purchase["number"]]
    assert listed(warehouse="WEST") == [sale["number"], transfer["number"]]  # either end of a transfer
    assert listed(type="purchase") == [purchase["number"]]
    assert listed(status="voided") == [sale["number"]]
    assert listed(limit=1, offset=1) == [transfer["number"]]
    assert listed(since="2000-01-01", until="2999-12-31") == listed()
    assert listed(until="2000-01-01") == []
    assert world.documents(DocumentFilter(type="transfer"))[0]["line_count"] == 2
    refused("unknown_warehouse", world.documents, DocumentFilter(warehouse="EAST"))


def test_doc_filter_finds_the_serials_of_a_voided_document(world):
    purchase = buy(world, "A1", "A2")
    buy(world, "B1")
    world.void(purchase["number"])
    assert found(world, doc=purchase["number"]) == ["A1", "A2"]


@given(st.text(max_size=30))
def test_a_neutralised_cell_never_starts_a_formula(text):
    out = neutralise(text)
    assert not out.startswith(FORMULA_START)
    assert out in (text, "'" + text)
