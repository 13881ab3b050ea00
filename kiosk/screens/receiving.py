"""F1 Receiving: purchases, opening stock and sales returns, scanned in.

Scans resolve carton → item barcode or SKU → GS1 → serial of the chosen item (SPEC §6).
Transfers arrive through F4's verify mode, which checks a transfer's serials on the dock.
"""

from __future__ import annotations

from textual.binding import Binding

from .dialogs import PromptDialog
from .document_mode import DocumentScreen


class ReceivingScreen(DocumentScreen):
    MODE = "receiving"
    TITLE = "Receiving"
    DOC_TYPES = ("purchase", "opening", "sale_return")
    BINDINGS = [
        Binding("ctrl+l", "labels", "Labels", id="labels"),
        Binding("ctrl+k", "carton_label", "Carton label", id="carton_label"),
    ]

    def __init__(self, ledger, warehouse: str) -> None:
        super().__init__(ledger, warehouse)
        self.last_posted: list[str] = []

    def prompt(self) -> str:
        return "scan the item's barcode or SKU, then its serials (or a carton); F10 posts"

    def after_post(self, document: dict) -> None:
        self.last_posted = [code for line in document["lines"] for code in line["serials"]]
        self.app.print_receipt(document)

    def action_labels(self) -> None:
        """Labels for what was just received (unlabelled goods)."""
        self.app.print_labels(self.last_posted)

    def action_carton_label(self) -> None:
        """A carton's label: its code as Code128, to stick on the box."""

        def chosen(code: str | None) -> None:
            if code:
                self.app.print_carton_label(code)

        self.app.push_screen(PromptDialog("Carton code to label (scan or type it)"), chosen)
