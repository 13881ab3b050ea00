"""``kiosk labels …`` and ``kiosk printers …`` through the installed script.

The printer is a real TCP listener on 127.0.0.1 (or a file); what it receives is
decoded back: the raster with a barcode reader, the native CODE128 command byte by
byte.
"""

from __future__ import annotations

import zxingcpp
from PIL import Image

from kiosk.config import LabelConfig
from kiosk.hardware import labels
from tests.functional.conftest import doc, line
from tests.unit.test_labels import code128_commands, decode, raster_image
from tests.unit.test_printers import LoopbackPrinter, free_port


def station(tmp_path, *printers: str, label: str = "") -> str:
    path = tmp_path / f"station{len(list(tmp_path.glob('station*.toml')))}.toml"
    path.write_text("[station]\nname = \"dock-1\"\n" + "".join(printers) + label)
    return str(path)


def network(port: int, name: str = "dock", extra: str = "") -> str:
    return f'[[printers]]\nname = "{name}"\nkind = "network"\nhost = "127.0.0.1"\nport = {port}\ntimeout = 2\n{extra}'


def file_printer(path, name: str = "till", role: str = "both") -> str:
    return f'[[printers]]\nname = "{name}"\nkind = "file"\npath = "{path}"\nrole = "{role}"\nprofile = "TM-T88V"\n'


def test_labels_print_sends_the_label_picture_that_preview_shows(kiosk, stocked, tmp_path):
    with LoopbackPrinter() as printer:
        config = station(tmp_path, network(printer.port))
        report = kiosk.ok("--config", config, "labels", "print", "PHN-001")
    assert (report["printer"], report["printed"], report["queued"]) == ("dock", 1, 0)
    printed = raster_image(printer.received)
    assert decode(printed) == ["PHN-001"]

    preview = kiosk.ok("--config", config, "labels", "preview", "PHN-001", "--out", str(tmp_path / "label.png"))
    shown = Image.open(preview["out"]).convert("1")
    assert decode(shown) == ["PHN-001"] and preview["render"] == "image"
    assert printed.crop((0, 0, shown.width, shown.height)).tobytes() == shown.tobytes()  # exactly as it prints
    expected = labels.render(labels.LabelData("PHN-001", "PHN", "Phone"), LabelConfig())
    nameless = labels.render(labels.LabelData("PHN-001", "PHN", ""), LabelConfig())
    assert shown.tobytes() == expected.tobytes() != nameless.tobytes()  # the item name is on it


def test_native_labels_send_code128_with_the_serial_and_the_item_name(kiosk, stocked, tmp_path):
    with LoopbackPrinter() as printer:
        config = station(tmp_path, network(printer.port, extra='profile = "TM-T88V"\n'), label='[label]\nrender = "native"\n')
        report = kiosk.ok("--config", config, "labels", "print", "PHN-001", "PHN-002", "--copies", "2")
    assert report["printed"] == 2 and [j["title"] for j in report["jobs"]] == ["label PHN-001", "label PHN-002"]
    assert code128_commands(printer.received) == ["PHN-001", "PHN-001", "PHN-002", "PHN-002"]
    assert printer.received.count(b"Phone\n") == 4 and printer.received.count(b"PHN\n") == 4


def test_a_printer_that_is_down_keeps_the_jobs_until_it_is_back(kiosk, stocked, tmp_path):
    printer = LoopbackPrinter(port=free_port())
    config = station(tmp_path, network(printer.port))
    report = kiosk.ok("--config", config, "labels", "print", "PHN-001", "PHN-002")  # exit 0: queued, not lost
    assert (report["printed"], report["queued"]) == (0, 2) and "cannot reach" in report["problem"]
    human = kiosk("--config", config, "labels", "print", "PHN-003", json_out=False)
    assert human.status == 0 and "1 queued" in human.out and "kiosk printers queue" in human.out

    queue = kiosk.ok("--config", config, "printers", "queue")
    assert [j["title"] for j in queue["jobs"]] == ["label PHN-001", "label PHN-002", "label PHN-003"]
    assert queue["printers"][0]["state"] == "waiting" and queue["printers"][0]["queued"] == 3

    with printer:
        retried = kiosk.ok("--config", config, "printers", "queue", "--retry")
        again = kiosk.ok("--config", config, "printers", "queue", "--retry")
    assert retried["jobs"] == [] and again["printers"][0]["state"] == "ready"
    assert sorted(decode(raster_image(printer.received))) == ["PHN-001", "PHN-002", "PHN-003"]  # each once
    assert len(kiosk.ok("--config", config, "printers", "queue", "--all")["jobs"]) == 3


