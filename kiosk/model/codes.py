"""Serial codes: what a valid code is, how a manual entry splits, batch generation.

Pure functions, no database: the ledger, the command line and the screens all call
these, and the property tests in ``tests/unit/test_codes.py`` pin them down.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from .errors import KioskError

MAX_LENGTH = 100
MAX_PER_OPERATION = 1000

# Characters with the Unicode White_Space property. Python's str.split() also splits
# on U+001C..U+001F (GS is one of them), which are data here, so the set is spelled out.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
SEPARATORS = ",\uff0c\u3001" + WHITE_SPACE  # ASCII comma, fullwidth comma, ideographic comma
_SPLIT = re.compile("[" + re.escape(SEPARATORS) + "]+")
_VALID = re.compile(r"[\x21-\x2b\x2d-\x7e]{1,%d}" % MAX_LENGTH)


def is_valid(code: str) -> bool:
    """1–100 characters, each printable ASCII 0x21–0x7E except the comma."""
    return _VALID.fullmatch(code) is not None


def shown(text: str) -> str:
    """A code as it may be printed in a message: control and non-ASCII characters escaped."""
    if text.isascii() and text.isprintable():
        return text
    return text.encode("ascii", "backslashreplace").decode("ascii").translate(_CONTROL_ESCAPES)


_CONTROL_ESCAPES = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F]}


def split_entry(text: str) -> list[str]:
    """Split a manual entry on commas (ASCII, fullwidth, ideographic) and white space."""
    return [token for token in _SPLIT.split(text) if token]


def check(codes: Iterable[str], *, limit: int = MAX_PER_OPERATION) -> list[str]:
    """Validate one operation's codes: format, then count, then repeats (SPEC §2 order)."""
    codes = list(codes)
    require_valid(codes)
    if len(codes) > limit:
        raise KioskError(
            "too_many_serials", f"{len(codes)} serials in one operation; at most {limit}"
        )
    repeated = duplicates(codes)
    if repeated:
        raise KioskError(
            "duplicate_in_input", "entered more than once: " + ", ".join(repeated), repeated
        )
    return codes


def require_valid(codes: Iterable[str]) -> None:
    """Refuse the operation with ``invalid_serial`` naming every malformed entry."""
    invalid = [code for code in codes if not is_valid(code)]
    if invalid:
        raise KioskError(
            "invalid_serial",
            "not a valid serial (1–100 printable ASCII characters, no comma or space): "
            + ", ".join(f"'{shown(c)}'" for c in invalid[:10])
            + (f" and {len(invalid) - 10} more" if len(invalid) > 10 else ""),
            invalid,
        )


def duplicates(codes: Iterable[str]) -> list[str]:
    """Each code that occurs more than once, in order of first occurrence."""
    counts = Counter(codes)
    return [code for code, n in counts.items() if n > 1]


def parse_entry(text: str) -> list[str]:
    """A manual entry → its valid, distinct codes (or the first rule it breaks)."""
    return check(split_entry(text))


def generate(prefix: str, start: int, count: int, width: int | None = None, suffix: str = "") -> list[str]:
    """prefix + zero-padded number + suffix, ``count`` codes from ``start``.

    ``width`` defaults to the digits of the largest number; numbers wider than
    ``width`` are written in full.
    """
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise KioskError("bad_request", "start must be a whole number ≥ 0")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise KioskError("bad_request", "count must be a whole number ≥ 1")
    if count > MAX_PER_OPERATION:
        raise KioskError(
            "too_many_serials", f"{count} serials in one operation; at most {MAX_PER_OPERATION}"
        )
    last = start + count - 1
    if width is None:
        width = len(str(last))
    elif isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= MAX_LENGTH:
        raise KioskError("bad_request", f"width must be a whole number from 1 to {MAX_LENGTH}")
    codes = [f"{prefix}{n:0{width}d}{suffix}" for n in range(start, last + 1)]
    return check(codes)
