"""GS1 scans (SPEC §2): GS1 only with a GS1 symbology identifier or a GS; AI 21 is the serial."""

from __future__ import annotations

import pytest

from kiosk.hardware.gs1 import Gs1Serial, parse_scan
from kiosk.model.errors import KioskError

GS = "\x1d"


@pytest.mark.parametrize(
    "scan, serial, gtin",
    [
        ("]C1010950110102091721SN0001", "SN0001", "09501101020917"),
        ("]d20109501101020917" + "17250101" + "10LOT7" + GS + "21A-1/2", "A-1/2", "09501101020917"),
        ("]Q30109501101020917" + "21XYZ" + GS + "10LOT", "XYZ", "09501101020917"),
        ("0109501101020917" + "10LOT" + GS + "21SN42", "SN42", "09501101020917"),
        (GS + "010950110102091721SN42", "SN42", "09501101020917"),  # a leading FNC1
        ("]C1" + "21ONLYSERIAL", "ONLYSERIAL", None),
        ("]C1" + "0109501101020917" + "17000000" + "21S1", "S1", "09501101020917"),  # zero dates are not ours to refuse
    ],
)
def test_gs1_scans_give_the_serial_and_gtin(scan, serial, gtin):
    assert parse_scan(scan) == Gs1Serial(serial=serial, gtin=gtin)


@pytest.mark.parametrize(
    "scan",
    ["2100012345", "0109501101020917", "SN-0001", "]C0ABC123", "https://example.com/01/09501101020917/21/X", ""],
)
def test_scans_without_gs1_identifier_or_gs_are_taken_literally(scan):
    assert parse_scan(scan) is None


@pytest.mark.parametrize("scan", ["]C10109501101020917", "]d2" + "0109501101020917" + "10LOT7", "0109501101020917" + "10LOT" + GS + "17250101"])
def test_a_gs1_code_without_ai_21_is_refused_with_that_reason(scan):
    with pytest.raises(KioskError) as err:
        parse_scan(scan)
    assert err.value.code == "invalid_serial" and "AI 21" in err.value.message and err.value.serials == [scan]


@pytest.mark.parametrize("scan", ["]Q3garbage", "abc" + GS + "def", "]C101123"])
def test_a_broken_gs1_code_is_refused(scan):
    with pytest.raises(KioskError) as err:
        parse_scan(scan)
    assert err.value.code == "invalid_serial" and "GS1" in err.value.message


def test_the_gtin_matches_item_barcodes_in_their_short_forms():
    assert parse_scan("]C1010950110102091721S").barcodes == ("09501101020917", "9501101020917")
    assert parse_scan("]C1010001234567890521S").barcodes == ("00012345678905", "0012345678905", "012345678905")
    assert parse_scan("]C1011950110102091421S").barcodes == ("19501101020914",)
