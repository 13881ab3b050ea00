"""Outside text made safe to show: scans and names are data, never control sequences."""

from __future__ import annotations


def printable(text: object) -> str:
    """``text`` with every non-printable character (C0/C1 controls, ESC, format and
    unassigned characters) written as a Python-style escape; printable text, Chinese
    included, is left as it is."""
    text = "" if text is None else str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ord(ch)) for ch in text)


def _escape(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
