"""The print queue on a real SQLite file and a real TCP printer on 127.0.0.1.

Jobs are stored before they are sent, wait while the printer is down or out of
paper, and are printed exactly once when it is back, also with two senders racing.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from test_printers import ONLINE, PAPER_OK, PAPER_OUT, OFFLINE, LoopbackPrinter, free_port

from kiosk.model import db as kdb
from kiosk.model.tables import PrintJob
from kiosk.hardware.print_queue import PrintQueue, PrintWorker, backoff

PAYLOAD = b"\x1b@label SN-0001\n\x1dV\x00"


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 11, 26, 9, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def database(sqlite_url):
    kdb.connect(sqlite_url)
    yield sqlite_url
    kdb.close()


def test_a_job_waits_while_the_printer_is_down_and_prints_once_when_it_is_back(database):
    clock = Clock()
    printer = LoopbackPrinter()
    queue = PrintQueue([printer.config()], clock=clock)
    job = queue.add("dock", "label", "label SN-0001", PAYLOAD)
    assert PrintJob.get_by_id(job).payload == PAYLOAD  # stored before anything is sent

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
    assert (done.status, done.printed_at, done.last_error) == ("done", clock.now, None)
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
