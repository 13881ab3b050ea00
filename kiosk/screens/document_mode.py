"""What receiving, checkout, stocktake and transfer share: scan, see, confirm, post.

A scan goes ScanBox (or the evdev hub) → ``handle_scan`` → ``Draft`` (the rules, in
``kiosk.model.scans``) → the verdict line and the list. Nothing is written until F10
and a confirmation; the post then runs in a worker thread through the same domain
API as the command line, and the screen stays live while it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ..model.errors import KioskError
from ..model.scans import Draft, ScanResult
from ..model.text import printable
from .dialogs import ChoiceDialog, ConfirmDialog, GenerateDialog, PickDialog
from .widgets import data
from .widgets.scanbox import ScanBox
from .widgets.verdict import Verdict

RETRY_SECONDS = 3.0


class DocumentScreen(Screen[None]):
    """A mode that builds one document from scans. Subclasses set the types and extras."""

    MODE = ""
    TITLE = ""
    DOC_TYPES: tuple[str, ...] = ()
    BINDINGS = [
        Binding("escape", "back", "Home", id="home"),
        Binding("f10", "post", "Post", id="post"),
        Binding("f9", "choose_type", "Type", id="choose_type"),
        Binding("ctrl+p", "pick_item", "Item", id="pick_item"),
        Binding("ctrl+g", "generate", "Generate", id="generate"),
        Binding("delete", "remove", "Remove", id="remove"),
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
    ]

    @dataclass
    class Posted(Message):
        document: dict

    @dataclass
    class PostFailed(Message):
        error: KioskError
        document: dict

    def __init__(self, ledger, warehouse: str) -> None:
        super().__init__()
        self.ledger = ledger
        self.warehouse = warehouse
        self.doc_type = self.DOC_TYPES[0]
        self.draft = self.new_draft()
        self.posting = False
        self.pending: dict | None = None  # a post the database did not confirm: retried as it was
        self.retry_timer = None

    # layout ------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="doc-top"):
            yield Static(id="doc-context")
            yield ScanBox(id="scan")
            yield Verdict(id="verdict")
        with Horizontal(id="doc-body"):
            yield DataTable(id="scanned", cursor_type="row", zebra_stripes=True)
            yield Static(id="doc-side")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#scanned", DataTable)
        table.can_focus = False
        table.add_columns("#", "serial", "SKU", "item")
        self.query_one(Verdict).show(self.prompt(), "info")
        self.refresh_view()
        self.query_one(ScanBox).focus()

    def on_screen_resume(self) -> None:
        self.query_one(ScanBox).focus()

    def new_draft(self) -> Draft:
        return Draft(self.doc_type, self.warehouse)

    def prompt(self) -> str:
        return "scan serials; F10 posts"

    def context_text(self) -> Text:
        item = self.draft.item
        text = Text()
        text.append(f" {self.doc_type.replace('_', ' ').upper()} ", style="reverse bold")
        text.append(f"  warehouse {self.warehouse}")
        text.append(printable(f"  ·  item {item.sku} {item.name}") if item else "  ·  no item chosen")
        return text

    def side_text(self) -> Text:
        text = Text()
        text.append(f"{self.draft.count} serials\n", style="bold")
        for line in self.draft.lines.values():
            if line.serials:
                text.append(printable(f"{line.item.sku} × {len(line.serials)}") + "\n")
        return text

    def refresh_view(self) -> None:
        self.query_one("#doc-context", Static).update(self.context_text())
        self.query_one("#doc-side", Static).update(self.side_text())

    # scans -------------------------------------------------------------------
    @on(ScanBox.Scanned)
    def on_scanned(self, message: ScanBox.Scanned) -> None:
        self.handle_scan(message.text)

    @on(ScanBox.ListEntered)
    def on_list(self, message: ScanBox.ListEntered) -> None:
        self.add_codes(message.codes)

    def handle_scan(self, text: str) -> None:
        """One scan from any source: decode GS1 where it applies, then the draft's rules."""
        if self.posting or self.pending:
            why = "posting…" if self.posting else "the last post waits for the database"
            self.answer(ScanResult(text, False, f"{why}: scan again in a moment", "busy"))
            return
        try:
            gs1 = self.app.decode_gs1(text)
            if gs1 is not None:
                result = self.draft.scan_gs1(text, gs1.barcodes, gs1.serial)
            else:
                result = self.draft.scan(text)
        except KioskError as exc:
            result = ScanResult(text, False, exc.message, exc.code)
        self.answer(result)

    def add_codes(self, codes: list[str]) -> None:
        results = self.draft.add_many(codes)
        added = [r for r in results if r.ok]
        refused = [r for r in results if not r.ok]
        for r in added:
            self.add_row(r)
        if refused:
            self.app.bell()
            first = refused[0]
            self.query_one(Verdict).show(
                f"{len(added)} added, {len(refused)} refused — {first.message}", "refused"
            )
        else:
            self.query_one(Verdict).show(f"{len(added)} serials added", "ok")
        self.refresh_view()

    def answer(self, result: ScanResult) -> None:
        verdict = self.query_one(Verdict)
        if result.ok:
            verdict.show(result.message, "ok")
            for code in result.added:
                self.add_row(ScanResult(code, True, "", sku=result.sku))
        else:
            self.app.bell()
            verdict.show(result.message, "refused")
        self.refresh_view()

    def add_row(self, result: ScanResult) -> None:
        table = self.query_one("#scanned", DataTable)
        item = next((line.item for line in self.draft.lines.values() if result.text in line.serials), None)
        table.add_row(
            str(table.row_count + 1),
            data(result.text),
            data(item.sku if item else ""),
            data(item.name if item else ""),
            key=result.text,
        )
        table.move_cursor(row=table.row_count - 1)

    # actions -----------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F9 "Type" only where there is a type to choose (not in checkout or stocktake)."""
        if action == "choose_type" and len(self.DOC_TYPES) < 2:
            return False
        return True

    def action_back(self) -> None:
        self.app.action_home()

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#scanned", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_remove(self) -> None:
        table = self.query_one("#scanned", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        if self.draft.remove(key.value):
            table.remove_row(key)
            self.query_one(Verdict).show(f"removed {key.value}", "info")
            self.refresh_view()

    def action_choose_type(self) -> None:
        if len(self.DOC_TYPES) < 2:
            return

        def chosen(doc_type: str | None) -> None:
            if doc_type and doc_type != self.doc_type:
                self.doc_type = doc_type
                self.reset()

        self.app.push_screen(
            ChoiceDialog("Document type", [(t, t.replace("_", " ")) for t in self.DOC_TYPES]), chosen
        )

    def action_pick_item(self) -> None:
        items = [(i["sku"], f"{i['sku']}  {i['name']}") for i in self.ledger.items() if i["serial"]]

        def chosen(sku: str | None) -> None:
            if sku:
                self.answer(self.draft.choose_item(sku))

        self.app.push_screen(PickDialog("Choose the item", items), chosen)

    def action_generate(self) -> None:
        def generated(codes: list[str] | None) -> None:
            if codes:
                self.add_codes(codes)

        self.app.push_screen(GenerateDialog(self.ledger), generated)

    def reset(self) -> None:
        item = self.draft.item
        self.draft = self.new_draft()
        self.draft.item = item
        self.query_one("#scanned", DataTable).clear()
        self.refresh_view()

    def action_post(self) -> None:
        if self.posting:
            return
        if self.pending:
            self.retry_pending()
            return
        if not self.draft.count and not self.can_post_empty():
            self.query_one(Verdict).show("nothing to post yet", "info")
            return
        document = self.draft.document()

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.posting = True
                self.query_one(Verdict).show("posting…", "info")
                self.post_document(document)

        self.app.push_screen(ConfirmDialog(self.confirm_text()), confirmed)

    def can_post_empty(self) -> bool:
        return False

    def confirm_text(self) -> str:
        lines = [f"Post this {self.doc_type.replace('_', ' ')} in {self.warehouse}?"]
        lines += [f"  {line.item.sku}  × {len(line.serials)}" for line in self.draft.lines.values() if line.serials]
        return "\n".join(lines)

    @work(thread=True, exit_on_error=False, group="post")
    def post_document(self, document: dict) -> None:
        """Post with the draft's key: if the database went away after committing, the
        retry finds that document instead of posting it twice."""
        try:
            posted = self.ledger.post(document, key=self.draft.key)
        except KioskError as exc:
            self.post_message(self.PostFailed(exc, document))
        else:
            self.post_message(self.Posted(posted))

    def retry_pending(self) -> None:
        if self.pending and not self.posting:
            self.posting = True
            self.query_one(Verdict).show("posting again…", "info")
            self.post_document(self.pending)

    @on(Posted)
    def on_posted(self, message: Posted) -> None:
        self.posting = False
        self.pending = None
        if self.retry_timer is not None:
            self.retry_timer.stop()
            self.retry_timer = None
        doc = message.document
        count = sum(len(line["serials"]) for line in doc["lines"])
        self.query_one(Verdict).show(f"posted {doc['number']}: {count} serials", "ok")
        self.reset()
        self.after_post(doc)

    def after_post(self, document: dict) -> None:
        """Receipts and labels, where the station has a printer (see the subclasses)."""

    @on(PostFailed)
    def on_post_failed(self, message: PostFailed) -> None:
        self.posting = False
        self.app.bell()
        error = message.error
        if error.code == "db_unavailable":
            # nothing is lost: the scans stay, and the same document is posted again
            self.pending = message.document
            if self.retry_timer is None:
                self.retry_timer = self.set_interval(RETRY_SECONDS, self.retry_pending)
            self.query_one(Verdict).show(
                f"database unavailable — {self.draft.count} serials kept; posting again every "
                f"{RETRY_SECONDS:g} s (F10 now)",
                "refused",
            )
            return
        self.pending = None
        self.query_one(Verdict).show(f"not posted — {error.code}: {error.message}", "refused")
