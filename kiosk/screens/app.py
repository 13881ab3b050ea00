"""The station: a full-screen Textual app that no key drops to the shell.

Each mode of SPEC §6 is a Textual mode with its own screen stack, on a function key
from any screen. ``inherit_bindings=False`` removes Textual's Ctrl+Q and Ctrl+C;
leaving needs a supervisor PIN (F12). The domain API (``Ledger``), the station's
description and the device services are passed in, so tests run the real app on a
real database under Pilot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rich.text import Text
from textual.app import App
from textual.binding import Binding

from ..hardware.gs1 import Gs1Serial, parse_scan
from ..model.api import Ledger
from ..model.errors import KioskError
from .checkout import CheckoutScreen
from .dialogs import PinDialog
from .document_mode import DocumentScreen
from .documents import DocumentsScreen
from .home import HomeScreen
from .items import ItemsScreen
from .receiving import ReceivingScreen
from .search import SearchScreen
from .settings import SettingsScreen
from .stocktake import StocktakeScreen
from .transfer import TransferScreen

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
SUPERVISOR_MODES = {"search", "documents", "items", "settings"}  # read freely; changes ask a PIN


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
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "kiosk"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        *[Binding(key, f"mode('{mode}')", title, id=mode, priority=True) for key, mode, title in MODE_KEYS],
        Binding("f12", "leave", "Leave", id="leave", priority=True),
    ]

    def __init__(
        self,
        ledger: Ledger,
        info: StationInfo,
        *,
        decode_gs1: Callable[[str], Gs1Serial | None] = parse_scan,
        printing=None,
    ) -> None:
        super().__init__()
        self.ledger = ledger
        self.info = info
        self._decode_gs1 = decode_gs1
        self.printing = printing
        wh = info.warehouse
        factories = {
            "home": lambda: HomeScreen(self.info, MODE_KEYS),
            "receiving": lambda: ReceivingScreen(ledger, wh),
            "checkout": lambda: CheckoutScreen(ledger, wh),
            "stocktake": lambda: StocktakeScreen(ledger, wh),
            "transfer": lambda: TransferScreen(ledger, wh),
            "search": lambda: SearchScreen(ledger),
            "documents": lambda: DocumentsScreen(ledger),
            "items": lambda: ItemsScreen(ledger, wh),
            "settings": lambda: SettingsScreen(ledger, self.info),
        }
        for mode, factory in factories.items():
            self.add_mode(mode, factory)

    def on_mount(self) -> None:
        self.sub_title = f"{self.info.name} · {self.info.warehouse}"
        self.switch_mode(self.info.locked_mode or "home")
        if not self.info.operator:
            self.push_screen(PinDialog("Sign in: your name and PIN", self.sign_in, cancel=False), self.signed_in)

    # operators ---------------------------------------------------------------
    def sign_in(self, name: str, pin: str) -> str | None:
        from ..model import catalog

        try:
            catalog.sign_in(name, pin)
        except KioskError as exc:
            return exc.message
        return None

    def signed_in(self, name: str | None) -> None:
        if name:
            self.info.operator = name
            self.ledger.operator = name
            self.notify(Text(f"signed in as {name}"))

    def check_supervisor(self, name: str, pin: str) -> str | None:
        """None when ``name``/``pin`` is a supervisor's, else the reason shown."""
        from ..model import catalog

        try:
            operator = catalog.sign_in(name, pin)
        except KioskError as exc:
            return exc.message
        return None if operator.role == "supervisor" else f"{operator.name} is not a supervisor"

    def require_supervisor(self, why: str, then: Callable[[str | None], object]) -> None:
        """Ask a supervisor's PIN, then call ``then`` with their name (None if cancelled)."""
        self.push_screen(PinDialog(f"A supervisor's PIN to {why}", self.check_supervisor), then)

    # modes -------------------------------------------------------------------
    def action_mode(self, mode: str) -> None:
        if self.info.locked_mode and mode != self.info.locked_mode:
            self.bell()
            self.notify(f"this station is locked to {self.info.locked_mode}", severity="warning")
            return
        self.switch_mode(mode)

    def action_home(self) -> None:
        self.switch_mode(self.info.locked_mode or "home")

    def action_leave(self) -> None:
        self.require_supervisor("leave the station", lambda name: name and self.exit())

    def open_receiving(self, doc_type: str, sku: str) -> None:
        """Items → opening stock: receiving, with the type and item chosen."""
        self.switch_mode("receiving")
        screen = self.screen
        if isinstance(screen, ReceivingScreen):
            screen.doc_type = doc_type
            screen.reset()
            screen.answer(screen.draft.choose_item(sku))

    # scans from devices --------------------------------------------------------
    def decode_gs1(self, text: str) -> Gs1Serial | None:
        """The GTIN and serial of a GS1 scan, None for a literal one (SPEC §2)."""
        return self._decode_gs1(text)

    def deliver_scan(self, text: str) -> None:
        """A scan from an evdev scanner: to the mode on screen, whatever has focus."""
        screen = self.screen
        if isinstance(screen, DocumentScreen):
            screen.handle_scan(text)
        else:
            self.bell()
            self.notify(Text(f"scan {text!r} ignored: open a scanning mode (F1–F4)"), severity="warning")

    # printers ----------------------------------------------------------------
    def print_receipt(self, document: dict) -> None:
        if self.printing is not None:
            self.printing.receipt(document)

    def print_labels(self, serials: list[str]) -> None:
        if not serials:
            self.notify("no serials to label")
        elif self.printing is None:
            self.bell()
            self.notify("no label printer is configured", severity="warning")
        else:
            self.printing.labels(serials)
            self.notify(f"{len(serials)} labels queued")

    def device_lines(self, kind: str) -> list[str]:
        names = self.info.scanners if kind == "scanners" else self.info.printers
        if kind == "scanners" and not names:
            return ["none configured: a keyboard-wedge scanner types into the scan field"]
        return names or ["none configured"]
