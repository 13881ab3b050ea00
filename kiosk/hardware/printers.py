"""ESC/POS printers: profiles, the job builder (exact bytes) and the transports.

python-escpos is imported here once and quietly. Its import calls
``logging.basicConfig()`` (a stderr handler on the root logger, which would scribble
over the full-screen station), makes a temporary directory (even when
``ESCPOS_CAPABILITIES_PICKLE_DIR`` is set), and several of its methods ``print()``.
So we point the pickle directory at our cache, keep the root logger untouched, and
use escpos only for what never prints: profiles (capabilities), the ``Dummy``
buffer and ``cut``. Text, code pages, CODE128 and raster images are written here as
plain ESC/POS commands, so every byte of a job is known and testable.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import select
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

from ..config import PrinterConfig
from ..model.errors import KioskError

ESC, GS, DLE = b"\x1b", b"\x1d", b"\x10"
INIT = ESC + b"@"
CODE_PAGE = ESC + b"t"  # ESC t n: select character code table n
ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01", "right": ESC + b"a\x02"}
CODE128 = GS + b"k\x49"  # GS k m=73 n d1..dn: CODE128, function B
RASTER = GS + b"v0\x00"  # GS v 0 m=0: raster bit image, normal density
STATUS_PRINTER, STATUS_OFFLINE, STATUS_PAPER = DLE + b"\x04\x01", DLE + b"\x04\x02", DLE + b"\x04\x04"
RASTER_BAND = 255  # rows per GS v 0: cheap printers garble taller images
DEFAULT_COLUMNS = 42


def _pickle_dir() -> str:
    """python-escpos caches its capabilities here instead of a new temp dir per import."""
    try:
        from platformdirs import user_cache_path

        path = user_cache_path("kiosk") / "escpos"
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        path = Path(tempfile.gettempdir()) / "kiosk-escpos"
        path.mkdir(parents=True, exist_ok=True)
    return str(path)


@contextlib.contextmanager
def quiet_logging() -> Iterator[None]:
    """Let escpos code run without ``logging.basicConfig()`` adding a stderr handler.

    ``basicConfig`` (also reached through ``logging.error()``) does nothing while the
    root logger has a handler, so a NullHandler holds the place and leaves after.
    """
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)
    try:
        yield
    finally:
        root.removeHandler(guard)


@contextlib.contextmanager
def _no_temp_dir() -> Iterator[None]:
    """escpos evaluates ``environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR", mkdtemp())``: the
    default is made even when the variable is set, one stray directory per process."""
    make = tempfile.mkdtemp
    tempfile.mkdtemp = lambda *args, **kwargs: os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"]
    try:
        yield
    finally:
        tempfile.mkdtemp = make


if "escpos.capabilities" not in sys.modules:
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", _pickle_dir())
    with contextlib.suppress(OSError):  # escpos fails to import when the directory is missing
        Path(os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"]).mkdir(parents=True, exist_ok=True)
with quiet_logging(), contextlib.redirect_stdout(io.StringIO()), _no_temp_dir():
    from escpos import capabilities
    from escpos.printer import Dummy


class PrinterUnavailable(Exception):
    """The printer cannot take a job now (off, unreachable, out of paper): keep it queued."""


# ---------------------------------------------------------------- profiles


def profile(name: str | None):
    """The escpos capability profile; an unknown name is ``bad_config`` listing the known ones."""
    try:
        return capabilities.get_profile(name or "default")
    except KeyError:
        known = ", ".join(sorted(capabilities.CAPABILITIES["profiles"]))
        raise KioskError("bad_config", f"unknown printer profile {name!r}; known profiles: {known}") from None


def profile_width(printer: PrinterConfig | None) -> int | None:
    """Printable width in dots: the config's, else the profile's, else unknown."""
    if printer is None:
        return None
    if printer.width_dots:
        return printer.width_dots
    pixels = profile(printer.profile).profile_data.get("media", {}).get("width", {}).get("pixels")
    return pixels if isinstance(pixels, int) else None


def columns(printer: PrinterConfig | None) -> int:
    """Characters per line in font A, for receipts."""
    if printer is None:
        return DEFAULT_COLUMNS
    if printer.columns:
        return printer.columns
    fonts = profile(printer.profile).profile_data.get("fonts", {})
    found = fonts.get("0", {}).get("columns")
    return found if isinstance(found, int) else DEFAULT_COLUMNS


def supports_native_code128(printer: PrinterConfig | None) -> bool:
    return printer is not None and bool(profile(printer.profile).supports("barcodeB"))


# ---------------------------------------------------------------- code pages


def _codec(name: str) -> str | None:
    import codecs

    try:
        return codecs.lookup(name.lower()).name
    except LookupError:
        return None


class Encoder:
    """Unicode text → bytes in the printer's code pages, switching with ``ESC t n``.

    A character no code page of the profile holds becomes a visible ``?``; control
    characters are data, never commands, so they become ``?`` too. (escpos's own
    encoder sends any string with a CJK character as raw GB18030 with no code page
    command, which prints garbage on most printers.)
    """

    def __init__(self, printer: PrinterConfig | None):
        pages = profile(printer.profile if printer else None).get_code_pages()
        usable = {name: int(index) for name, index in pages.items() if _codec(name)}
        preferred = (printer.codepage or "").upper() if printer else ""
        if preferred and preferred not in usable:
            raise KioskError(
                "bad_config", f"printer {printer.name!r}: code page {printer.codepage!r} is not in its profile "
                f"(usable: {', '.join(sorted(usable))})",
            )
        order = [preferred] if preferred else []
        order += [name for name in ("CP437", "CP858", "CP850", "CP1252") if name in usable and name not in order]
        order += [name for name in sorted(usable, key=usable.get) if name not in order]
        self.pages = [(name, usable[name], _codec(name)) for name in order]
        self.current: str | None = None

    def encode(self, text: str) -> bytes:
        out = bytearray()
        if self.current is None and self.pages:
            out += self._switch(self.pages[0])
        for ch in unicodedata.normalize("NFC", text):
            if " " <= ch <= "~":
                out += ch.encode("ascii")
            elif ch == "\n":
                out += b"\n"
            else:
                out += self._char(ch)
        return bytes(out)

    def _char(self, ch: str) -> bytes:
        if unicodedata.category(ch)[0] == "C":
            return b"?"
        pages = sorted(self.pages, key=lambda page: page[0] != self.current)  # stay in the current page if it can
        for page in pages:
            try:
                encoded = ch.encode(page[2])
            except UnicodeEncodeError:
                continue
            if len(encoded) == 1:  # a table is 256 single bytes (profiles call table 1 "CP932", not Shift-JIS)
                return self._switch(page) + encoded
        return b"?"

    def _switch(self, page: tuple[str, int, str | None]) -> bytes:
        if page[0] == self.current:
            return b""
        self.current = page[0]
        return CODE_PAGE + bytes([page[1]])


# ---------------------------------------------------------------- templates


def fill(template: str, values: dict[str, str], where: str) -> str:
    """``template`` with its ``{field}``s filled from ``values``.

    Only plain known fields are allowed (no ``{name.attr}``, ``{x[0]}``, conversions or
    format specs), so a template can never reach into objects; anything else is
    ``bad_config`` naming the line.
    """
    try:
        for _, name, spec, conversion in string.Formatter().parse(template):
            if name is not None and (name not in values or conversion or spec):
                known = ", ".join(f"{{{k}}}" for k in values)
                raise KioskError("bad_config", f"{where} {template!r}: unknown field {{{name}}} (known: {known})")
    except ValueError as exc:
        raise KioskError("bad_config", f"{where} {template!r}: {exc}") from None
    return template.format_map(values)


# ---------------------------------------------------------------- building a job


class JobBuilder:
    """One print job as exact ESC/POS bytes, collected in escpos's ``Dummy`` printer."""

    def __init__(self, printer: PrinterConfig | None):
        self.printer = printer
        name = printer.profile if printer else None
        profile(name)  # an unknown name is bad_config, not escpos's KeyError
        self.dummy = Dummy(profile=name or "default")
        self.encoder = Encoder(printer)
        self.modes = {"align": ALIGN["left"], "size": GS + b"!\x00"}
        self.raw(INIT)

    def raw(self, data: bytes) -> None:
        self.dummy._raw(data)

    def align(self, how: str) -> None:
        self._set("align", ALIGN[how])

    def size(self, double: bool) -> None:
        self._set("size", GS + b"!" + (b"\x11" if double else b"\x00"))

    def _set(self, what: str, command: bytes) -> None:
        """Send a mode command only when it changes the mode (after INIT: left, normal size)."""
        if self.modes.get(what) != command:
            self.modes[what] = command
            self.raw(command)

    def line(self, text: str = "") -> None:
        self.raw(self.encoder.encode(text.replace("\n", " ")) + b"\n")

    def code128(self, data: str, module: int, height: int) -> None:
        """The printer's own CODE128 (set B), with the text printed below it.

        ``{`` starts a code-set or function escape inside CODE128 data, so a ``{`` in
        the serial is sent as ``{{``; the printer then encodes exactly ``data``.
        """
        body = b"{B" + data.replace("{", "{{").encode("ascii")
        if len(body) > 255:
            raise KioskError("bad_request", f"{data!r} is too long for the printer's CODE128", [data])
        self.raw(GS + b"h" + bytes([max(1, min(height, 255))]))
        self.raw(GS + b"w" + bytes([max(2, min(module, 6))]))
        self.raw(GS + b"H\x02" + GS + b"f\x00")  # text below the bars, font A
        self.raw(CODE128 + bytes([len(body)]) + body)
        self.raw(b"\n")

    def image(self, img) -> None:
        """A 1-bit PIL image as ``GS v 0`` raster bands (1 = black dot)."""
        from PIL import Image

        img = img.convert("1")
        padded_width = (img.width + 7) // 8 * 8
        if padded_width != img.width:  # the padding must be white, not packed 0 bits (black)
            canvas = Image.new("1", (padded_width, img.height), 1)
            canvas.paste(img, (0, 0))
            img = canvas
        width_bytes = padded_width // 8
        for top in range(0, img.height, RASTER_BAND):
            band = img.crop((0, top, padded_width, min(top + RASTER_BAND, img.height)))
            bits = bytes(b ^ 0xFF for b in band.tobytes())
            self.raw(RASTER + width_bytes.to_bytes(2, "little") + band.height.to_bytes(2, "little") + bits)

    def cut(self) -> None:
        """Feed past the tear bar and cut, where the profile has a cutter."""
        self.dummy.cut()

    @property
    def output(self) -> bytes:
        return self.dummy.output


