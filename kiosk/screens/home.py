"""Home: who and where this station is, its devices, and the modes on their keys."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from ..model.text import printable
from .widgets import data


class HomeScreen(Screen[None]):
    def __init__(self, info, modes: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.info = info
        self.modes = modes

    def compose(self) -> ComposeResult:
        info = self.info
        yield Header()
        with Vertical(id="home"):
            yield Static(data(info.name, style="bold"), id="station-name")
            yield Static(self._facts(), id="station-facts")
            yield Static(self._modes(), id="modes")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.refresh_facts()

    def refresh_facts(self) -> None:
        self.query_one("#station-facts", Static).update(self._facts())

    def _facts(self) -> Text:
        info = self.info
        text = Text()
        rows = [
            ("Warehouse", info.warehouse),
            ("Operator", info.operator or "not signed in"),
            ("Scanners", "; ".join(self.app.device_lines("scanners"))),
            ("Printers", "; ".join(self.app.device_lines("printers"))),
        ]
        for label, value in rows:
            text.append(f"{label:<11}", style="dim")
            text.append(printable(value) + "\n")  # never markup, never a control sequence
        return text

    def _modes(self) -> Text:
        text = Text()
        for key, mode, title in self.modes:
            locked = self.info.locked_mode and self.info.locked_mode != mode
            text.append(f" {key.upper():>3} ", style="reverse" if not locked else "dim")
            text.append(f" {title}\n", style="dim" if locked else "")
        return text
