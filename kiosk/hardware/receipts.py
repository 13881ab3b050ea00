"""Receipts for sales, purchases and returns: each line with its serials.

The layout comes from a text template (``config/receipt.txt`` documents its small
syntax) so a shop can change it without code. A receipt is laid out once as
``ReceiptLine``s at the printer's width in characters; the ESC/POS job prints them as
text in the printer's code pages (escpos profile), and the preview draws the same
lines in a monospaced font.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..config import Config, PrinterConfig
from ..model.errors import KioskError
from . import printers

RECEIPT_TYPES = ("sale", "purchase", "sale_return", "purchase_return")
TITLES = {"sale": "SALE", "purchase": "PURCHASE", "sale_return": "SALES RETURN", "purchase_return": "PURCHASE RETURN"}
SECTIONS = ("header", "line", "serial", "footer")
SAMPLE = {
    "header": ("title", "number", "type", "status", "posted_at", "warehouse", "to_warehouse", "partner",
               "station", "operator", "line_count", "serial_count"),
    "line": ("n", "sku", "name", "qty", "unit", "serial_count"),
    "serial": ("n", "serial"),
}
SAMPLE["footer"] = SAMPLE["header"]
REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


@dataclass
class ReceiptLine:
    text: str
    center: bool = False
    large: bool = False


@dataclass
class Template:
    sections: dict[str, list[str]]

    @classmethod
    def parse(cls, text: str, source: str = "receipt template") -> "Template":
        sections: dict[str, list[str]] = {name: [] for name in SECTIONS}
        current = None
        for raw in text.splitlines():
            line = raw.rstrip()
            if line.startswith("#") or (current is None and not line):
                continue
            if line.startswith("[") and line.endswith("]"):
                current = line[1:-1].strip()
                if current not in sections:
                    raise KioskError("bad_config", f"{source}: unknown section [{current}] (known: {', '.join(SECTIONS)})")
                continue
            if current is None:
                raise KioskError("bad_config", f"{source}: {line!r} comes before any [section]")
            sections[current].append(line)
        for name, lines in sections.items():  # a typo in a field is found now, not at the first sale
            for line in lines:
                printers.fill(line, dict.fromkeys(SAMPLE[name], "x"), f"{source} [{name}]")
        return cls(sections)

    @classmethod
    def load(cls, config: Config) -> "Template":
        """``[receipt] template``: absolute, else beside the config file, else in kiosk's config/ folder."""
        name = Path(config.receipt.template).expanduser()
        places = [name] if name.is_absolute() else [
            *([config.path.parent / name] if config.path else []), REPO_CONFIG / name,
        ]
        for place in places:
            if place.is_file():
                try:
                    return cls.parse(place.read_text(encoding="utf-8"), str(place))
                except (OSError, UnicodeDecodeError) as exc:
                    raise KioskError("bad_config", f"cannot read receipt template {place}: {exc}") from None
        raise KioskError("bad_config", f"receipt template {str(name)!r} not found (looked in {', '.join(map(str, places))})")


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _text(value) -> str:
    return "" if value is None else str(value)


def layout(doc: dict, template: Template, width: int, name_of: Callable[[str], str]) -> list[ReceiptLine]:
    """The receipt as lines of at most ``width`` characters (double-size lines: half)."""
    serial_count = sum(len(line.get("serials", [])) for line in doc["lines"])
    head = {key: _text(doc.get(key)) for key in SAMPLE["header"]}
    head.update(
        title=TITLES.get(doc["type"], doc["type"].replace("_", " ").upper()),
        posted_at=_when(doc.get("posted_at")), line_count=str(len(doc["lines"])), serial_count=str(serial_count),
    )
    out: list[ReceiptLine] = []
    _section(out, template, "header", head, width)
    for n, line in enumerate(doc["lines"], 1):
        serials = line.get("serials", [])
        values = {
            "n": str(n), "sku": line["sku"], "name": name_of(line["sku"]), "qty": _text(line["qty"]),
            "unit": _text(line.get("unit")), "serial_count": str(len(serials)),
        }
        _section(out, template, "line", values, width)
        for i, serial in enumerate(serials, 1):
            _section(out, template, "serial", {"n": str(i), "serial": serial}, width)
    _section(out, template, "footer", head, width)
    return out


def _section(out: list[ReceiptLine], template: Template, name: str, values: dict[str, str], width: int) -> None:
    for line in template.sections[name]:
        style = line[: len(line) - len(line.lstrip("^!"))]
        body = line[len(style):]
        center, large = "^" in style, "!" in style
        room = width // 2 if large else width
        if body.strip() == "---":
            out.append(ReceiptLine("-" * room))
            continue
        left, _, right = body.partition("|")
        fields = [f for part in (left, right) for f in values if "{" + f + "}" in part]
        left = printers.fill(left, values, f"receipt [{name}]")
        right = printers.fill(right, values, f"receipt [{name}]")
        if fields and not any(values[f] for f in fields):
            continue  # e.g. "Partner|{partner}" on a document without a partner
        if right and len(left) + 1 + len(right) <= room:
            out.append(ReceiptLine(left + " " * (room - len(left) - len(right)) + right, center, large))
            continue
        for part in (left, right.rjust(room)) if right else (left,):
            indent = part[: len(part) - len(part.lstrip())]
            for wrapped in textwrap.wrap(part, room, initial_indent="", subsequent_indent=indent) or [""]:
                out.append(ReceiptLine(wrapped.strip() if center else wrapped.rstrip(), center, large))


def receipt_job(lines: list[ReceiptLine], printer: PrinterConfig) -> bytes:
    job = printers.JobBuilder(printer)
    for line in lines:
        job.align("center" if line.center else "left")
        job.size(line.large)
        job.line(line.text)
    job.size(False)
    job.align("left")
    job.cut()
    return job.output


def render(lines: list[ReceiptLine], width: int, size: int = 22):
    """A picture of the receipt (monospaced, like the printer's font A) for previews."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        face = ImageFont.truetype("DejaVuSansMono.ttf", size)
        large = ImageFont.truetype("DejaVuSansMono.ttf", size * 2)
    except OSError:
        face, large = ImageFont.load_default(size), ImageFont.load_default(size * 2)
    cell = face.getlength("M")
    margin = int(cell)
    height = sum(size * (2 if line.large else 1) + 4 for line in lines) + 2 * margin
    img = Image.new("L", (int(cell * width) + 2 * margin, height), 255)
    draw = ImageDraw.Draw(img)
    y = margin
    for line in lines:
        font = large if line.large else face
        x = (img.width - font.getlength(line.text)) / 2 if line.center else margin
        draw.text((x, y), line.text, font=font, fill=0)
        y += size * (2 if line.large else 1) + 4
    return img
