"""The persistent print queue (table ``print_job``) and the worker that empties it.

Every job is stored as its exact ESC/POS bytes before anything is sent, so a printer
that is off, unreachable or out of paper loses nothing: its jobs stay ``queued`` and
are retried with back-off (2 s, 4 s, … up to 5 min). A job is claimed
(``queued`` → ``sending``) by one conditional UPDATE, so when several stations or
threads share the database exactly one of them sends it, and once sent it is
``done`` and never sent again. A job found still ``sending`` long after its claim
(the process died mid-send) may or may not have printed: it becomes ``failed`` and
is sent again only on request (``kiosk printers queue --retry``). A printed job keeps
its row (what, where, when) but not its bytes, so the table stays small.

Each station sends only to the printers in its own config; jobs for other printer
names in a shared database are left to their stations.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from itertools import groupby
from typing import Callable

from ..config import PrinterConfig
from ..model import db as kdb
from ..model.errors import KioskError
from ..model.tables import PrintJob, db, utcnow
from . import printers

BACKOFF_FIRST = 2.0  # seconds
BACKOFF_MAX = 300.0
STATUS_WAIT = 0.3  # seconds a printer may take to answer DLE EOT
STALE_SENDING = dt.timedelta(minutes=5)
SHOWN_DONE = 20  # finished jobs listed with --all


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


def job_json(job: PrintJob) -> dict:
    return {
        "id": job.id, "printer": job.printer, "kind": job.kind, "title": job.title, "status": job.status,
        "attempts": job.attempts, "last_error": job.last_error, "created_at": _iso(job.created_at),
        "next_try_at": _iso(job.next_try_at) if job.status == "queued" else None, "printed_at": _iso(job.printed_at),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


class PrintQueue:
    """Store, send and report print jobs for this station's printers."""

    def __init__(
        self,
        printers_config: list[PrinterConfig],
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        status_wait: float = STATUS_WAIT,
    ):
        self.printers = {p.name: p for p in printers_config}
        self.clock = clock
        self.status_wait = status_wait
        self.states: dict[str, printers.PrinterState] = {}  # last DLE EOT answers, per printer
        self.problems: dict[str, str] = {}  # why the last contact failed, per printer

    # storing ----------------------------------------------------------------
    def add(self, printer: str, kind: str, title: str, payload: bytes) -> int:
        """Store one job; it is sent by ``send_due``. Returns its id."""
        now = self.clock()
        return kdb.write_transaction(
            lambda: PrintJob.create(
                printer=printer, kind=kind, title=title, payload=payload, next_try_at=now, created_at=now
            ).id
        )

    # sending ----------------------------------------------------------------
    def send_due(self, printer: str | None = None, *, force: bool = False) -> list[int]:
        """Send the queued jobs that are due (all of them with ``force``), oldest first.

        Returns the ids printed now. A printer's first failure ends its turn: its
        remaining jobs wait for the next try, so labels never print out of order.
        """
        now = self.clock()
        self._fail_stale(now)
        names = [printer] if printer else list(self.printers)
        query = PrintJob.select().where(PrintJob.status == "queued", PrintJob.printer.in_(names))
        if not force:
            query = query.where(PrintJob.next_try_at <= now)
        printed: list[int] = []
        jobs = sorted(query.order_by(PrintJob.id), key=lambda j: j.printer)
        for name, group in groupby(jobs, key=lambda j: j.printer):
            if name in self.printers:
                printed += self._send(self.printers[name], list(group))
        return printed

    def _connect(self, config: PrinterConfig) -> printers.Transport:
        """An open transport to a printer that says it can print (or does not answer DLE EOT)."""
        transport = printers.transport_for(config)
        transport.open()
        try:
            if config.query_status:
                state = printers.query_state(transport, self.status_wait)
                self.states[config.name] = state
                if state.problem:
                    raise printers.PrinterUnavailable(state.problem)
        except BaseException:
            transport.close()
            raise
        return transport

    def probe(self, printer: str) -> None:
        """Ask a printer for its state now, sending nothing, for ``status()`` (the home screen)."""
        try:
            self._connect(self.printers[printer]).close()
            self.problems.pop(printer, None)
        except (printers.PrinterUnavailable, KioskError) as exc:
            self.problems[printer] = exc.message if isinstance(exc, KioskError) else str(exc)

    def _send(self, config: PrinterConfig, jobs: list[PrintJob]) -> list[int]:
        printed: list[int] = []
        transport = None
        try:
            transport = self._connect(config)
            self.problems.pop(config.name, None)
            for job in jobs:
                if not self._claim(job):
                    continue  # another station or thread took it
                try:
                    transport.write(bytes(job.payload), job.title)
                except printers.PrinterUnavailable:
                    self._release(job)
                    raise
                self._finish(job)
                printed.append(job.id)
        except (printers.PrinterUnavailable, KioskError) as exc:
            message = exc.message if isinstance(exc, KioskError) else str(exc)
            self.problems[config.name] = message
            self._defer([j for j in jobs if j.id not in printed], message)
        finally:
            if transport is not None:
                transport.close()
        return printed

    def _claim(self, job: PrintJob) -> bool:
        now = self.clock()
        claimed = kdb.write_transaction(
            lambda: PrintJob.update(status="sending", next_try_at=now)
            .where(PrintJob.id == job.id, PrintJob.status == "queued")
            .execute()
        )
        return claimed == 1

    def _release(self, job: PrintJob) -> None:
        kdb.write_transaction(
            lambda: PrintJob.update(status="queued").where(PrintJob.id == job.id, PrintJob.status == "sending").execute()
        )

    def _finish(self, job: PrintJob) -> None:
        now = self.clock()
        kdb.write_transaction(
            lambda: PrintJob.update(
                status="done", printed_at=now, last_error=None, attempts=PrintJob.attempts + 1, payload=b""
            )
            .where(PrintJob.id == job.id)
            .execute()
        )

    def _defer(self, jobs: list[PrintJob], message: str) -> None:
        now = self.clock()

        def work() -> None:
            for job in jobs:
                current = PrintJob.get_or_none(PrintJob.id == job.id, PrintJob.status == "queued")
                if current is not None:
                    attempts = current.attempts + 1
                    PrintJob.update(attempts=attempts, last_error=message, next_try_at=now + backoff(attempts)).where(
                        PrintJob.id == job.id
                    ).execute()

        kdb.write_transaction(work)

    def _fail_stale(self, now: dt.datetime) -> None:
        kdb.write_transaction(
            lambda: PrintJob.update(
                status="failed",
                last_error="interrupted while sending: it may have printed; `kiosk printers queue --retry` sends it again",
            )
            .where(PrintJob.status == "sending", PrintJob.next_try_at < now - STALE_SENDING)
            .execute()
        )

    def retry(self, printer: str | None = None) -> int:
        """Queue the failed jobs again and make every waiting job due now."""
        now = self.clock()
        names = [printer] if printer else list(self.printers)
        return kdb.write_transaction(
            lambda: PrintJob.update(status="queued", next_try_at=now)
            .where(PrintJob.status.in_(("queued", "failed")), PrintJob.printer.in_(names))
            .execute()
        )

    # reporting --------------------------------------------------------------
    def jobs(self, ids: list[int] | None = None, *, include_done: bool = False) -> list[dict]:
        """Jobs by id, or every job not yet printed (plus the latest printed with ``include_done``)."""
        if ids is not None:
            return [job_json(j) for j in PrintJob.select().where(PrintJob.id.in_(ids)).order_by(PrintJob.id)]
        waiting = list(PrintJob.select().where(PrintJob.status != "done").order_by(PrintJob.id))
        done = []
        if include_done:
            done = list(PrintJob.select().where(PrintJob.status == "done").order_by(PrintJob.id.desc()).limit(SHOWN_DONE))
        return [job_json(j) for j in sorted(done + waiting, key=lambda j: j.id)]

    def status(self) -> list[dict]:
        """One row per printer, for the station's home screen and ``kiosk printers list``.

        ``state``: ``ready``, ``waiting`` (jobs could not be sent yet; ``problem`` says
        why and ``next_try_at`` when), ``failed`` (jobs need a ``--retry``) or
        ``offline`` (nothing waiting, but the last contact or ``probe`` failed);
        ``online`` and ``paper`` (``ok``, ``near_end``, ``out``) are the last DLE EOT
        answers, None where the printer does not answer.
        """
        rows = []
        open_jobs = list(PrintJob.select().where(PrintJob.status != "done").order_by(PrintJob.id))
        for name, config in self.printers.items():
            mine = [j for j in open_jobs if j.printer == name]
            waiting = [j for j in mine if j.status in ("queued", "sending")]
            failed = [j for j in mine if j.status == "failed"]
            tried = [j for j in waiting if j.attempts]
            state = self.states.get(name, printers.PrinterState())
            problem = self.problems.get(name)
            rows.append({
                "printer": name, "kind": config.kind, "role": config.role,
                "state": "failed" if failed else "waiting" if tried else "offline" if problem else "ready",
                "queued": len(waiting), "failed": len(failed),
                "problem": (tried or failed)[0].last_error if tried or failed else problem,
                "next_try_at": _iso(min(j.next_try_at for j in tried)) if tried else None,
                "online": state.online, "paper": state.paper,
            })
        return rows


