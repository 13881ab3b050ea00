"""F4 Transfer: out of this warehouse into another; and verify an arriving transfer.

Verify (Ctrl+V) is the receiving end's check: choose the transfer, scan what arrived,
and the screen shows what is missing and what does not belong. It posts nothing.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from ..model.queries import DocumentFilter
from ..model.scans import Draft, ScanResult, warehouse_codes
from .dialogs import ChoiceDialog, PickDialog
from .document_mode import DocumentScreen
from .widgets.verdict import Verdict


class TransferScreen(DocumentScreen):
    MODE = "transfer"
    TITLE = "Transfer"
    DOC_TYPES = ("transfer",)
    BINDINGS = [
        Binding("f9", "choose_destination", "To", id="choose_destination"),
        Binding("ctrl+v", "verify", "Verify", id="verify"),
    ]

    def __init__(self, ledger, warehouse: str) -> None:
        self.to_warehouse = next((w for w in warehouse_codes() if w != warehouse), None)
        super().__init__(ledger, warehouse)
        self.verifying: dict | None = None  # the transfer being checked, if any
        self.arrived: list[str] = []

    def new_draft(self) -> Draft:
        return Draft("transfer", self.warehouse, self.to_warehouse)

    def prompt(self) -> str:
        return "scan what leaves for the other warehouse; F9 chooses it; Ctrl+V verifies an arrival"

    def context_text(self) -> Text:
        if self.verifying:
            text = Text()
            text.append(" VERIFY ", style="reverse bold")
            text.append(f"  {self.verifying['number']}  {self.verifying['warehouse']} → {self.verifying['to_warehouse']}")
            return text
        text = super().context_text()
        text.append(f"  ·  to {self.to_warehouse or '(no other warehouse)'}")
        return text

    def action_choose_destination(self) -> None:
        choices = [(w, w) for w in warehouse_codes() if w != self.warehouse]

        def chosen(code: str | None) -> None:
            if code:
                self.to_warehouse = code
                self.reset()

        self.app.push_screen(ChoiceDialog("Transfer to", choices), chosen)

    def action_verify(self) -> None:
        docs = self.ledger.documents(DocumentFilter(type="transfer", status="posted", limit=100))
        choices = [(d["number"], f"{d['number']}  {d['warehouse']} → {d['to_warehouse']}  {d['posted_at']}") for d in docs]

        def chosen(number: str | None) -> None:
            if number:
                self.verifying = self.ledger.document(number)
                self.arrived = []
                self.query_one(Verdict).show(f"verifying {number}: scan what arrived; Escape ends", "info")
                self.refresh_view()

        self.app.push_screen(PickDialog("Verify which transfer?", choices), chosen)

    def expected(self) -> list[str]:
        return [c for line in self.verifying["lines"] for c in line["serials"]] if self.verifying else []

    def handle_scan(self, text: str) -> None:
        if not self.verifying:
            super().handle_scan(text)
            return
        expected = set(self.expected())
        if text in self.arrived:
            result = ScanResult(text, False, f"{text} was scanned already", "duplicate_in_input")
        elif text in expected:
            self.arrived.append(text)
            result = ScanResult(text, True, f"{text} belongs to {self.verifying['number']}")
        else:
            self.arrived.append(text)
            result = ScanResult(text, False, f"{text} is not on {self.verifying['number']}", "serial_warehouse_mismatch")
        self.answer(result)

    def side_text(self) -> Text:
        if not self.verifying:
            return super().side_text()
        expected = self.expected()
        missing = [c for c in expected if c not in self.arrived]
        extra = [c for c in self.arrived if c not in set(expected)]
        text = Text()
        text.append(f"on the transfer {len(expected):>5}\n", style="bold")
        text.append(f"arrived         {len(self.arrived) - len(extra):>5}\n")
        text.append(f"missing         {len(missing):>5}\n", style="bold red" if missing else "")
        text.append(f"not on it       {len(extra):>5}\n", style="bold yellow" if extra else "")
        if missing:
            text.append("missing: " + " ".join(missing[:12]) + "\n", style="red")
        if extra:
            text.append("not on it: " + " ".join(extra[:12]) + "\n", style="yellow")
        return text

    def action_post(self) -> None:
        if self.verifying:
            self.query_one(Verdict).show("verify posts nothing; Escape ends it", "info")
            return
        if self.to_warehouse is None:
            self.app.bell()
            self.query_one(Verdict).show("there is no other warehouse to transfer to", "refused")
            return
        super().action_post()

    def action_back(self) -> None:
        if self.verifying:
            self.verifying = None
            self.arrived = []
            self.query_one(Verdict).show(self.prompt(), "info")
            self.refresh_view()
        else:
            self.app.action_home()

