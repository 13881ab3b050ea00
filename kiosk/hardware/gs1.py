"""GS1 element strings in scans (SPEC §2): the GTIN (AI 01) and the serial (AI 21).

A scan is read as GS1 only when it starts with a GS1 symbology identifier
(``]C1`` GS1-128, ``]d2`` GS1 DataMatrix, ``]Q3`` GS1 QR) or holds a GS (ASCII 29,
what scanners send for FNC1); anything else is taken literally, so a plain
``2100012345`` stays a serial rather than becoming AI 21. Parsing is ``biip``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from biip import ParseConfig, ParseError
from biip.gs1_messages import GS1Message
from biip.symbology import SymbologyIdentifier

from ..model.errors import KioskError

GS = "\x1d"
GS1_IDENTIFIERS = ("]C1", "]d2", "]Q3")
# dates are not ours to police: a label with a zero expiry date still carries its serial
_CONFIG = ParseConfig(gs1_element_strings_verify_date=False, separator_chars=(GS,))


@dataclass(frozen=True)
class Gs1Serial:
    serial: str  # AI 21
    gtin: str | None  # AI 01, 14 digits; None when the code carries no GTIN

    @property
    def barcodes(self) -> tuple[str, ...]:
        """The GTIN as 14 digits and, without its leading zeros, as GTIN-13/12/8: an item's barcode is one of them."""
        if self.gtin is None:
            return ()
        forms = [self.gtin]
        for size in (13, 12, 8):
            head, tail = self.gtin[:-size], self.gtin[-size:]
            if not head.strip("0"):
                forms.append(tail)
        return tuple(forms)


def is_gs1(scan: str) -> bool:
    return scan.startswith(GS1_IDENTIFIERS) or GS in scan


def parse_scan(scan: str) -> Gs1Serial | None:
    """The serial and GTIN of a GS1 scan; None when the scan is to be taken literally.

    A GS1 code that does not parse, or has no AI 21, is refused (``invalid_serial``).
    """
    if not is_gs1(scan):
        return None
    body = scan
    if body.startswith("]"):
        try:
            body = body[len(SymbologyIdentifier.extract(body).value):]
        except ParseError:
            pass  # a ']' that starts no identifier is data
    try:
        message = GS1Message.parse(body, config=_CONFIG)
    except ParseError as exc:
        raise KioskError("invalid_serial", f"not a valid GS1 code: {exc}", [scan]) from None
    serial = message.element_strings.get(ai="21")
    if serial is None:
        raise KioskError("invalid_serial", "this GS1 code has no serial number (AI 21); scan the serial barcode instead", [scan])
    gtin = message.element_strings.get(ai="01")
    return Gs1Serial(serial=serial.value, gtin=gtin.value if gtin else None)
