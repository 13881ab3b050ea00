"""The station: a full-screen Textual app that no key drops to the shell.

``inherit_bindings=False`` removes Textual's Ctrl+Q and Ctrl+C; leaving needs a
supervisor PIN (F12). The domain API (``Ledger``) and the station's description are
passed in, so tests run the real app on a real database under Pilot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.app import App
from textual.binding import Binding

from ..model.api import Ledger
from .dialogs import PinDialog
from .home import HomeScreen

MODE_KEYS = [
    ("f1", "receiving", "Receiving"),
    ("f2", "checkout", "Checkout"),
    ("f3", "stocktake", "Stocktake"),
    ("f4", "transfer", "Transfer"),
    ("f5", "search", "Search"),
    ("f6", "documents", "Documents"),
    ("f7", "items", "Items"),
    ("f8", "settings", "Settings"),
]


@dataclass
class StationInfo:
    """What the home screen shows about this station and its devices."""

    name: str
    warehouse: str
    operator: str | None = None
    locked_mode: str | None = None
    scanners: list[str] = field(default_factory=list)
    printers: list[str] = field(default_factory=list)


class StationApp(App[None], inherit_bindings=False):
    CSS_PATH = "app.tcss"
    TITLE = "kiosk"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("f12", "leave", "Leave", id="leave", priority=True),
    ]

    def __init__(self, ledger: Ledger, info: StationInfo) -> None:
        super().__init__()
        self.ledger = ledger
        self.info = info

    def on_mount(self) -> None:
        self.sub_title = f"{self.info.name} · {self.info.warehouse}"
        self.push_screen(HomeScreen(self.info, MODE_KEYS))

    def action_leave(self) -> None:
        def leave(ok: bool | None) -> None:
            if ok:
                self.exit()

        self.push_screen(PinDialog("A supervisor's PIN to leave the station", self.check_supervisor), leave)

    def check_supervisor(self, name: str, pin: str) -> str | None:
        """None when ``name``/``pin`` is a supervisor's, else the reason shown."""
        from ..model import catalog
        from ..model.errors import KioskError

        try:
            operator = catalog.sign_in(name, pin)
        except KioskError as exc:
            return exc.message
        return None if operator.role == "supervisor" else f"{operator.name} is not a supervisor"
