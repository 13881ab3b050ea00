"""Serial and carton labels: the layout, the picture, and the ESC/POS job.

A label is drawn as one 1-bit picture at the printer's resolution: the code as
Code128 (modules from python-barcode, each a whole number of dots, centred so the
quiet zones are at least 1 mm), its text, then the template lines (SKU, name,
optionally date and station). The image path prints that very picture as a raster,
so ``kiosk labels preview`` shows exactly what prints and the barcode is right on
every printer. ``render = "native"`` sends the printer's own CODE128 command and
text instead, only where the profile has hardware barcodes (escpos's ``barcode()``
would silently fall back to software rendering and print its ``{B`` prefix inside
the bars).
"""

from __future__ import annotations

import base64
import functools
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..config import LabelConfig, PrinterConfig
from ..model.errors import KioskError
from . import printers

DEFAULT_FONTS = ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
MAX_MODULE = 4  # dots; wider bars only make the label longer
MIN_BAR_MM = 5.0
NATIVE_HEIGHT_MM = 10.0


@dataclass
class LabelData:
    """What goes on one label; ``code`` is what the barcode carries."""

    code: str
    sku: str = ""
    name: str = ""
    date: str = ""
    station: str = ""
    count: int | None = None
    lines: list[str] = field(default_factory=list)  # template lines; empty: the config's

    def values(self) -> dict[str, str]:
        return {
            "serial": self.code, "code": self.code, "sku": self.sku, "name": self.name,
            "date": self.date, "station": self.station, "count": "" if self.count is None else str(self.count),
        }


def text_lines(data: LabelData, config: LabelConfig) -> list[str]:
    """The text under the barcode's own text, blank lines left out."""
    templates = list(data.lines or config.lines)
    if config.show_date:
        templates.append("{date}")
    if config.show_station:
        templates.append("{station}")
    values = data.values()
    return [text for text in (printers.fill(t, values, "label line").strip() for t in templates) if text]


# ---------------------------------------------------------------- geometry


def dots(mm: float, dpi: int) -> int:
    return round(mm * dpi / 25.4)


LIMITS = (  # key, check, what is allowed: a label outside these cannot be drawn or printed
    ("dpi", lambda c: 100 <= c.dpi <= 600, "100 to 600"),
    ("font_size", lambda c: 8 <= c.font_size <= 200, "8 to 200 dots"),
    ("width_mm", lambda c: c.width_dots is not None or 10 <= c.width_mm <= 120, "10 to 120"),
    ("height_mm", lambda c: c.height_dots is not None or 0 <= c.height_mm <= 300, "0 (as tall as the content) to 300"),
    ("width_dots", lambda c: c.width_dots is None or 64 <= c.width_dots <= 2400, "64 to 2400"),
    ("height_dots", lambda c: c.height_dots is None or 0 <= c.height_dots <= 4800, "0 to 4800"),
)


def label_size(config: LabelConfig, printer: PrinterConfig | None) -> tuple[int, int]:
    """Width and height in dots; never wider than the printer's printable width."""
    for key, ok, allowed in LIMITS:
        if not ok(config):
            raise KioskError("bad_config", f"label.{key} must be {allowed}; got {getattr(config, key)!r}")
    width = config.width_dots or dots(config.width_mm, config.dpi)
    limit = printers.profile_width(printer)
    if limit:
        width = min(width, limit)
    height = config.height_dots if config.height_dots is not None else dots(config.height_mm, config.dpi)
    return width, height


def code128_modules(code: str) -> str:
    """The bars and spaces of ``code`` as ``1``/``0`` modules (python-barcode picks the code sets)."""
    import barcode

    try:
        return barcode.Code128(code).build()[0]
    except Exception as exc:  # python-barcode raises its own errors for characters it cannot encode
        raise KioskError("bad_request", f"{code!r} cannot be a Code128 barcode: {exc}", [code]) from None


def module_width(modules: int, width: int, dpi: int, smallest: int = 1) -> int | None:
    """The widest whole-dot module (≥ ``smallest``) that leaves a quiet zone of ≥ 1 mm each side."""
    quiet = math.ceil(dpi / 25.4)
    return next((m for m in range(MAX_MODULE, smallest - 1, -1) if m * modules + 2 * quiet <= width), None)


# ---------------------------------------------------------------- the picture