def test_refusals_name_the_problem(kiosk, stocked, tmp_path):
    config = station(tmp_path, network(free_port()))
    unknown = kiosk.refused("--config", config, "labels", "print", "PHN-001", "NOPE", "ALSO", code="unknown_serial")
    assert unknown.error["serials"] == ["NOPE", "ALSO"]
    assert kiosk.ok("--config", config, "printers", "queue")["jobs"] == []  # nothing stored
    kiosk.refused("--config", station(tmp_path), "labels", "print", "PHN-001", code="bad_config")  # no printer
    kiosk.refused("--config", config, "labels", "print", "PHN-001", "--printer", "nope", code="bad_request")
    kiosk.refused("--config", config, "labels", "print", "PHN-001", "--copies", "0", code="bad_request")
    kiosk.refused("--config", config, "labels", "preview", "PHN-001", "--out", str(tmp_path / "x.gif"), code="bad_request")
    kiosk.refused("--config", station(tmp_path, network(1, extra='profile = "Nope"\n')), "labels", "print", "PHN-001", code="bad_config")
    kiosk.refused("--config", station(tmp_path, label='[label]\nrender = "laser"\n'), "labels", "print", "PHN-001", code="bad_config")
    kiosk.refused("--config", config, "labels", "print", "PHN-001", "--printer", "nope", code="bad_request", json_out=False)


def test_svg_preview_and_carton_labels(kiosk, stocked, tmp_path):
    kiosk.ok("carton", "add", "CTN-0001", "--sku", "PHN", "C1", "C2", "C3")
    out = tmp_path / "carton.png"
    preview = kiosk.ok("labels", "preview", "--carton", "CTN-0001", "--out", str(out))  # no printer: the config size
    assert preview["code"] == "CTN-0001" and decode(Image.open(out)) == ["CTN-0001"]
    svg = kiosk.ok("labels", "preview", "PHN-001", "--out", str(tmp_path / "label.svg"))
    assert (tmp_path / "label.svg").read_text().startswith("<svg") and svg["width_dots"] == 400
    with LoopbackPrinter() as printer:
        kiosk.ok("--config", station(tmp_path, network(printer.port)), "labels", "print", "--carton", "CTN-0001")
    assert decode(raster_image(printer.received)) == ["CTN-0001"]


def test_printers_list_test_page_and_receipts(kiosk, stocked, tmp_path):
    till = tmp_path / "till.bin"
    config = station(tmp_path, file_printer(till, role="receipts"), network(free_port()))
    listed = kiosk.ok("--config", config, "printers", "list")["results"]
    assert [(p["name"], p["kind"], p["role"], p["state"]) for p in listed] == [
        ("till", "file", "receipts", "ready"), ("dock", "network", "both", "offline"),
    ]
    assert "cannot reach 127.0.0.1" in listed[1]["problem"]

    test_page = kiosk.ok("--config", config, "printers", "test", "till")
    assert test_page["printed"] == 1 and b"kiosk test page\n" in till.read_bytes() and b"\x1dV\x00" in till.read_bytes()
    assert decode(raster_image(till.read_bytes())) == ["KIOSK-TEST"]

    sale = kiosk.post(doc("sale", line(serials=["PHN-001", "PHN-002"]), partner="Ana")).value["posted"][0]
    till.write_bytes(b"")
    kiosk.ok("--config", config, "printers", "receipt", sale["number"])
    receipt = till.read_bytes()
    assert b"   SN PHN-001\n   SN PHN-002\n" in receipt and b"Phone\n" in receipt and sale["number"].encode() in receipt
    preview = kiosk.ok("--config", config, "printers", "receipt", sale["number"], "--out", str(tmp_path / "r.png"))
    assert Image.open(preview["out"]).height > 300
    kiosk.refused("--config", config, "printers", "receipt", "SAL-999999", code="unknown_document")
    assert not zxingcpp.read_barcodes(Image.open(preview["out"]))  # a receipt is text, no barcode
