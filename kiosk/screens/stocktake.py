"""F3 Stocktake: scan a shelf; see counted, expected, missing and unexpected live.

The count document lists, for each item in scope, the serials counted; posting makes
them the in-stock set here (SPEC §3 ``count``): the missing ones go out as lost, the
unexpected ones come in as gained. An item of the scope with nothing counted cannot be
a count line (a count's qty is above 0), so it is left out and the screen says so.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from ..model.scans import expected_serials
from .document_mode import DocumentScreen


class StocktakeScreen(DocumentScreen):
    MODE = "stocktake"
    TITLE = "Stocktake"
    DOC_TYPES = ("count",)
    BINDINGS = [Binding("ctrl+p", "pick_item", "Scope", id="pick_item")]

    def __init__(self, ledger, warehouse: str) -> None:
        super().__init__(ledger, warehouse)
        self.scope: list[str] = []  # SKUs; empty: every item in stock here
        self.expected: dict[str, str] = {}

    def on_mount(self) -> None:
        self.load_expected()  # Textual runs DocumentScreen.on_mount after this one

    def load_expected(self) -> None:
        self.expected = expected_serials(self.warehouse, self.scope or None)

    def prompt(self) -> str:
        return "scan every unit on the shelf; Ctrl+P limits the count to items; F10 posts"

    def answer(self, result) -> None:
        """An item scanned (or a serial of an item outside a chosen scope) joins the scope,
        so what its count will book out as lost shows as missing before F10."""
        joins = result.kind == "item" or self.scope
        if result.ok and joins and result.sku and result.sku not in self.scope:
            self.scope.append(result.sku)
            self.load_expected()
        super().answer(result)

    def side_text(self) -> Text:
        counted = set(self.draft.serials())
        expected = set(self.expected)
        missing = sorted(expected - counted)
        unexpected = sorted(counted - expected)
        text = Text()
        text.append("scope: " + (", ".join(self.scope) or "all items here") + "\n")
        text.append(f"counted    {len(counted):>6}\n", style="bold")
        text.append(f"expected   {len(expected):>6}\n")
        text.append(f"missing    {len(missing):>6}\n", style="bold red" if missing else "")
        text.append(f"unexpected {len(unexpected):>6}\n", style="bold yellow" if unexpected else "")
        if missing:
            text.append("missing: " + " ".join(missing[:12]) + (" …" if len(missing) > 12 else "") + "\n", style="red")
        if unexpected:
            text.append("unexpected: " + " ".join(unexpected[:12]) + (" …" if len(unexpected) > 12 else "") + "\n", style="yellow")
        return text

    def skipped(self) -> list[str]:
        counted_skus = {line.item.sku for line in self.draft.lines.values() if line.serials}
        in_scope = set(self.scope) or set(self.expected.values())
        return sorted(in_scope - counted_skus)

    def confirm_text(self) -> str:
        text = super().confirm_text()
        counted = set(self.draft.serials())
        missing = [c for c in self.expected if c not in counted and self.expected[c] not in self.skipped()]
        text += f"\n{len(missing)} missing serials will be booked out as lost."
        if self.skipped():
            text += "\nNothing counted of " + ", ".join(self.skipped()) + ": not part of this count."
        return text

    def after_post(self, document: dict) -> None:
        self.load_expected()
        self.refresh_view()