@functools.lru_cache(maxsize=32)
def font(path: str | None, size: int):
    from PIL import ImageFont

    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError as exc:
            raise KioskError("bad_config", f"label font {path!r}: {exc}") from None
    for candidate in DEFAULT_FONTS:
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def fit_text(text: str, path: str | None, size: int, width: int, smallest: float = 0.7):
    """The font and text that fit ``width``: smaller type down to ``smallest``, then cut with an ellipsis."""
    least = max(8, int(size * smallest))
    for step in range(size, least - 1, -1):
        face = font(path, step)
        if face.getlength(text) <= width:
            return face, text
    face = font(path, least)
    while text and face.getlength(text + "…") > width:
        text = text[:-1]
    return face, text + "…"


def render(data: LabelData, config: LabelConfig, printer: PrinterConfig | None = None):
    """The label as a 1-bit PIL image (white 1, black 0), exactly as the printer prints it."""
    from PIL import Image, ImageDraw

    width, height = label_size(config, printer)
    bars = code128_modules(data.code)
    module = module_width(len(bars), width, config.dpi)
    if module is None:
        raise KioskError(
            "bad_request", f"the barcode of {data.code!r} needs more than the label's {width} dots: use wider labels",
            [data.code],
        )
    margin = dots(1.0, config.dpi)
    size = config.font_size
    lines = [fit_text(data.code, config.font, size, width - 2 * margin, smallest=0.4)]  # the code whole if at all possible
    lines += [fit_text(text, config.font, size, width - 2 * margin) for text in text_lines(data, config)]
    line_height = round(size * 1.15)
    gap = max(2, size // 6)  # between the bars and their text
    text_height = line_height * len(lines) + gap
    bar_height = max(dots(MIN_BAR_MM, config.dpi), height - 2 * margin - text_height) if height else dots(10, config.dpi)
    height = max(height, 2 * margin + bar_height + text_height)

    img = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(img)
    left = (width - module * len(bars)) // 2
    for i, bit in enumerate(bars):
        if bit == "1":
            x = left + i * module
            draw.rectangle((x, margin, x + module - 1, margin + bar_height - 1), fill=0)
    y = margin + bar_height + gap
    for face, text in lines:
        draw.text((width // 2, y + line_height // 2), text, font=face, fill=0, anchor="mm")
        y += line_height
    return img


def save_preview(img, out: str | Path, dpi: int) -> Path:
    """PNG: the label's dots. SVG: the same dots at the label's real size in mm."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise KioskError("bad_request", f"preview file {out.name!r} must end in .png or .svg")
    png = io.BytesIO()
    img.save(png, format="PNG", dpi=(dpi, dpi))
    if suffix == ".png":
        body = png.getvalue()
    else:
        w_mm, h_mm = img.width * 25.4 / dpi, img.height * 25.4 / dpi
        encoded = base64.b64encode(png.getvalue()).decode("ascii")
        body = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w_mm:.2f}mm" height="{h_mm:.2f}mm" '
            f'viewBox="0 0 {img.width} {img.height}">'
            f'<image width="{img.width}" height="{img.height}" style="image-rendering:pixelated" '
            f'href="data:image/png;base64,{encoded}"/></svg>\n'
        ).encode("ascii")
    try:
        out.write_bytes(body)
    except OSError as exc:
        raise KioskError("bad_request", f"cannot write {out}: {exc.strerror or exc}") from None
    return out


# ---------------------------------------------------------------- the job


def native_fits(data: LabelData, config: LabelConfig, printer: PrinterConfig | None) -> int | None:
    """The module width for the printer's own CODE128, or None when the image path must be used."""
    if config.render != "native" or not printers.supports_native_code128(printer):
        return None
    width, _ = label_size(config, printer)
    body = len(data.code) + data.code.count("{") + 2  # {B prefix, {{ escapes
    module = module_width(len(code128_modules(data.code)), width, config.dpi, smallest=2)  # GS w takes 2..6
    return module if body <= 255 else None


def label_job(data: LabelData, config: LabelConfig, printer: PrinterConfig | None, copies: int = 1) -> bytes:
    """The ESC/POS bytes for ``copies`` labels, each followed by a cut."""
    if copies < 1:
        raise KioskError("bad_request", f"copies must be at least 1; got {copies}")
    job = printers.JobBuilder(printer)
    module = native_fits(data, config, printer)
    picture = None if module else render(data, config, printer)
    for _ in range(copies):
        job.align("center")
        if module:
            job.code128(data.code, module, dots(NATIVE_HEIGHT_MM, config.dpi))
            for text in text_lines(data, config):
                job.line(text)
        else:
            job.image(picture)
        job.cut()
    return job.output
