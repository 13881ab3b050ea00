"""F2 Checkout: a sale, by scanning serials or picking them from what is in stock here."""

from __future__ import annotations

from textual.binding import Binding

from ..model.scans import in_stock
from .dialogs import PickDialog
from .document_mode import DocumentScreen


class CheckoutScreen(DocumentScreen):
    MODE = "checkout"
    TITLE = "Checkout"
    DOC_TYPES = ("sale",)
    BINDINGS = [Binding("ctrl+s", "pick_serial", "In stock", id="pick_serial")]

    def prompt(self) -> str:
        return "scan the serials sold; Ctrl+S picks from stock; F10 posts"

    def action_pick_serial(self) -> None:
        item = self.draft.item
        if item is None:
            self.action_pick_item()
            return

        def source(text: str) -> list[tuple[str, str]]:
            codes = in_stock(item.sku, self.warehouse, contains=text, limit=200)
            return [(c, c) for c in codes if c not in self.draft]

        def picked(code: str | None) -> None:
            if code:
                self.answer(self.draft.add(code))

        self.app.push_screen(PickDialog(f"In stock: {item.sku} in {self.warehouse}", source=source), picked)

    def after_post(self, document: dict) -> None:
        self.app.print_receipt(document)
