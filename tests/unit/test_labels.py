"""Labels: the picture scans back to the serial, and the ESC/POS bytes carry it exactly.

Byte-level checks run on python-escpos's Dummy printer (``label_job`` builds every job
there); pictures are decoded with zxing-cpp, a real barcode reader.
"""

from __future__ import annotations

import re

import pytest
import zxingcpp
from PIL import Image

from kiosk.config import LabelConfig, PrinterConfig
from kiosk.hardware import labels, printers
from kiosk.model.errors import KioskError

CUT = (b"\x1dV\x00", b"\x1dV\x01", b"\x1dVA\x00", b"\x1dVB\x00")  # escpos's full / partial cut commands
SERIALS = ["PHN100-0001", "sn{brace}~x", "12345678901234", "a!\"#$%&'()*+-./:;<=>?@[\\]^_`|}"]
CHEAP_58MM = PrinterConfig(name="cheap", kind="file", path="/dev/null", profile="POS-5890")  # no hardware barcodes
EPSON = PrinterConfig(name="epson", kind="file", path="/dev/null", profile="TM-T88V")  # barcodeB


def decode(img) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(img.convert("L")) if r.format == zxingcpp.BarcodeFormat.Code128]


def raster_image(payload: bytes) -> Image.Image:
    """The picture a printer prints from the ``GS v 0`` bands of ``payload`` (1 = black dot)."""
    bands, at = [], 0
    while (at := payload.find(b"\x1dv0", at)) >= 0:
        width_bytes = int.from_bytes(payload[at + 4 : at + 6], "little")
        height = int.from_bytes(payload[at + 6 : at + 8], "little")
        bits = payload[at + 8 : at + 8 + width_bytes * height]
        band = Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in bits))
        bands.append(band)
        at += 8 + len(bits)
    assert bands, "no GS v 0 raster in the job"
    img = Image.new("1", (bands[0].width, sum(b.height for b in bands)), 1)
    y = 0
    for band in bands:
        img.paste(band, (0, y))
        y += band.height
    return img


def code128_commands(payload: bytes) -> list[str]:
    """The data of every native ``GS k 73`` (CODE128) command, as the printer encodes it."""
    found = []
    for match in re.finditer(rb"\x1dk\x49", payload):
        n = payload[match.end()]
        body = payload[match.end() + 1 : match.end() + 1 + n].decode("ascii")
        assert body.startswith("{B"), body
        found.append(re.sub(r"\{\{", "{", body[2:]))
    return found


def data(serial: str = "PHN100-0001", name: str = "Demo phone") -> labels.LabelData:
    return labels.LabelData(serial, sku="PHN-100", name=name, date="2026-11-26", station="dock-1")


@pytest.mark.parametrize("serial", SERIALS)
def test_the_picture_scans_back_to_the_serial(serial):
    assert decode(labels.render(data(serial), LabelConfig())) == [serial]


@pytest.mark.parametrize("serial", SERIALS)
def test_image_path_raster_is_the_preview_and_scans_back(serial):
    payload = labels.label_job(data(serial), LabelConfig(render="native"), CHEAP_58MM)  # native not possible here
    printed = raster_image(payload)
    preview = labels.render(data(serial), LabelConfig(render="native"), CHEAP_58MM)
    assert printed.crop((0, 0, preview.width, preview.height)).tobytes() == preview.tobytes()
    assert printed.width - preview.width < 8  # only the padding to whole bytes, and it is white
    assert printed.crop((preview.width, 0, printed.width, printed.height)).getextrema() in ((1, 1), (255, 255), None)
    assert decode(printed) == [serial]
    assert b"\x1dk" not in payload and b"{B" not in payload  # no hardware barcode, no software {B prefix


@pytest.mark.parametrize("serial", [*SERIALS[:3], "!\"#$%&'()*+{{"])
def test_native_path_sends_code128_with_exactly_the_serial(serial):
    payload = labels.label_job(data(serial, name="Demo phone"), LabelConfig(render="native"), EPSON)
    assert code128_commands(payload) == [serial]
    assert b"PHN-100\n" in payload and b"Demo phone\n" in payload
    assert b"\x1dv0" not in payload
    assert any(cut in payload for cut in CUT)


def test_native_path_falls_back_to_the_image_when_2_dot_bars_do_not_fit():
    payload = labels.label_job(data(SERIALS[3]), LabelConfig(render="native"), EPSON)
    assert code128_commands(payload) == [] and decode(raster_image(payload)) == [SERIALS[3]]


