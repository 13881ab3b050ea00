"""Printers: quiet escpos import, code pages, DLE EOT, the transports, choosing a printer.

``LoopbackPrinter`` is a real raw-TCP printer endpoint on 127.0.0.1 (a socket server
in a thread) that records what it receives and, like a real ESC/POS printer, answers
DLE EOT status requests when told to; other printer tests import it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kiosk.config import Config, PrinterConfig
from kiosk.hardware import printers, receipts
from kiosk.model.errors import KioskError

ONLINE, PAPER_OK, PAPER_OUT, OFFLINE, COVER_OPEN = 0x12, 0x12, 0x72, 0x1A, 0x16
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackPrinter:
    """A raw-TCP printer on 127.0.0.1: ``jobs`` holds each connection's bytes."""

    def __init__(self, port: int | None = None, status: dict[int, int] | None = None):
        self.port = port or free_port()
        self.status = status  # DLE EOT n -> answer byte; None: a printer that never answers
        self.jobs: list[bytes] = []
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "LoopbackPrinter":
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", self.port))
        self._server.listen()
        self._server.settimeout(0.02)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()  # the server first takes every connection still waiting in the backlog
        self._thread.join(5)
        self._server.close()

    @property
    def received(self) -> bytes:
        return b"".join(self.jobs)

    def config(self, name: str = "dock", **extra) -> PrinterConfig:
        return PrinterConfig(name=name, kind="network", host="127.0.0.1", port=self.port, timeout=2, **extra)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                if self._stopping.is_set():
                    return
                continue
            conn.settimeout(None)
            with conn:
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                    if self.status and chunk[-3:-1] == b"\x10\x04" and chunk[-1] in self.status:
                        conn.sendall(bytes([self.status[chunk[-1]]]))
                self.jobs.append(data)