# ---------------------------------------------------------------- printer state


@dataclass
class PrinterState:
    """What the printer answered to DLE EOT; ``None`` where it did not answer."""

    online: bool | None = None
    paper: str | None = None  # ok | near_end | out
    cover_open: bool | None = None

    @property
    def problem(self) -> str | None:
        """Why a job cannot be sent now, or None."""
        if self.paper == "out":
            return "out of paper"
        if self.cover_open:
            return "cover open"
        if self.online is False:
            return "offline"
        return None


def _status_byte(answer: bytes | None) -> int | None:
    """A real status byte has bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0."""
    if not answer:
        return None
    byte = answer[-1]
    return byte if byte & 0x93 == 0x12 else None


def query_state(transport: "Transport", wait: float) -> PrinterState:
    state = PrinterState()
    printer = _status_byte(transport.query(STATUS_PRINTER, wait))
    if printer is None:
        return state
    state.online = not printer & 0x08
    if not state.online:
        cause = _status_byte(transport.query(STATUS_OFFLINE, wait))
        if cause is not None:
            state.cover_open = bool(cause & 0x04)
            state.paper = "out" if cause & 0x20 else None
    paper = _status_byte(transport.query(STATUS_PAPER, wait))
    if paper is not None:
        state.paper = "out" if paper & 0x60 else "near_end" if paper & 0x0C else state.paper or "ok"
    return state