def test_copies_repeat_label_and_cut():
    payload = labels.label_job(data(), LabelConfig(render="native"), EPSON, copies=3)
    assert code128_commands(payload) == ["PHN100-0001"] * 3
    assert sum(payload.count(cut) for cut in CUT) == 3
    with pytest.raises(KioskError) as refused:
        labels.label_job(data(), LabelConfig(), EPSON, copies=0)
    assert refused.value.code == "bad_request"


def test_image_label_job_has_a_cut_where_the_printer_cuts():
    assert any(cut in labels.label_job(data(), LabelConfig(), EPSON) for cut in CUT)


def test_modules_are_whole_dots_and_quiet_zones_at_least_1mm():
    config = LabelConfig(width_mm=50, dpi=203)
    img = labels.render(data(), config)
    row = [img.getpixel((x, 20)) for x in range(img.width)]  # a row through the bars
    black = [x for x, v in enumerate(row) if not v]
    assert black[0] >= 8 and img.width - 1 - black[-1] >= 8  # 1 mm at 203 dpi is 8 dots
    runs, x = [], 0
    while x < len(row):
        end = x
        while end < len(row) and row[end] == row[x]:
            end += 1
        runs.append(end - x)
        x = end
    module = labels.module_width(len(labels.code128_modules("PHN100-0001")), img.width, 203)
    assert module >= 2 and all(run % module == 0 for run in runs[1:-1])


def test_label_fits_the_printer_and_the_text_lines_are_on_it():
    config = LabelConfig(width_mm=80, show_date=True, show_station=True)
    assert labels.render(data(), config, CHEAP_58MM).width == 384  # the POS-5890's printable width
    assert labels.text_lines(data(), config) == ["PHN-100", "Demo phone", "2026-11-26", "dock-1"]
    assert labels.text_lines(data(), LabelConfig()) == ["PHN-100", "Demo phone"]


def test_a_serial_too_long_for_the_label_is_refused():
    with pytest.raises(KioskError) as refused:
        labels.render(data("X" * 100), LabelConfig(width_mm=30))
    assert refused.value.code == "bad_request" and refused.value.serials == ["X" * 100]


@pytest.mark.parametrize("line", ["{nope}", "{name.__class__}", "{name!r}", "{name:>40}", "{"])
def test_template_lines_allow_only_plain_known_fields(line):
    with pytest.raises(KioskError) as refused:
        labels.text_lines(data(), LabelConfig(lines=[line]))
    assert refused.value.code == "bad_config" and line in refused.value.message


def test_previews_are_png_or_svg_of_the_same_dots(tmp_path):
    img = labels.render(data(), LabelConfig())
    png = labels.save_preview(img, tmp_path / "label.png", 203)
    assert decode(Image.open(png)) == ["PHN100-0001"]
    svg = labels.save_preview(img, tmp_path / "label.svg", 203).read_text()
    assert svg.startswith("<svg") and 'width="50.05mm"' in svg and "data:image/png;base64," in svg
    with pytest.raises(KioskError) as refused:
        labels.save_preview(img, tmp_path / "label.jpg", 203)
    assert refused.value.code == "bad_request"


def test_long_names_shrink_then_end_in_an_ellipsis():
    face, text = labels.fit_text("Demo phone with a very long name indeed, more than fits", None, 24, 300)
    assert text.endswith("…") and face.getlength(text) <= 300
    assert printers.fill("{name}", {"name": "x"}, "label line") == "x"


def test_the_code_under_the_bars_is_shrunk_before_it_is_ever_cut():
    code = "ABCDEFGHIJ-KLMNOPQRST-UVWXY"
    face, text = labels.fit_text(code, None, 24, 250, smallest=0.4)
    assert text == code and face.getlength(text) <= 250
    assert labels.fit_text(code, None, 24, 250)[1].endswith("…")  # other lines are cut at 70 %


@pytest.mark.parametrize(
    ("key", "value"), [("dpi", 0), ("font_size", -3), ("width_mm", 0.0), ("height_mm", -1.0), ("width_dots", 5)]
)
def test_label_sizes_out_of_range_are_bad_config(key, value):
    with pytest.raises(KioskError) as refused:
        labels.render(data(), LabelConfig(**{key: value}))
    assert refused.value.code == "bad_config" and f"label.{key}" in refused.value.message
