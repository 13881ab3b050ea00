"""F7 Items: serial-management state; batch enable/disable; opening stock; adjustments."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header

from ..model.errors import KioskError
from ..model.text import printable
from .dialogs import AdjustDialog, MessageDialog
from .widgets import data
from .widgets.verdict import Verdict


class ItemsScreen(Screen[None]):
    TITLE = "Items"
    BINDINGS = [
        Binding("escape", "app.home", "Home", id="home"),
        Binding("space", "mark", "Mark", id="mark"),
        Binding("ctrl+e", "serial(True)", "Serial on", id="serial_on"),
        Binding("ctrl+d", "serial(False)", "Serial off", id="serial_off"),
        Binding("ctrl+o", "opening", "Opening stock", id="opening"),
        Binding("ctrl+a", "adjust", "Adjust", id="adjust"),
    ]

    def __init__(self, ledger, warehouse: str) -> None:
        super().__init__()
        self.ledger = ledger
        self.warehouse = warehouse
        self.marked: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Verdict(id="verdict")
        yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#items", DataTable).add_columns("✓", "SKU", "name", "unit", "serial", f"on hand {self.warehouse}", "serials in stock")
        self.load()
        self.query_one("#items", DataTable).focus()
        self.query_one(Verdict).show("Space marks items; Ctrl+E/Ctrl+D turn serials on/off for the marked (supervisor)", "info")

    def on_screen_resume(self) -> None:
        self.load()

    def load(self) -> None:
        table = self.query_one("#items", DataTable)
        row = table.cursor_row
        table.clear()
        for item in self.ledger.items():
            stock = item["stock"].get(self.warehouse, {"on_hand": 0, "serials_in_stock": 0})
            table.add_row(
                "✓" if item["sku"] in self.marked else " ",
                data(item["sku"]),
                data(item["name"]),
                data(item["unit"]),
                "yes" if item["serial"] else "no",
                str(stock["on_hand"]),
                str(stock["serials_in_stock"]),
                key=item["sku"],
            )
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    def selected(self) -> str | None:
        table = self.query_one("#items", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_mark(self) -> None:
        sku = self.selected()
        if sku:
            self.marked ^= {sku}
            self.load()

    def action_serial(self, on: bool) -> None:
        skus = sorted(self.marked) or ([self.selected()] if self.selected() else [])
        if not skus:
            return

        def apply(supervisor: str | None) -> None:
            if not supervisor:
                return
            try:
                self.ledger.acting_as(supervisor).set_item_serial(skus, on)
            except KioskError as exc:
                self.app.bell()
                refusals = exc.extra.get("refusals") or [{"sku": "", "code": exc.code, "message": exc.message}]
                body = "Nothing was changed:\n\n" + "\n".join(f"{r['code']}: {r['message']}" for r in refusals)
                self.app.push_screen(MessageDialog("Refused", body))
                self.query_one(Verdict).show(f"refused: {exc.message}", "refused")
                return
            self.marked.clear()
            self.load()
            self.query_one(Verdict).show(f"serial management {'on' if on else 'off'} for {', '.join(skus)}", "ok")

        self.app.require_supervisor("change items", apply)

    def action_opening(self) -> None:
        sku = self.selected()
        if sku:
            self.app.open_receiving("opening", sku)

    def action_adjust(self) -> None:
        """Adjust in-stock serials (SPEC §3 adjustment), posted in the supervisor's name."""
        sku = self.selected()
        if not sku:
            return

        def authorised(supervisor: str | None) -> None:
            if supervisor:
                self.app.push_screen(AdjustDialog(sku), lambda entries: self.adjust(sku, supervisor, entries))

        self.app.require_supervisor("adjust serials", authorised)

    def adjust(self, sku: str, supervisor: str, entries: tuple[str, str] | None) -> None:
        if not entries:
            return
        remove, add = entries
        document = {"type": "adjustment", "warehouse": self.warehouse, "lines": [{"sku": sku, "remove": remove, "add": add}]}
        try:
            posted = self.ledger.acting_as(supervisor).post(document)
        except KioskError as exc:
            self.app.bell()
            self.query_one(Verdict).show(f"not adjusted — {exc.code}: {exc.message}", "refused")
            return
        self.load()
        self.query_one(Verdict).show(f"posted {posted['number']}", "ok")

    @on(DataTable.RowSelected)
    def open_item(self, event: DataTable.RowSelected) -> None:
        item = self.ledger.item(event.row_key.value)
        lines = [printable(f"{item['sku']}  {item['name']}  unit {item['unit']}"), ""]
        lines += [f"{wh}: on hand {s['on_hand']}, serials in stock {s['serials_in_stock']}" for wh, s in item["stock"].items()]
        self.app.push_screen(MessageDialog(item["sku"], "\n".join(lines)))