# ---------------------------------------------------------------- transports


class Transport(Protocol):
    def open(self) -> None: ...
    def write(self, data: bytes, title: str = "") -> None: ...
    def query(self, request: bytes, wait: float) -> bytes | None: ...
    def close(self) -> None: ...


class NetworkTransport:
    """Raw TCP (port 9100, "JetDirect"): the job bytes as they are."""

    def __init__(self, config: PrinterConfig):
        self.address = (config.host, config.port)
        self.timeout = config.timeout
        self.sock: socket.socket | None = None

    def open(self) -> None:
        try:
            self.sock = socket.create_connection(self.address, timeout=self.timeout)
        except OSError as exc:
            raise PrinterUnavailable(f"cannot reach {self.address[0]}:{self.address[1]}: {_reason(exc)}") from None

    def write(self, data: bytes, title: str = "") -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise PrinterUnavailable(f"sending to {self.address[0]}:{self.address[1]} failed: {_reason(exc)}") from None

    def query(self, request: bytes, wait: float) -> bytes | None:
        try:
            self.sock.sendall(request)
            ready, _, _ = select.select([self.sock], [], [], wait)
            return self.sock.recv(1) if ready else None
        except OSError:
            return None

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_WR)
            self.sock.close()
            self.sock = None


class FileTransport:
    """Raw ESC/POS bytes appended to a file (or a device node such as /dev/usb/lp0)."""

    def __init__(self, config: PrinterConfig):
        self.path = Path(config.path).expanduser()
        self.file = None

    def open(self) -> None:
        try:
            self.file = open(self.path, "ab")
        except OSError as exc:
            raise PrinterUnavailable(f"cannot open {self.path}: {_reason(exc)}") from None

    def write(self, data: bytes, title: str = "") -> None:
        try:
            self.file.write(data)
            self.file.flush()
        except OSError as exc:
            raise PrinterUnavailable(f"writing {self.path} failed: {_reason(exc)}") from None

    def query(self, request: bytes, wait: float) -> bytes | None:
        return None

    def close(self) -> None:
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.close()
            self.file = None