def test_importing_the_printer_module_keeps_the_screen_clean(tmp_path):
    code = (
        "import logging, os, tempfile\n"
        "before = set(os.listdir(tempfile.gettempdir()))\n"
        "import kiosk.hardware.printers as p\n"
        "from kiosk.config import LabelConfig, PrinterConfig\n"
        "from kiosk.hardware import labels\n"
        "cheap = PrinterConfig(kind='file', path='x', profile='POS-5890')\n"
        "labels.label_job(labels.LabelData('SN1', 'SKU', 'Name'), LabelConfig(render='native'), cheap)\n"
        "labels.label_job(labels.LabelData('SN1', 'SKU', 'Name'), LabelConfig(), None)\n"
        "logging.getLogger('x').error('no handler may print this')\n"
        "assert logging.getLogger().handlers == [], logging.getLogger().handlers\n"
        "assert set(os.listdir(tempfile.gettempdir())) <= before, 'escpos made a temp dir'\n"
        "assert os.environ['ESCPOS_CAPABILITIES_PICKLE_DIR'].startswith(os.environ['XDG_CACHE_HOME'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    env |= {"XDG_CACHE_HOME": str(tmp_path / "cache"), "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    # the logging.error above goes to Python's last-resort handler, not through a basicConfig handler
    assert done.stdout == "" and done.stderr == "no handler may print this\n"


def test_text_prints_in_the_printers_code_pages_or_visibly_replaced():
    job = printers.JobBuilder(PrinterConfig(kind="file", path="x", profile="TM-T88V"))
    job.line("Café Ünï 電話 Привет \x1b@\x07")
    out = job.output
    assert b"\x1bt\x00Caf\x82 \x9an\x8b ?? " in out  # CP437 (table 0): é=0x82, Ü=0x9a, ï=0x8b; CJK visibly '?'
    assert b"\x1bt\x11" + "Привет".encode("cp866") in out  # switched to CP866 (table 17) for Cyrillic
    assert b"\x1bt\x01" not in out  # table 1 is single-byte Katakana, never Shift-JIS
    assert out.endswith(b" ?@?\n")  # ESC and BEL are data: each a visible '?', never a command
    assert "電話".encode("gb18030") not in out


def test_a_preferred_code_page_is_used_first_and_must_exist():
    job = printers.JobBuilder(PrinterConfig(kind="file", path="x", profile="TM-T88V", codepage="CP858"))
    job.line("€5 é")
    assert b"\x1bt\x13\xd55 \x82" in job.output  # CP858 is table 19; € = 0xd5
    with pytest.raises(KioskError) as refused:
        printers.Encoder(PrinterConfig(name="p", kind="file", path="x", profile="TM-T88V", codepage="CP999"))
    assert refused.value.code == "bad_config" and "CP999" in refused.value.message


class Answers:
    """A transport that answers DLE EOT n from a table, the shape ``query_state`` talks to."""

    def __init__(self, answers: dict[int, int]):
        self.answers = answers

    def query(self, request: bytes, wait: float) -> bytes | None:
        answer = self.answers.get(request[-1])
        return None if answer is None else bytes([answer])


@pytest.mark.parametrize(
    ("answers", "online", "paper", "problem"),
    [
        ({1: ONLINE, 4: PAPER_OK}, True, "ok", None),
        ({1: ONLINE, 4: 0x1E}, True, "near_end", None),
        ({1: OFFLINE, 2: 0x32, 4: PAPER_OUT}, False, "out", "out of paper"),
        ({1: OFFLINE, 2: COVER_OPEN, 4: PAPER_OK}, False, "ok", "cover open"),
        ({1: OFFLINE, 2: 0x12, 4: PAPER_OK}, False, "ok", "offline"),
        ({}, None, None, None),  # a printer that does not answer is sent to
        ({1: 0xFF}, None, None, None),  # noise is not a status byte
    ],
)
def test_dle_eot_answers_become_the_printer_state(answers, online, paper, problem):
    state = printers.query_state(Answers(answers), 0.01)
    assert (state.online, state.paper, state.problem) == (online, paper, problem)


def test_network_transport_sends_the_bytes_and_reads_status():
    with LoopbackPrinter(status={1: ONLINE, 4: PAPER_OK}) as printer:
        transport = printers.transport_for(printer.config())
        transport.open()
        assert printers.query_state(transport, 1.0).paper == "ok"
        transport.write(b"\x1b@hello\n")
        transport.close()
    assert printer.jobs == [printers.STATUS_PRINTER + printers.STATUS_PAPER + b"\x1b@hello\n"]


def test_network_printer_that_is_down_is_unavailable():
    transport = printers.transport_for(PrinterConfig(kind="network", host="127.0.0.1", port=free_port(), timeout=1))
    with pytest.raises(printers.PrinterUnavailable, match="cannot reach 127.0.0.1"):
        transport.open()


def test_file_transport_appends_raw_bytes(tmp_path):
    target = tmp_path / "printer.bin"
    for data in (b"one", b"two"):
        transport = printers.transport_for(PrinterConfig(kind="file", path=str(target)))
        transport.open()
        transport.write(data)
        transport.close()
    assert target.read_bytes() == b"onetwo"
    missing = printers.transport_for(PrinterConfig(kind="file", path=str(tmp_path / "no" / "dir")))
    with pytest.raises(printers.PrinterUnavailable, match="cannot open"):
        missing.open()


def test_serial_transport_writes_to_a_tty_and_reads_its_answer():
    master, slave = os.openpty()
    try:
        transport = printers.transport_for(PrinterConfig(kind="serial", device=os.ttyname(slave), baudrate=19200))
        transport.open()
        transport.write(b"\x1b@label")
        assert os.read(master, 100) == b"\x1b@label"
        os.write(master, bytes([ONLINE]))
        assert transport.query(printers.STATUS_PRINTER, 1.0) == bytes([ONLINE])
        transport.close()
    finally:
        os.close(master)
        os.close(slave)


def test_cups_transport_sends_a_raw_job_through_lp(tmp_path):
    fake = tmp_path / "bin" / "lp"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat > {tmp_path}/job\n')
    fake.chmod(0o755)
    transport = printers.transport_for(PrinterConfig(kind="cups", queue="thermal"))
    path = os.environ["PATH"]
    os.environ["PATH"] = f"{fake.parent}:{path}"
    try:
        transport.open()
        transport.write(b"\x1b@raw bytes", "label SN1")
    finally:
        os.environ["PATH"] = path
    assert (tmp_path / "job").read_bytes() == b"\x1b@raw bytes"
    assert (tmp_path / "args").read_text().split() == ["-d", "thermal", "-o", "raw", "-t", "label", "SN1", "-s", "-"]


class FakeUsbDevice:
    """Shaped as pyusb's ``usb.core.Device`` where escpos's ``Usb`` uses it: no USB bus here."""

    def __init__(self, answer: bytes):
        self.writes: list[tuple[int, bytes, int]] = []
        self.answer = answer

    def write(self, endpoint: int, data: bytes, timeout: int) -> int:
        self.writes.append((endpoint, bytes(data), timeout))
        return len(data)

    def read(self, endpoint: int, size: int) -> list[int]:
        assert endpoint == 0x81
        return list(self.answer)


def test_usb_transport_uses_the_configured_endpoints_and_timeout():
    config = PrinterConfig(kind="usb", vendor_id=0x0416, product_id=0x5011, timeout=3, in_ep=0x81, out_ep=0x03)
    transport = printers.transport_for(config)
    with pytest.raises(printers.PrinterUnavailable, match="USB printer"):  # no pyusb, or no such device here
        transport.open()
    transport.device = transport.escpos_device()
    transport.device.device = FakeUsbDevice(bytes([ONLINE]))
    transport.write(b"\x1b@label")
    assert printers.query_state(transport, 0.1).online is True
    assert transport.device.device.writes[:2] == [(0x03, b"\x1b@label", 3000), (0x03, printers.STATUS_PRINTER, 3000)]
    transport.device.close = lambda: None  # escpos's __del__ closes through pyusb, which may be missing here


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (PrinterConfig(name="a", kind="network"), "needs host"),
        (PrinterConfig(name="b", kind="usb", vendor_id=0x0416), "needs product_id"),
        (PrinterConfig(name="c", kind="file", path="x", profile="NoSuchPrinter"), "unknown printer profile"),
        (PrinterConfig(name="d", kind="serial", device="/dev/ttyS0", baudrate=12345), "baudrate must be"),
        (PrinterConfig(name="e", kind="network", host="h", port=70000), "port must be 1 to 65535"),
        (PrinterConfig(name="f", kind="network", host="h", timeout=0), "timeout must be"),
    ],
)
def test_incomplete_printer_config_is_bad_config(config, message):
    with pytest.raises(KioskError) as refused:
        printers.check(config)
    assert refused.value.code == "bad_config" and message in refused.value.message


