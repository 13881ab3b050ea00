"""What the station and the command line call to print: look up, lay out, queue, send.

``Printing`` is built once from the config, the ``Ledger`` and a ``PrintQueue`` and
passed in (no module singletons). Every ``print_*`` method stores its jobs in the
queue first and then, unless ``send=False``, tries to send them at once; a printer
that is down leaves them queued, which the returned report says (``queued`` and
``problem``): that is not an error, the jobs print when the printer is back.
The methods block on the printer (up to its timeout): call them from a thread
worker in the station.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Sequence

from ..config import Config, PrinterConfig
from ..model.errors import KioskError
from . import labels, printers, receipts
from .print_queue import PrintQueue

TEST_CODE = "KIOSK-TEST"
TEST_TEXT = "Code page test: Ünïcødé ñ ß é € £"


class Printing:
    def __init__(self, config: Config, ledger, queue: PrintQueue | None = None):
        self.config = config
        self.ledger = ledger
        self.queue = queue or PrintQueue(config.printers)
        self._names: dict[str, str] = {}

    # looking things up -------------------------------------------------------
    def item_name(self, sku: str) -> str:
        if sku not in self._names:
            self._names[sku] = self.ledger.item(sku)["name"]
        return self._names[sku]

    def label_data(self, serials: Sequence[str]) -> list[labels.LabelData]:
        """One label per serial; unknown serials are one ``unknown_serial`` naming them all."""
        found, unknown = [], []
        for serial in serials:
            try:
                history = self.ledger.history(serial)
            except KioskError as exc:
                if exc.code != "unknown_serial":
                    raise
                unknown.append(serial)
                continue
            found.append(self._label(serial, history["sku"]))
        if unknown:
            raise KioskError("unknown_serial", f"no serial {', '.join(map(repr, unknown))}", unknown)
        return found

    def _label(self, code: str, sku: str, **extra) -> labels.LabelData:
        return labels.LabelData(
            code=code, sku=sku, name=self.item_name(sku), date=dt.date.today().isoformat(),
            station=self.config.station.name, **extra,
        )

    def carton_data(self, code: str) -> labels.LabelData:
        carton = self.ledger.carton(code)
        lines = [*self.config.label.lines, "{count} serials"]
        return self._label(carton["code"], carton["sku"], count=len(carton["serials"]), lines=lines)

    # printing ----------------------------------------------------------------
    def print_labels(
        self, serials: Sequence[str], printer: str | None = None, copies: int = 1, *, send: bool = True
    ) -> dict:
        """Labels for received serials, or a reprint from search: one job per serial."""
        target = printers.choose(self.config.printers, "labels", printer)
        data = self.label_data(serials)
        jobs = [(f"label {d.code}", labels.label_job(d, self.config.label, target, copies)) for d in data]
        return self._submit(target, "label", jobs, send)

    def print_carton_label(self, code: str, printer: str | None = None, copies: int = 1, *, send: bool = True) -> dict:
        """A carton's label: the carton code as Code128, its SKU, name and serial count."""
        target = printers.choose(self.config.printers, "labels", printer)
        data = self.carton_data(code)
        return self._submit(target, "carton", [(f"carton {code}", labels.label_job(data, self.config.label, target, copies))], send)

    def print_receipt(self, doc: dict | str, printer: str | None = None, *, send: bool = True) -> dict:
        """The receipt of a document (its DOC dict, or its number)."""
        target = printers.choose(self.config.printers, "receipts", printer)
        doc = self.ledger.document(doc) if isinstance(doc, str) else doc
        payload = receipts.receipt_job(self.receipt_lines(doc, target), target)
        return self._submit(target, "receipt", [(f"receipt {doc['number']}", payload)], send)

    def receipt_on_post(self, doc: dict, *, send: bool = True) -> dict | None:
        """Call after posting: prints sales, purchases and returns when the station has a
        receipt printer and ``[receipt] on_post`` is on; otherwise None."""
        if not self.config.receipt.on_post or doc["type"] not in receipts.RECEIPT_TYPES:
            return None
        if printers.find(self.config.printers, "receipts") is None:
            return None
        return self.print_receipt(doc, send=send)

    def print_test(self, name: str, *, send: bool = True) -> dict:
        """A test page: the printer's settings, a code page line and a sample label."""
        target = printers.choose(self.config.printers, "labels", name)
        job = printers.JobBuilder(target)
        job.align("center")
        job.size(True)
        job.line("kiosk test page")
        job.size(False)
        for text in (f"printer {target.name} ({target.kind})", f"profile {target.profile or 'default'}", TEST_TEXT):
            job.line(text)
        job.image(labels.render(labels.LabelData(TEST_CODE, sku="SKU", name=target.name), self.config.label, target))
        job.cut()
        return self._submit(target, "test", [(f"test page {target.name}", job.output)], send)

    def _submit(self, target: PrinterConfig, kind: str, jobs: list[tuple[str, bytes]], send: bool) -> dict:
        ids = [self.queue.add(target.name, kind, title, payload) for title, payload in jobs]
        if send:
            self.queue.send_due(target.name, force=True)
        return self.report(target.name, ids)

    def report(self, printer: str, ids: list[int]) -> dict:
        """What happened to jobs ``ids``: printed, queued (and why), for the screen or the CLI."""
        jobs = self.queue.jobs(ids)
        waiting = [j for j in jobs if j["status"] != "done"]
        return {
            "printer": printer,
            "printed": len(jobs) - len(waiting),
            "queued": len(waiting),
            "problem": next((j["last_error"] for j in waiting if j["last_error"]), None),
            "jobs": jobs,
        }

    # previews ----------------------------------------------------------------
    def preview_label(self, serial: str, out: str | Path, printer: str | None = None) -> dict:
        """The label of ``serial`` as PNG or SVG, laid out for the label printer (if any)."""
        target = printers.find(self.config.printers, "labels", printer)
        data = self.label_data([serial])[0]
        return self._preview(data, out, target)

    def preview_carton_label(self, code: str, out: str | Path, printer: str | None = None) -> dict:
        return self._preview(self.carton_data(code), out, printers.find(self.config.printers, "labels", printer))

    def _preview(self, data: labels.LabelData, out: str | Path, target: PrinterConfig | None) -> dict:
        img = labels.render(data, self.config.label, target)
        path = labels.save_preview(img, out, self.config.label.dpi)
        return {
            "code": data.code, "out": str(path), "width_dots": img.width, "height_dots": img.height,
            "printer": target.name if target else None,
            "render": "native" if labels.native_fits(data, self.config.label, target) else "image",
        }

    def receipt_lines(self, doc: dict, target: PrinterConfig | None) -> list[receipts.ReceiptLine]:
        template = receipts.Template.load(self.config)
        return receipts.layout(doc, template, printers.columns(target), self.item_name)

    def preview_receipt(self, number: str, out: str | Path, printer: str | None = None) -> dict:
        target = printers.find(self.config.printers, "receipts", printer)
        doc = self.ledger.document(number)
        img = receipts.render(self.receipt_lines(doc, target), printers.columns(target))
        if Path(out).suffix.lower() != ".png":
            raise KioskError("bad_request", f"receipt preview {Path(out).name!r} must end in .png")
        labels.save_preview(img, out, self.config.label.dpi)
        return {"number": doc["number"], "out": str(out), "printer": target.name if target else None}