class SerialTransport:
    """A serial port (RS-232 or USB-serial) set raw at ``baudrate`` with termios."""

    def __init__(self, config: PrinterConfig):
        self.device = config.device
        self.baudrate = config.baudrate
        self.timeout = config.timeout
        self.fd: int | None = None

    def open(self) -> None:
        import termios

        speed = getattr(termios, f"B{self.baudrate}")  # check() refused other speeds
        try:
            self.fd = os.open(self.device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            attrs = termios.tcgetattr(self.fd)
            attrs[0] = termios.IXON  # iflag: XON/XOFF flow control, no translation
            attrs[1] = 0  # oflag: raw
            attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
            attrs[3] = 0  # lflag: no echo, no canonical mode
            attrs[4] = attrs[5] = speed
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        except (OSError, termios.error) as exc:
            self.close()
            raise PrinterUnavailable(f"cannot open {self.device}: {_reason(exc)}") from None

    def write(self, data: bytes, title: str = "") -> None:
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [self.fd], [], self.timeout)
            if not ready:
                raise PrinterUnavailable(f"{self.device}: the printer took nothing for {self.timeout} s")
            try:
                view = view[os.write(self.fd, view):]
            except BlockingIOError:
                continue
            except OSError as exc:
                raise PrinterUnavailable(f"writing {self.device} failed: {_reason(exc)}") from None

    def query(self, request: bytes, wait: float) -> bytes | None:
        try:
            os.write(self.fd, request)
            ready, _, _ = select.select([self.fd], [], [], wait)
            return os.read(self.fd, 1) if ready else None
        except OSError:
            return None

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