class PrintWorker(threading.Thread):
    """Sends due jobs in the background until stopped; the station runs one.

    ``on_status`` gets ``PrintQueue.status()`` after every pass (call the UI through
    ``App.call_from_thread`` from it); ``on_error`` gets an exception a pass raised
    (e.g. the database was unavailable), and the worker keeps going. Call ``wake()``
    after queueing a job so it is sent at once. Every ``probe_every`` seconds the
    printers with nothing waiting are asked for their state (None: never).
    """

    def __init__(
        self,
        queue: PrintQueue,
        *,
        interval: float = 1.0,
        probe_every: float | None = 30.0,
        on_status: Callable[[list[dict]], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ):
        super().__init__(name="kiosk-print-queue", daemon=True)
        self.queue = queue
        self.interval = interval
        self.probe_every = probe_every
        self.on_status = on_status
        self.on_error = on_error
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def run(self) -> None:
        probed = None
        try:
            while not self._stopping.is_set():
                try:
                    self.queue.send_due()
                    if self.probe_every is not None and (probed is None or time.monotonic() - probed >= self.probe_every):
                        probed = time.monotonic()
                        for row in self.queue.status():
                            if not row["queued"]:
                                self.queue.probe(row["printer"])
                    if self.on_status:
                        self.on_status(self.queue.status())
                except Exception as exc:  # a pass must never kill the worker
                    if self.on_error:
                        self.on_error(exc)
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            db.close()  # this thread's connection

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        self.join(timeout)
