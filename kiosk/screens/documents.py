"""F6 Documents: recent documents, newest first; open one; void it (supervisor)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header

from ..model.documents import TYPES
from ..model.errors import KioskError
from ..model.queries import DocumentFilter
from ..model.text import printable
from .dialogs import ChoiceDialog, ConfirmDialog, MessageDialog
from .widgets import data
from .widgets.verdict import Verdict


def document_text(doc: dict) -> Text:
    doc = {k: printable(v) if isinstance(v, str) else v for k, v in doc.items()}
    text = Text()
    where = doc["warehouse"] + (f" → {doc['to_warehouse']}" if doc["to_warehouse"] else "")
    text.append(f"{doc['number']}  {doc['type']}  {doc['status']}  {where}\n", style="bold")
    text.append(f"posted {doc['posted_at']} at {doc['station']} by {doc['operator']}")
    text.append(f"; partner {doc['partner']}\n" if doc["partner"] else "\n")
    for line in doc["lines"]:
        text.append(printable(f"\n{line['sku']}  {line['qty']} {line['unit']}") + "\n", style="bold")
        for key in ("serials", "gained", "lost", "add", "remove"):
            if line.get(key):
                text.append(f"  {key}: " + " ".join(line[key]) + "\n")
    return text


class DocumentsScreen(Screen[None]):
    TITLE = "Documents"
    BINDINGS = [
        Binding("escape", "app.home", "Home", id="home"),
        Binding("f9", "filter_type", "Type", id="filter_type"),
        Binding("ctrl+x", "void", "Void", id="void"),
    ]

    @dataclass
    class Voided(Message):
        document: dict

    @dataclass
    class Refused(Message):
        error: KioskError

    def __init__(self, ledger) -> None:
        super().__init__()
        self.ledger = ledger
        self.type: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Verdict(id="verdict")
        yield DataTable(id="documents", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#documents", DataTable).add_columns("number", "type", "status", "warehouse", "to", "partner", "lines", "posted", "operator")
        self.load()
        self.query_one("#documents", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.load()

    def load(self) -> None:
        table = self.query_one("#documents", DataTable)
        table.clear()
        for d in self.ledger.documents(DocumentFilter(type=self.type, limit=200)):
            table.add_row(
                *(data(d[k] if d[k] is not None else "-") for k in
                  ("number", "type", "status", "warehouse", "to_warehouse", "partner", "line_count", "posted_at", "operator")),
                key=d["number"],
            )
        self.query_one(Verdict).show(f"{table.row_count} documents" + (f" of type {self.type}" if self.type else "") + "; Enter opens one", "info")

    def action_filter_type(self) -> None:
        def chosen(value: str | None) -> None:
            if value is not None:
                self.type = None if value == "all" else value
                self.load()

        self.app.push_screen(ChoiceDialog("Show documents of type", [("all", "all types")] + [(t, t) for t in TYPES]), chosen)

    def selected(self) -> str | None:
        table = self.query_one("#documents", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @on(DataTable.RowSelected)
    def open_document(self, event: DataTable.RowSelected) -> None:
        doc = self.ledger.document(event.row_key.value)
        self.app.push_screen(MessageDialog(doc["number"], document_text(doc)))

    def action_void(self) -> None:
        number = self.selected()
        if number is None:
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.app.require_supervisor(f"void {number}", lambda sup: sup and self.void(number, sup))

        self.app.push_screen(ConfirmDialog(f"Void {number}? Every serial it moved goes back."), confirmed)

    @work(thread=True, exit_on_error=False, group="void")
    def void(self, number: str, supervisor: str) -> None:
        try:
            self.post_message(self.Voided(self.ledger.acting_as(supervisor).void(number)))
        except KioskError as exc:
            self.post_message(self.Refused(exc))

    @on(Voided)
    def voided(self, message: Voided) -> None:
        self.load()
        self.query_one(Verdict).show(f"voided {message.document['number']}", "ok")

    @on(Refused)
    def refused(self, message: Refused) -> None:
        self.app.bell()
        error = message.error
        blocking = error.extra.get("documents")
        reason = f"{error.code}: {error.message}"
        if blocking:
            reason = f"void {', '.join(blocking)} first — {error.message}"
        self.query_one(Verdict).show(reason, "refused")
