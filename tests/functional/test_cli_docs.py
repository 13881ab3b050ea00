"""``kiosk doc …``: posting one or many documents, showing, listing and voiding (SPEC §5)."""

from __future__ import annotations

import json
import re

from tests.functional.conftest import ISO_UTC, SPEC_DOC_KEYS, doc, line


def check_doc(value: dict, doc_type: str, line_keys: set[str]) -> None:
    assert set(value) >= SPEC_DOC_KEYS, value
    assert value["type"] == doc_type and value["status"] in ("posted", "voided")
    assert re.fullmatch(r"[A-Z]{3}-\d+", value["number"]) and re.fullmatch(ISO_UTC, value["posted_at"])
    for entry in value["lines"]:
        assert set(entry) == {"sku", "qty", "unit", "serials"} | line_keys, entry
        assert type(entry["qty"]) in (int, float) and all(type(entry[k]) is list for k in line_keys | {"serials"})


def test_doc_post_prints_each_document_in_the_spec_shape(kiosk, stocked, tmp_path):
    purchase = kiosk.post(doc("purchase", line(serials="N1, N2 N3"), line("CBL", qty=2, unit="box"), partner="ACME"))
    assert purchase.status == 0 and set(purchase.value) == {"posted"}
    [posted] = purchase.value["posted"]
    check_doc(posted, "purchase", set())
    assert posted["warehouse"] == "MAIN" and posted["to_warehouse"] is None and posted["partner"] == "ACME"
    assert posted["lines"] == [
        {"sku": "PHN", "qty": 3, "unit": "pcs", "serials": ["N1", "N2", "N3"]},
        {"sku": "CBL", "qty": 2, "unit": "box", "serials": []},
    ]
    assert kiosk.ok("doc", "show", posted["number"]) == posted

    batch = tmp_path / "batch.json"  # a JSON array: each document checked in its own shape
    batch.write_text(json.dumps([
        doc("transfer", line(serials=["PHN-001"]), to_warehouse="WEST"),
        doc("count", line(serials=["PHN-001", "C9"]), warehouse="WEST"),
        doc("adjustment", line(remove=["PHN-002"], add=["A9"])),
    ]))
    transfer, count, adjustment = kiosk.ok("doc", "post", str(batch))["posted"]
    check_doc(transfer, "transfer", set())
    assert (transfer["warehouse"], transfer["to_warehouse"]) == ("MAIN", "WEST")
    check_doc(count, "count", {"gained", "lost"})
    assert (count["lines"][0]["gained"], count["lines"][0]["lost"], count["lines"][0]["qty"]) == (["C9"], [], 2)
    check_doc(adjustment, "adjustment", {"add", "remove"})
    assert (adjustment["lines"][0]["add"], adjustment["lines"][0]["remove"]) == (["A9"], ["PHN-002"])

    listed = kiosk.ok("doc", "list", "--type", "purchase")
    assert set(listed) == {"results"} and [d["number"] for d in listed["results"]][0] == posted["number"]
    assert all(d["type"] == "purchase" for d in listed["results"]) and len(listed["results"]) == 2


def test_json_lines_post_in_order_and_stop_at_the_first_refused(kiosk, stocked):
    refused = kiosk.post(
        doc("sale", line(serials=["PHN-001"])),
        doc("sale", line(serials=["PHN-002", "PHN-001"])),  # PHN-001 is sold by now
        doc("sale", line(serials=["PHN-003"])),  # never reached
    )
    assert refused.status == 1 and set(refused.value) == {"posted", "error"}
    assert [d["lines"][0]["serials"] for d in refused.value["posted"]] == [["PHN-001"]]
    assert refused.error["code"] == "not_in_stock" and refused.error["serials"] == ["PHN-001"]
    assert "document 2" in refused.error["message"]
    statuses = kiosk.ok("serials", "search", "--serial", "PHN-00", "--limit", "3")["results"]
    assert [s["status"] for s in statuses] == ["out", "in_stock", "in_stock"]  # the refused one changed nothing


def test_a_refused_batch_without_json_lists_what_was_posted_then_one_error_line(kiosk, stocked, tmp_path):
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([doc("sale", line(serials=["PHN-010"])), doc("sale", line(serials=["PHN-010"]))]))
    result = kiosk.refused("doc", "post", str(batch), code="not_in_stock", json_out=False)
    assert re.fullmatch(r"posted SAL-\d+  sale  MAIN  1 lines, 1 serials\n", result.out)
    again = kiosk.refused("doc", "post", str(batch), code="not_in_stock", json_out=False)
    assert again.out == ""  # nothing posted: no empty "posted" line either
    batch.write_text(json.dumps([doc("sale", line(serials=["PHN-011"])), doc("gift", line(serials=["PHN-012"]))]))
    shapeless = kiosk.refused("doc", "post", str(batch), code="bad_request")  # exit 2, the first stays posted
    assert [d["lines"][0]["serials"] for d in shapeless.value["posted"]] == [["PHN-011"]]


def test_void_refuses_while_later_documents_move_the_serials(kiosk, stocked):
    [purchase] = kiosk.post(doc("purchase", line(serials=["V1", "V2"]))).value["posted"]
    [sale] = kiosk.post(doc("sale", line(serials=["V2"]))).value["posted"]
    blocked = kiosk.refused("doc", "void", purchase["number"], code="void_order")
    assert blocked.error["serials"] == ["V2"] and blocked.error["documents"] == [sale["number"]]
    voided = kiosk.ok("doc", "void", sale["number"])
    check_doc(voided, "sale", set())
    assert voided["status"] == "voided" and voided["number"] == sale["number"]
    kiosk.refused("doc", "void", sale["number"], code="already_voided")
    assert kiosk.ok("doc", "void", purchase["number"])["status"] == "voided"
    kiosk.refused("doc", "show", "SAL-999999", code="unknown_document")
    history = kiosk.ok("serials", "history", "V2")
    assert [(m["type"], m["voided"]) for m in history["movements"]] == [("purchase", True), ("sale", True)]
    assert (history["status"], history["warehouse"]) == ("out", None)
