"""F5 Search: every filter of SPEC §5, paged by keyset, a serial's history, export, labels.

Pages come from the database 50 rows at a time (``after`` = the last code shown), so
a million serials cost what fifty do; the query runs in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from ..model.errors import KioskError
from ..model.queries import SerialFilter
from ..model.text import printable
from .dialogs import MessageDialog, PromptDialog
from .widgets import data
from .widgets.verdict import Verdict

FILTERS = [
    ("sku", "SKU"),
    ("serial", "serial contains"),
    ("status", "in_stock/out"),
    ("warehouse", "warehouse"),
    ("doc", "document"),
    ("since", "since"),
    ("until", "until"),
]
PAGE = 50


def history_text(history: dict) -> Text:
    text = Text()
    where = f" in {history['warehouse']}" if history["warehouse"] else ""
    text.append(printable(f"{history['serial']}  {history['sku']}  {history['status']}{where}") + "\n\n", style="bold")
    for m in history["movements"]:
        line = f"{m['at']}  {m['doc']:<11} {m['type']:<16} {m['direction']:<4} {m['warehouse']}"
        text.append(line + ("  (voided)" if m["voided"] else "") + "\n", style="dim strike" if m["voided"] else "")
    return text


class SearchScreen(Screen[None]):
    TITLE = "Search"
    BINDINGS = [
        Binding("escape", "app.home", "Home", id="home"),
        Binding("pagedown", "page(1)", "Next page", id="next_page"),
        Binding("pageup", "page(-1)", "Previous", id="previous_page"),
        Binding("f9", "export", "Export", id="export"),
        Binding("ctrl+l", "labels", "Label", id="labels"),
    ]

    @dataclass
    class Results(Message):
        page: dict
        starts: list

    @dataclass
    class Failed(Message):
        error: KioskError

    def __init__(self, ledger) -> None:
        super().__init__()
        self.ledger = ledger
        self.starts: list[str | None] = [None]  # the `after` of each page shown so far
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filters"):
            for name, label in FILTERS:
                yield Input(placeholder=label, id=f"f-{name}", classes="filter")
        yield Verdict(id="verdict")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Static(id="page-info")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        table.add_columns("serial", "SKU", "item", "warehouse", "status", "last doc", "type", "updated")
        self.query_one(Verdict).show("filters, then Enter; Enter on a row shows its history", "info")
        self.query_one("#f-serial", Input).focus()
        self.search()

    def current_filter(self, after: str | None = None) -> SerialFilter:
        values = {name: self.query_one(f"#f-{name}", Input).value.strip() or None for name, _ in FILTERS}
        return SerialFilter(**values, limit=PAGE, after=after)

    @on(Input.Submitted, ".filter")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.starts = [None]
        self.search()

    def search(self) -> None:
        self.run_search(self.current_filter(self.starts[-1]), list(self.starts))

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def run_search(self, f: SerialFilter, starts: list) -> None:
        try:
            self.post_message(self.Results(self.ledger.search(f), starts))
        except KioskError as exc:
            self.post_message(self.Failed(exc))

    @on(Results)
    def show_results(self, message: Results) -> None:
        page, self.starts, self.total = message.page, message.starts, message.page["total"]
        table = self.query_one("#results", DataTable)
        table.clear()
        for r in page["results"]:
            table.add_row(
                *(data(r[k] if r[k] is not None else "-") for k in
                  ("serial", "sku", "item_name", "warehouse", "status", "last_doc", "last_doc_type", "updated_at")),
                key=r["serial"],
            )
        first = (len(self.starts) - 1) * PAGE
        shown = f"{first + 1}–{first + len(page['results'])}" if page["results"] else "0"
        self.query_one("#page-info", Static).update(Text(f"{shown} of {self.total}   PgDn/PgUp pages"))
        self.query_one(Verdict).show(f"{self.total} serials match", "info")

    @on(Failed)
    def show_failure(self, message: Failed) -> None:
        self.app.bell()
        self.query_one(Verdict).show(f"{message.error.code}: {message.error.message}", "refused")

    def action_page(self, step: int) -> None:
        table = self.query_one("#results", DataTable)
        if step > 0:
            if len(self.starts) * PAGE >= self.total or not table.row_count:
                return
            last = table.coordinate_to_cell_key((table.row_count - 1, 0)).row_key.value
            self.starts.append(last)
        elif len(self.starts) > 1:
            self.starts.pop()
        else:
            return
        self.search()

    def selected_serial(self) -> str | None:
        table = self.query_one("#results", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @on(DataTable.RowSelected)
    def show_history(self, event: DataTable.RowSelected) -> None:
        code = event.row_key.value
        self.app.push_screen(MessageDialog(f"History of {code}", history_text(self.ledger.history(code))))

    def action_labels(self) -> None:
        code = self.selected_serial()
        if code:
            self.app.print_labels([code])

    def action_export(self) -> None:
        f = self.current_filter()
        f.limit = None

        def to_path(path: str | None) -> None:
            if not path:
                return
            fmt = "xlsx" if path.lower().endswith(".xlsx") else "csv"
            self.export(f, fmt, path)

        def authorised(supervisor: str | None) -> None:
            if supervisor:
                self.app.push_screen(PromptDialog("Export to (a .csv or .xlsx path)", "serials.csv"), to_path)

        self.app.require_supervisor("export serials", authorised)

    @work(thread=True, exit_on_error=False, group="export")
    def export(self, f: SerialFilter, fmt: str, path: str) -> None:
        try:
            result = self.ledger.export(f, fmt, path)
        except KioskError as exc:
            self.post_message(self.Failed(exc))
        else:
            self.app.call_from_thread(self.query_one(Verdict).show, f"exported {result['exported']} serials to {path}", "ok")
