"""The print queue on a real SQLite file and a real TCP printer on 127.0.0.1.

Jobs are stored before they are sent, wait while the printer is down or out of
paper, and are printed exactly once when it is back, also with two senders racing.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from test_printers import (
    OFFLINE,
    ONLINE,
    PAPER_OK,
    PAPER_OUT,
    LoopbackPrinter,
    free_port,
)

from kiosk.hardware import printers
from kiosk.hardware.print_queue import PrintQueue, PrintWorker, backoff
from kiosk.model import db as kdb
from kiosk.model.tables import PrintJob

PAYLOAD = b"\x1b@label SN-0001\n\x1dV\x00"


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 11, 26, 9, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def database(db_url):
    """SQLite and PostgreSQL: the claim that makes "exactly once" must hold on both."""
    kdb.connect(db_url)
    yield db_url
    kdb.close()


def test_a_job_waits_while_the_printer_is_down_and_prints_once_when_it_is_back(database):
    clock = Clock()
    printer = LoopbackPrinter()
    queue = PrintQueue([printer.config()], clock=clock)
    job = queue.add("dock", "label", "label SN-0001", PAYLOAD)
    assert bytes(PrintJob.get_by_id(job).payload) == PAYLOAD  # stored before anything is sent

    assert queue.send_due() == []  # nobody listens yet
    waiting = PrintJob.get_by_id(job)
    assert (waiting.status, waiting.attempts) == ("queued", 1)
    assert "cannot reach 127.0.0.1" in waiting.last_error and waiting.next_try_at == clock.now + backoff(1)
    [status] = queue.status()
    assert (status["state"], status["queued"], status["problem"]) == ("waiting", 1, waiting.last_error)

    with printer:
        assert queue.send_due() == []  # not due yet: the back-off holds
        clock.advance(backoff(1).total_seconds())
        assert queue.send_due() == [job]
        assert queue.send_due(force=True) == []  # done jobs are never sent again
    assert printer.received.count(PAYLOAD) == 1
    done = PrintJob.get_by_id(job)
    assert (done.status, done.printed_at, done.last_error, bytes(done.payload)) == ("done", clock.now, None, b"")
    assert queue.status()[0]["state"] == "ready"


def test_back_off_doubles_up_to_five_minutes():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 8, 9, 20)] == [2, 4, 8, 256, 300, 300]


def test_out_of_paper_keeps_the_jobs_and_nothing_is_sent(database):
    clock = Clock()
    with LoopbackPrinter(status={1: OFFLINE, 2: 0x32, 4: PAPER_OUT}) as printer:
        queue = PrintQueue([printer.config()], clock=clock)
        first = queue.add("dock", "label", "label A", PAYLOAD)
        assert queue.send_due() == []
        printer.status = {1: ONLINE, 4: PAPER_OK}  # paper loaded
        clock.advance(2)
        second = queue.add("dock", "label", "label B", PAYLOAD + b"B")
        assert queue.send_due() == [first, second]  # in order
    assert PAYLOAD not in printer.jobs[0]
    assert PrintJob.get_by_id(first).last_error is None
    assert printer.received.count(PAYLOAD) == 2 and queue.states["dock"].paper == "ok"


def test_two_senders_racing_print_each_job_exactly_once(database):
    with LoopbackPrinter() as printer:
        ids = [PrintQueue([printer.config()]).add("dock", "label", f"label {n}", PAYLOAD) for n in range(20)]
        queues = [PrintQueue([printer.config()], status_wait=0.01) for _ in range(2)]
        printed: list[list[int]] = [[], []]
        threads = [threading.Thread(target=lambda i=i: printed[i].extend(queues[i].send_due())) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(printed[0] + printed[1]) == ids
    assert printer.received.count(PAYLOAD) == 20


def test_a_job_interrupted_while_sending_is_failed_then_retried_on_request(database):
    clock = Clock()
    with LoopbackPrinter() as printer:
        queue = PrintQueue([printer.config()], clock=clock)
        job = queue.add("dock", "label", "label A", PAYLOAD)
        PrintJob.update(status="sending").where(PrintJob.id == job).execute()  # the sender died here
        clock.advance(600)
        assert queue.send_due(force=True) == []
        failed = PrintJob.get_by_id(job)
        assert failed.status == "failed" and "may have printed" in failed.last_error
        assert queue.status()[0]["state"] == "failed"
        assert queue.retry() == 1 and queue.send_due() == [job]
    assert printer.received.count(PAYLOAD) == 1


def test_jobs_of_other_stations_printers_are_left_alone(database):
    with LoopbackPrinter() as printer:
        queue = PrintQueue([printer.config("dock")])
        other = queue.add("west-dock", "label", "label W", PAYLOAD)
        assert queue.send_due(force=True) == []
    assert PrintJob.get_by_id(other).status == "queued" and PrintJob.get_by_id(other).attempts == 0
    assert [j["id"] for j in queue.jobs()] == [other]


def test_the_worker_prints_when_the_printer_comes_back(database):
    printer = LoopbackPrinter(port=free_port())
    queue = PrintQueue([printer.config()], clock=Clock())  # the clock stands still: only wake() makes jobs due
    statuses: list[list[dict]] = []
    worker = PrintWorker(queue, interval=0.05, on_status=statuses.append)
    job = queue.add("dock", "label", "label A", PAYLOAD)
    worker.start()
    try:
        _wait_for(lambda: statuses and statuses[-1][0]["state"] == "waiting")
        with printer:
            queue.retry()
            worker.wake()
            _wait_for(lambda: statuses[-1][0]["state"] == "ready")
    finally:
        worker.stop()
    assert not worker.is_alive()
    assert printer.received.count(PAYLOAD) == 1 and PrintJob.get_by_id(job).status == "done"


def _wait_for(condition, seconds: float = 10) -> None:
    deadline = dt.datetime.now() + dt.timedelta(seconds=seconds)
    while not condition():
        assert dt.datetime.now() < deadline, "timed out"
        threading.Event().wait(0.02)


# ---------------------------------------------------------------- the station's printing API


@pytest.fixture
def shop(sqlite_ledger, tmp_path):
    """A ledger with one serial item in stock, and a station with a file receipt printer."""
    from kiosk.config import Config, PrinterConfig
    from kiosk.hardware.printing import Printing
    from kiosk.model.catalog import ItemSpec

    sqlite_ledger.add_warehouse("MAIN")
    sqlite_ledger.add_item(ItemSpec("PHN", "Téléphone 電話", serial=True))
    sqlite_ledger.post({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": ["S1", "S2"]}]})
    sqlite_ledger.add_carton("CTN-1", "PHN", ["S1", "S2"])
    till = PrinterConfig(name="till", kind="file", path=str(tmp_path / "till.bin"), role="receipts", profile="TM-T88V")
    config = Config(printers=[till])
    return Printing(config, sqlite_ledger), tmp_path / "till.bin"


def test_receipts_print_on_posting_sales_purchases_and_returns_only(shop):
    printing, till = shop
    sale = printing.ledger.post({"type": "sale", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": ["S1"]}]})
    report = printing.receipt_on_post(sale)
    assert (report["printer"], report["printed"], report["queued"]) == ("till", 1, 0)
    receipt = till.read_bytes()
    assert b"   SN S1\n" in receipt and b"T\x82l\x82phone ??\n" in receipt  # CP437 where it can, else a visible ?
    count_doc = {"type": "count", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": ["S2"]}]}
    assert printing.receipt_on_post(printing.ledger.post(count_doc)) is None
    printing.config.receipt.on_post = False
    assert printing.receipt_on_post(sale) is None
    printing.config.receipt.on_post = True
    printing.config.printers[0].role = "labels"
    assert printing.receipt_on_post(sale) is None  # no receipt printer: nothing to do, no error


def test_label_and_carton_jobs_need_a_label_printer_and_known_codes(shop):
    from kiosk.config import PrinterConfig
    from kiosk.model.errors import KioskError

    printing, _ = shop
    with pytest.raises(KioskError) as refused:
        printing.print_labels(["S1"])
    assert refused.value.code == "bad_config"  # the only printer prints receipts
    printing.config.printers.append(PrinterConfig(name="usb", kind="usb", vendor_id=0x0416, product_id=0x5011))
    printing = type(printing)(printing.config, printing.ledger)  # the queue knows the printers it was made with
    report = printing.print_carton_label("CTN-1")
    assert report["queued"] == 1 and "USB printer" in report["problem"]  # kept, with the reason shown
    assert [j["title"] for j in printing.queue.jobs()] == ["carton CTN-1"]
    with pytest.raises(KioskError) as unknown:
        printing.print_labels(["S1", "NOPE"])
    assert unknown.value.code == "unknown_serial" and unknown.value.serials == ["NOPE"]
    with pytest.raises(KioskError) as no_carton:
        printing.print_carton_label("CTN-404")
    assert no_carton.value.code == "unknown_carton"
    assert len(printing.queue.jobs()) == 1  # refused requests store nothing


def test_probing_shows_an_idle_printer_out_of_paper_or_unreachable(database):
    with LoopbackPrinter(status={1: OFFLINE, 2: 0x32, 4: PAPER_OUT}) as printer:
        queue = PrintQueue([printer.config(), LoopbackPrinter().config("gone")])
        queue.probe("dock")
        queue.probe("gone")
        dock, gone = queue.status()
        assert (dock["state"], dock["problem"], dock["online"], dock["paper"]) == ("offline", "out of paper", False, "out")
        assert gone["state"] == "offline" and "cannot reach" in gone["problem"]
        printer.status = {1: ONLINE, 4: 0x1E}
        queue.probe("dock")
        assert (queue.status()[0]["state"], queue.status()[0]["paper"]) == ("ready", "near_end")
    assert printer.jobs == [printers.STATUS_PRINTER + printers.STATUS_OFFLINE + printers.STATUS_PAPER,
                            printers.STATUS_PRINTER + printers.STATUS_PAPER]  # asked, nothing printed