class CupsTransport:
    """A raw job to a CUPS queue through ``lp -o raw``, one ``lp`` call per job."""

    def __init__(self, config: PrinterConfig):
        self.queue = config.queue
        self.timeout = config.timeout

    def open(self) -> None:
        if shutil.which("lp") is None:
            raise PrinterUnavailable("the lp command is missing (install cups-client)")

    def write(self, data: bytes, title: str = "") -> None:
        command = ["lp", "-d", self.queue, "-o", "raw", "-t", title or "kiosk", "-s", "-"]
        try:
            done = subprocess.run(command, input=data, capture_output=True, timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrinterUnavailable(f"lp -d {self.queue} failed: {_reason(exc)}") from None
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise PrinterUnavailable(f"lp -d {self.queue}: {message[0] if message else f'exit status {done.returncode}'}")

    def query(self, request: bytes, wait: float) -> bytes | None:
        return None

    def close(self) -> None:
        pass


class UsbTransport:
    """A USB printer through pyusb (escpos's ``Usb``), every transfer with the timeout."""

    def __init__(self, config: PrinterConfig):
        self.config = config
        self.device = None

    def escpos_device(self):
        """escpos's ``Usb`` for this printer, not yet opened (pyusb timeouts are in ms)."""
        from escpos.printer import Usb

        return Usb(
            self.config.vendor_id, self.config.product_id, timeout=self.config.timeout * 1000,
            in_ep=self.config.in_ep, out_ep=self.config.out_ep, profile=self.config.profile or "default",
        )

    def open(self) -> None:
        with quiet_logging():
            from escpos.printer import Usb

            if not Usb.is_usable():
                raise PrinterUnavailable("USB printers need pyusb: pip install pyusb")
            device = self.escpos_device()
            try:
                device.open()
            except Exception as exc:  # pyusb and escpos raise many kinds: all mean "not now"
                raise PrinterUnavailable(
                    f"USB printer {self.config.vendor_id:04x}:{self.config.product_id:04x}: {_reason(exc)}"
                ) from None
        self.device = device

    def write(self, data: bytes, title: str = "") -> None:
        try:
            with quiet_logging():
                self.device._raw(data)
        except Exception as exc:  # a timeout or an unplugged printer
            raise PrinterUnavailable(f"USB write failed: {_reason(exc)}") from None

    def query(self, request: bytes, wait: float) -> bytes | None:
        try:
            with quiet_logging():
                self.device._raw(request)
                return bytes(self.device._read())
        except Exception:
            return None

    def close(self) -> None:
        if self.device is not None:
            with quiet_logging(), contextlib.suppress(Exception):
                self.device.close()
            self.device = None


TRANSPORTS = {
    "network": (NetworkTransport, ("host",)),
    "file": (FileTransport, ("path",)),
    "serial": (SerialTransport, ("device",)),
    "cups": (CupsTransport, ("queue",)),
    "usb": (UsbTransport, ("vendor_id", "product_id")),
}


def check(config: PrinterConfig) -> PrinterConfig:
    """The keys its kind needs are there and the profile is known; else ``bad_config``."""
    _, needed = TRANSPORTS[config.kind]
    missing = [key for key in needed if getattr(config, key) in (None, "")]
    if missing:
        raise KioskError("bad_config", f"printer {config.name!r} ({config.kind}) needs {' and '.join(missing)}")
    import termios

    limits = [
        ("port", 1 <= config.port <= 65535, "1 to 65535"),
        ("timeout", config.timeout > 0, "more than 0 seconds"),
        ("baudrate", hasattr(termios, f"B{config.baudrate}"), "a serial speed such as 9600, 19200, 38400, 115200"),
        ("columns", config.columns is None or 16 <= config.columns <= 96, "16 to 96"),
        ("width_dots", config.width_dots is None or 64 <= config.width_dots <= 2400, "64 to 2400"),
    ]
    for key, ok, allowed in limits:
        if not ok:
            raise KioskError("bad_config", f"printer {config.name!r}: {key} must be {allowed}; got {getattr(config, key)!r}")
    profile(config.profile)
    return config


def transport_for(config: PrinterConfig) -> Transport:
    cls, _ = TRANSPORTS[check(config).kind]
    return cls(config)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# ---------------------------------------------------------------- choosing a printer


def choose(printers: list[PrinterConfig], role: str, name: str | None = None) -> PrinterConfig:
    """``--printer NAME``, else the first printer whose role fits.

    An unknown NAME is ``bad_request`` (the command line was wrong); no printer for
    the role is ``bad_config`` (the station's config lacks one).
    """
    if name is not None:
        for printer in printers:
            if printer.name == name:
                return check(printer)
        known = ", ".join(p.name for p in printers) or "none configured"
        raise KioskError("bad_request", f"no printer named {name!r} (printers: {known})")
    for printer in printers:
        if printer.role in (role, "both"):
            return check(printer)
    raise KioskError(
        "bad_config", f"no printer for {role} in the config: add a [[printers]] table with role = \"{role}\" or \"both\""
    )


def find(printers: list[PrinterConfig], role: str, name: str | None = None) -> PrinterConfig | None:
    """Like ``choose`` but None when the station simply has no printer for the role."""
    try:
        return choose(printers, role, name)
    except KioskError as exc:
        if exc.code == "bad_config" and not any(p.role in (role, "both") for p in printers):
            return None
        raise
