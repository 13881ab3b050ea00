"""The station's TOML configuration, read with ``tomllib`` and validated strictly.

Every key is declared here (``config/station.example.toml`` documents each one); an
unknown key, a wrong type or a bad value is ``bad_config`` naming the key and its
line, so a typo in the file is found at start-up instead of silently ignored.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from .model.errors import KioskError

MODES = ("receiving", "checkout", "stocktake", "transfer", "search", "documents", "items", "settings")
LAYOUTS = ("us", "de", "fr", "uk")
PRINTER_KINDS = ("network", "usb", "serial", "file", "cups")
PRINTER_ROLES = ("labels", "receipts", "both")


@dataclass
class StationConfig:
    name: str = field(default_factory=socket.gethostname)
    mode: str | None = None  # lock the station to one mode
    warehouse: str = "MAIN"


@dataclass
class DatabaseConfig:
    url: str | None = None


@dataclass
class ScannerConfig:
    name: str = "scanner"
    match: str = ""  # /dev/input/by-id glob, device name, or vendor:product (hex)
    layout: str = "us"
    grab: bool = True
    terminators: list[str] = field(default_factory=lambda: ["KEY_ENTER", "KEY_KPENTER"])
    timeout_ms: int = 200  # a half scan older than this is dropped
    mode: str | None = None  # scans from this scanner go to this mode


@dataclass
class PrinterConfig:
    name: str = "printer"
    kind: str = "network"
    role: str = "both"
    profile: str | None = None
    host: str | None = None
    port: int = 9100
    path: str | None = None
    vendor_id: int | None = None
    product_id: int | None = None
    in_ep: int = 0x82  # USB endpoints; some printers use 0x81 / 0x03 (see `lsusb -v`)
    out_ep: int = 0x01
    timeout: int = 5
    device: str | None = None
    baudrate: int = 9600
    queue: str | None = None
    codepage: str | None = None  # preferred ESC/POS code page, e.g. CP858; others from the profile as needed
    columns: int | None = None  # receipt characters per line (default: the profile's font A, else 42)
    width_dots: int | None = None  # printable width (default: the profile's, else unlimited)
    query_status: bool = True  # ask online/paper state (DLE EOT) before sending, where the printer answers


@dataclass
class LabelConfig:
    symbology: str = "code128"
    width_mm: float = 50.0
    height_mm: float = 30.0  # 0: as tall as the content (continuous roll)
    width_dots: int | None = None  # overrides width_mm
    height_dots: int | None = None  # overrides height_mm
    dpi: int = 203
    font_size: int = 24  # dots
    font: str | None = None  # a TrueType file; default DejaVu Sans, else Pillow's own font
    lines: list[str] = field(default_factory=lambda: ["{sku}", "{name}"])
    show_date: bool = False
    show_station: bool = False
    render: str = "image"  # image: the whole label as a raster (exactly the preview); native: printer's CODE128 and fonts


@dataclass
class ReceiptConfig:
    template: str = "receipt.txt"  # relative to the config file's folder, then to the kiosk config/ folder
    on_post: bool = True  # print sales, purchases and returns when they are posted


@dataclass
class Config:
    station: StationConfig = field(default_factory=StationConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    scanners: list[ScannerConfig] = field(default_factory=list)
    printers: list[PrinterConfig] = field(default_factory=list)
    label: LabelConfig = field(default_factory=LabelConfig)
    receipt: ReceiptConfig = field(default_factory=ReceiptConfig)
    path: Path | None = None


CHOICES = {
    ("station", "mode"): MODES,
    ("scanners", "layout"): LAYOUTS,
    ("scanners", "mode"): MODES,
    ("printers", "kind"): PRINTER_KINDS,
    ("printers", "role"): PRINTER_ROLES,
    ("label", "symbology"): ("code128",),
    ("label", "render"): ("image", "native"),
}


def default_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("kiosk") / "station.toml"


def load(path: str | os.PathLike | None = None) -> Config:
    """Read ``path`` (or ``$KIOSK_CONFIG``, or the user's config file if it exists)."""
    explicit = path or os.environ.get("KIOSK_CONFIG")
    target = Path(explicit) if explicit else default_path()
    if not target.exists():
        if explicit:
            raise KioskError("bad_config", f"config file {target} does not exist")
        return Config()
    try:
        text = target.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise KioskError("bad_config", f"cannot read config file {target}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise KioskError("bad_config", f"{target}: {exc}") from None
    config = parse(data, text, str(target))
    config.path = target
    return config


def parse(data: dict, text: str = "", source: str = "config") -> Config:
    config = _build(Config, data, [], text, source)
    names = [p.name for p in config.printers]
    if len(set(names)) != len(names):
        raise _error(source, text, ["printers", "name"], "each printer needs its own name")
    return config


def _line_of(text: str, where: list) -> int | None:
    """The line of ``where`` (e.g. ``["scanners", 1, "layout"]``): the key inside its own
    table, the second ``[[scanners]]`` for index 1, else the first mention of the key."""
    lines = text.splitlines()
    key = next((w for w in reversed(where) if isinstance(w, str)), "")
    start, end = 0, len(lines)
    if len(where) > 1:
        index = where[1] if isinstance(where[1], int) else 0
        brackets = r"\[\[" if isinstance(where[1], int) else r"\["
        header = re.compile(rf"^\s*{brackets}\s*{re.escape(where[0])}\s*\]")
        hits = [n for n, line in enumerate(lines) if header.match(line)]
        if index < len(hits):
            start = hits[index]
            end = next((n for n in range(start + 1, len(lines)) if re.match(r"^\s*\[", lines[n])), len(lines))
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=|^\s*\[+\s*{re.escape(key)}\s*\]+")
    found = next((n for n in range(start, end) if pattern.match(lines[n])), None)
    if found is None and (start, end) != (0, len(lines)):
        found = start  # the key is not written out in its table: name the table
    return None if found is None else found + 1


def _error(source: str, text: str, where: list, message: str) -> KioskError:
    key = "".join(f" (entry {w + 1})" if isinstance(w, int) else f".{w}" for w in where).lstrip(".")
    line = _line_of(text, where) if where else None
    at = f", line {line}" if line else ""
    return KioskError("bad_config", f"{source}{at}: {key}: {message}")


def _build(cls: type, data: Any, where: list[str], text: str, source: str):
    if not isinstance(data, dict):
        raise _error(source, text, where, "must be a table")
    hints = get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if not (cls is Config and f.name == "path")}  # Config.path: where it was read
    for key in data:
        if key not in known:
            raise _error(source, text, [*where, key], f"unknown key (known: {', '.join(sorted(known))})")
    values = {}
    for key, value in data.items():
        values[key] = _value(hints[key], value, [*where, key], text, source)
        choices = CHOICES.get((where[0] if where else "", key))
        if choices and values[key] is not None and values[key] not in choices:
            raise _error(source, text, [*where, key], f"must be one of {', '.join(choices)}; got {value!r}")
    return cls(**values)


def _value(hint: Any, value: Any, where: list[str], text: str, source: str):
    origin = get_origin(hint)
    args = get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where, text, source)
    if origin is list:
        if not isinstance(value, list):
            raise _error(source, text, where, "must be a list")
        indexed = dataclasses.is_dataclass(args[0])  # [[tables]]: say which entry
        return [_value(args[0], v, [*where, i] if indexed else where, text, source) for i, v in enumerate(value)]
    if args and type(None) in args:  # Optional[X]
        inner = next(a for a in args if a is not type(None))
        return _value(inner, value, where, text, source)
    expected = {str: str, int: int, bool: bool, float: (int, float)}[hint]
    if isinstance(value, bool) and hint is not bool or not isinstance(value, expected):
        raise _error(source, text, where, f"must be {hint.__name__}; got {value!r}")
    return float(value) if hint is float else value
