"""F3 Stocktake: scan a shelf; see counted, expected, missing and unexpected live.

The count document lists, for each item in scope, the serials counted; posting makes
them the in-stock set here (SPEC §3 ``count``): the missing ones go out as lost, the
unexpected ones come in as gained. An item of the scope with nothing counted cannot be
a count line (a count's qty is above 0), so it is left out and the screen says so.
The live figures come from ``count_state``, a few indexed queries per scan, so a
warehouse of a million serials shows them as fast as one of twenty.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from ..model.scans import CountState, count_state
from .document_mode import DocumentScreen


class StocktakeScreen(DocumentScreen):
    MODE = "stocktake"
    TITLE = "Stocktake"
    DOC_TYPES = ("count",)
    BINDINGS = [Binding("ctrl+p", "pick_item", "Scope", id="pick_item")]

    def __init__(self, ledger, warehouse: str) -> None:
        super().__init__(ledger, warehouse)
        self.scope: list[str] = []  # SKUs; empty: every item in stock here

    def state(self) -> CountState:
        return count_state(self.warehouse, self.scope, self.draft.serials())

    def prompt(self) -> str:
        return "scan every unit on the shelf; Ctrl+P limits the count to items; F10 posts"

    def answer(self, result) -> None:
        """An item scanned (or a serial of an item outside a chosen scope) joins the scope,
        so what its count will book out as lost shows as missing before F10."""
        joins = result.kind == "item" or self.scope
        if result.ok and joins and result.sku and result.sku not in self.scope:
            self.scope.append(result.sku)
        super().answer(result)

    def side_text(self) -> Text:
        state = self.state()
        text = Text()
        text.append("scope: " + (", ".join(self.scope) or "all items here") + "\n")
        text.append(f"counted    {state.counted:>6}\n", style="bold")
        text.append(f"expected   {state.expected:>6}\n")
        text.append(f"missing    {state.missing:>6}\n", style="bold red" if state.missing else "")
        text.append(f"unexpected {len(state.unexpected):>6}\n", style="bold yellow" if state.unexpected else "")
        if state.missing:
            more = " …" if state.missing > len(state.missing_sample) else ""
            text.append("missing: " + " ".join(state.missing_sample) + more + "\n", style="red")
        if state.unexpected:
            more = " …" if len(state.unexpected) > 12 else ""
            text.append("unexpected: " + " ".join(state.unexpected[:12]) + more + "\n", style="yellow")
        return text

    def skipped(self, state: CountState) -> list[str]:
        counted_skus = {line.item.sku for line in self.draft.lines.values() if line.serials}
        return [sku for sku in state.skus if sku not in counted_skus]

    def confirm_text(self) -> str:
        state = self.state()
        counted_skus = [line.item.sku for line in self.draft.lines.values() if line.serials]
        lost = count_state(self.warehouse, counted_skus, self.draft.serials()).missing
        text = super().confirm_text()
        text += f"\n{lost} missing serials of these items will be booked out as lost."
        skipped = self.skipped(state)
        if skipped:
            text += "\nNothing counted of " + ", ".join(skipped) + ": not part of this count."
        return text