def test_choose_by_name_else_by_role():
    dock = PrinterConfig(name="dock", kind="file", path="a", role="labels")
    till = PrinterConfig(name="till", kind="file", path="b", role="receipts")
    assert printers.choose([till, dock], "labels") is dock
    assert printers.choose([till, dock], "receipts") is till
    assert printers.choose([till, dock], "labels", "till") is till  # --printer wins over the role
    with pytest.raises(KioskError) as unknown:
        printers.choose([dock], "labels", "nope")
    assert unknown.value.code == "bad_request"
    with pytest.raises(KioskError) as none:
        printers.choose([till], "labels")
    assert none.value.code == "bad_config"
    assert printers.find([till], "labels") is None


DOC = {
    "number": "SAL-000007", "type": "sale", "status": "posted", "warehouse": "MAIN", "to_warehouse": None,
    "partner": None, "posted_at": "2026-11-26T09:30:00Z", "station": "till-1", "operator": "ana",
    "lines": [
        {"sku": "PHN-100", "qty": 2, "unit": "pcs", "serials": ["PHN100-0001", "PHN100-0002"]},
        {"sku": "CBL-1", "qty": 1, "unit": "pcs", "serials": []},
    ],
}
NAMES = {"PHN-100": "Téléphone démo", "CBL-1": "Kabel 電"}


def test_receipt_lists_each_line_with_its_serials_and_cuts():
    template = receipts.Template.load(Config())
    lines = receipts.layout(DOC, template, 32, NAMES.get)
    texts = [line.text for line in lines]
    assert texts[:3] == ["SALE", "SAL-000007", "2026-11-26 09:30 UTC"]
    at = texts.index("1. PHN-100                 2 pcs")
    assert texts[at + 1 : at + 4] == ["   Téléphone démo", "   SN PHN100-0001", "   SN PHN100-0002"]
    assert "2. CBL-1                   1 pcs" in texts and not any(t.startswith("Partner") for t in texts)
    assert all(len(t) <= 32 for t in texts) and texts[-1] == "Lines 2                Serials 2"
    payload = receipts.receipt_job(lines, PrinterConfig(kind="file", path="x", profile="TM-T88V"))
    assert b"   SN PHN100-0001\n   SN PHN100-0002\n" in payload
    assert b"   T\x82l\x82phone d\x82mo\n" in payload and b"   Kabel ?\n" in payload
    assert b"\x1dVA\x00" in payload or b"\x1dV\x00" in payload


def test_receipt_template_errors_are_bad_config(tmp_path):
    for text, message in [("[header]\n{nope}\n", "unknown field {nope}"), ("[body]\nx\n", "unknown section"),
                          ("text before\n", "before any [section]")]:
        with pytest.raises(KioskError) as refused:
            receipts.Template.parse(text)
        assert refused.value.code == "bad_config" and message in refused.value.message
    config = Config(path=tmp_path / "station.toml")
    config.receipt.template = "mine.txt"
    (tmp_path / "mine.txt").write_text("[header]\nShop {number}\n")
    assert receipts.Template.load(config).sections["header"] == ["Shop {number}"]
    config.receipt.template = "missing.txt"
    with pytest.raises(KioskError) as refused:
        receipts.Template.load(config)
    assert refused.value.code == "bad_config" and "missing.txt" in refused.value.message
