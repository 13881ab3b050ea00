"""F8 Settings: the global switch, this station, and its scanners and printers."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from ..model.audit import AuditFilter
from ..model.errors import KioskError
from ..model.text import printable
from .dialogs import MessageDialog
from .widgets.verdict import Verdict


class SettingsScreen(Screen[None]):
    TITLE = "Settings"
    BINDINGS = [
        Binding("escape", "app.home", "Home", id="home"),
        Binding("ctrl+s", "toggle_serials", "Serial management", id="toggle_serials"),
        Binding("ctrl+a", "audit", "Audit log", id="audit"),
    ]

    def __init__(self, ledger, info) -> None:
        super().__init__()
        self.ledger = ledger
        self.info = info

    def compose(self) -> ComposeResult:
        yield Header()
        yield Verdict(id="verdict")
        yield Static(id="settings-body")
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.query_one(Verdict).show("Ctrl+S turns serial management on or off (supervisor)", "info")

    def on_screen_resume(self) -> None:
        self.load()

    def load(self) -> None:
        on = self.ledger.settings()["serial_management"]
        info = self.info
        text = Text()
        text.append("Serial management  ")
        text.append("ON\n\n" if on else "OFF\n\n", style="bold green" if on else "bold red")
        for label, value in [
            ("Station", info.name),
            ("Warehouse", info.warehouse),
            ("Operator", info.operator or "not signed in"),
            ("Locked to", info.locked_mode or "no (every mode)"),
        ]:
            text.append(f"{label:<12}", style="dim")
            text.append(printable(value) + "\n")
        text.append("\nScanners\n", style="bold")
        for line in self.app.device_lines("scanners"):
            text.append(f"  {line}\n")
        text.append("\nPrinters\n", style="bold")
        for line in self.app.device_lines("printers"):
            text.append(f"  {line}\n")
        self.query_one("#settings-body", Static).update(text)

    def action_audit(self) -> None:
        """The latest audit entries, for a supervisor."""

        def show(supervisor: str | None) -> None:
            if not supervisor:
                return
            text = Text()
            for e in self.ledger.audit(AuditFilter(limit=200)):
                line = f"{e['at']}  {e['station']:<10} {e['operator']:<10} {e['action']:<15} {e['subject']}  {e['detail']}"
                text.append(printable(line) + "\n")
            self.app.push_screen(MessageDialog("Audit log (latest 200)", text))

        self.app.require_supervisor("read the audit log", show)

    def action_toggle_serials(self) -> None:
        on = self.ledger.settings()["serial_management"]

        def apply(supervisor: str | None) -> None:
            if not supervisor:
                return
            try:
                self.ledger.acting_as(supervisor).set_serial_management(not on)
            except KioskError as exc:
                self.app.bell()
                self.query_one(Verdict).show(f"{exc.code}: {exc.message}", "refused")
                return
            self.load()
            self.query_one(Verdict).show(f"serial management {'off' if on else 'on'}", "ok")

        self.app.require_supervisor("change the settings", apply)
