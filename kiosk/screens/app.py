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
from textual import work
from textual.app import App
from textual.binding import Binding

from ..hardware.decoder import Scan
from ..hardware.gs1 import Gs1Serial, parse_scan
from ..hardware.print_queue import PrintWorker
from ..hardware.printing import Printing
from ..hardware.scanners import ScannerHub, ScannerStatus
from ..model.api import Ledger
from ..model.errors import KioskError
from ..model.text import printable
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
        printing: Printing | None = None,
        scanners: Callable[[Callable, Callable], ScannerHub] | None = None,
    ) -> None:
        """``printing`` prints labels and receipts (None: no printer configured);
        ``scanners`` builds the evdev scanner hub from the two callbacks it reports to
        (None: keyboard-wedge scans only)."""
        super().__init__()
        self.ledger = ledger
        self.info = info
        self._decode_gs1 = decode_gs1
        self.printing = printing
        self._scanner_source = scanners
        self.scanner_hub: ScannerHub | None = None
        self.scanner_states: dict[str, str] = {}
        self.print_worker: PrintWorker | None = None
        self.printer_states: dict[str, str] = {}
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
        if self._scanner_source is not None:
            self.scanner_hub = self._scanner_source(
                lambda scan: self.call_from_thread(self.scan_from_device, scan),
                lambda status: self.call_from_thread(self.scanner_status, status),
            )
            self.scanner_hub.start()
        if self.printing is not None:
            self.print_worker = PrintWorker(
                self.printing.queue, on_status=lambda rows: self.call_from_thread(self.printer_status, rows)
            )
            self.print_worker.start()

    def on_unmount(self) -> None:
        if self.scanner_hub is not None:
            self.scanner_hub.stop()
        if self.print_worker is not None:
            self.print_worker.stop()

    def _handle_exception(self, error: Exception) -> None:
        """A refusal or an unreachable database that escaped a handler is shown, not
        fatal: the station must not drop to a shell because the server went away.
        Anything else is a bug and ends the app (systemd starts it again)."""
        if isinstance(error, KioskError):
            self.bell()
            self.notify(Text(f"{error.code}: {error.message}"), severity="error", timeout=10)
            return
        super()._handle_exception(error)

    # operators ---------------------------------------------------------------
    def sign_in(self, name: str, pin: str) -> str | None:
        try:
            self.ledger.sign_in(name, pin)
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
        try:
            operator = self.ledger.sign_in(name, pin)
        except KioskError as exc:
            return exc.message
        return None if operator["role"] == "supervisor" else f"{name} is not a supervisor"

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

    async def scan_from_device(self, scan: Scan) -> None:
        """A scan from an evdev scanner, on the app's loop: to its mode's screen,
        whatever widget has focus. A discarded partial scan is said, with a bell."""
        if scan.dropped:
            self.bell()
            self.notify(Text(f"{scan.scanner}: scan discarded ({scan.dropped}); scan again"), severity="error")
            return
        if scan.mode and scan.mode != self.current_mode and not self.info.locked_mode:
            await self.switch_mode(scan.mode)
        screen = self.screen
        if isinstance(screen, DocumentScreen):
            screen.handle_scan(scan.text)
        else:
            self.bell()
            self.notify(Text(f"scan {printable(scan.text)} ignored: open a scanning mode (F1–F4)"), severity="warning")

    def scanner_status(self, status: ScannerStatus) -> None:
        state = status.state.replace("_", " ") + (f" — {status.message}" if status.message else "")
        previous = self.scanner_states.get(status.scanner)
        self.scanner_states[status.scanner] = state
        if previous is not None and previous != state:
            self.notify(Text(f"{status.scanner}: {state}"), severity="information" if status.connected else "warning")
        if isinstance(self.screen, HomeScreen):
            self.screen.refresh_facts()

    # printers ----------------------------------------------------------------
    def printer_status(self, rows: list[dict]) -> None:
        """The print worker's view of each printer: shown on home, said when it changes."""
        for row in rows:
            state = row["state"] + (f" — {row['problem']}" if row["problem"] else "")
            if row["queued"]:
                state += f" ({row['queued']} jobs waiting)"
            previous = self.printer_states.get(row["printer"])
            self.printer_states[row["printer"]] = state
            if previous is not None and previous != state:
                severity = "information" if row["state"] == "ready" else "warning"
                self.notify(Text(f"printer {row['printer']}: {state}"), severity=severity)
        if isinstance(self.screen, HomeScreen):
            self.screen.refresh_facts()

    def print_receipt(self, document: dict) -> None:
        if self.printing is not None:
            self._print(lambda: self.printing.receipt_on_post(document, send=False))

    def print_labels(self, serials: list[str]) -> None:
        if not serials:
            self.notify("no serials to label")
        elif self.printing is None or not self.info.printers:
            self.bell()
            self.notify("no label printer is configured", severity="warning")
        else:
            self._print(lambda: self.printing.print_labels(serials, send=False))

    def print_carton_label(self, code: str) -> None:
        if self.printing is None or not self.info.printers:
            self.bell()
            self.notify("no label printer is configured", severity="warning")
        else:
            self._print(lambda: self.printing.print_carton_label(code, send=False))

    @work(thread=True, exit_on_error=False, group="print")
    def _print(self, job: Callable[[], dict | None]) -> None:
        """Lay out and queue in a thread (a thousand labels take a while); the print
        worker sends them, so the screen never waits on a printer."""
        try:
            report = job()
        except KioskError as exc:
            self.call_from_thread(self.notify, Text(f"not printed: {exc.message}"), severity="error")
            return
        if report is not None:
            self.print_worker.wake()
            self.call_from_thread(self.notify, Text(f"{len(report['jobs'])} jobs queued for {report['printer']}"))

    def device_lines(self, kind: str) -> list[str]:
        """The state of each scanner or printer, as the home and settings screens show it."""
        if kind == "scanners":
            if not self.info.scanners:
                return ["keyboard (no scanner device configured)"]
            return [f"{name}: {self.scanner_states.get(name, 'starting')}" for name in self.info.scanners]
        if not self.info.printers:
            return ["none configured"]
        return [f"{name}: {self.printer_states.get(name, 'starting')}" for name in self.info.printers]
