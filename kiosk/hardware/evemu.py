"""``evemu-record`` captures: read them into real ``evdev.InputEvent`` objects, and write them.

A capture is how a scanner problem travels from a station to a developer: run
``evemu-record /dev/input/eventN > scan.evemu`` at the station, then
``kiosk scanners decode scan.evemu`` anywhere. The text format is
``N: <name>``, ``I: <bus> <vendor> <product> <version>`` (hex), other ``X:``
description lines, ``#`` comments, and one ``E: <sec>.<usec> <type> <code> <value>``
line per event (type and code in hex). A malformed capture is ``bad_request``
naming the line, never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from evdev import InputEvent, ecodes

from ..model.errors import KioskError

_EVENT = re.compile(r"E:\s+(\d+)\.(\d{1,6})\s+([0-9a-fA-F]{1,4})\s+([0-9a-fA-F]{1,4})\s+(-?\d+)\s*")
_DESCRIPTION = ("N:", "I:", "P:", "B:", "A:", "L:", "S:", "R:")


@dataclass
class Capture:
    name: str = ""
    bustype: int = 0
    vendor: int = 0
    product: int = 0
    version: int = 0
    events: list[InputEvent] = field(default_factory=list)


def parse(text: str, source: str = "capture") -> Capture:
    capture = Capture()
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("E:"):
            match = _EVENT.fullmatch(stripped)
            if not match:
                raise _bad(source, number, "an event line must be 'E: <sec>.<usec> <type hex> <code hex> <value>'")
            sec, usec, etype, code, value = match.groups()
            capture.events.append(InputEvent(int(sec), int(usec.ljust(6, "0")), int(etype, 16), int(code, 16), int(value)))
        elif stripped.startswith("N:"):
            capture.name = stripped[2:].strip()
        elif stripped.startswith("I:"):
            try:
                capture.bustype, capture.vendor, capture.product, capture.version = (int(v, 16) for v in stripped[2:].split())
            except ValueError:
                raise _bad(source, number, "'I:' needs four hex numbers: bus vendor product version") from None
        elif not stripped.startswith(_DESCRIPTION):
            raise _bad(source, number, f"not an evemu-record line: {stripped[:40]!r}")
    if not capture.events:
        raise KioskError("bad_request", f"{source}: no events ('E:' lines): is this an evemu-record capture?")
    return capture


def read(path: str | Path) -> Capture:
    """Read a capture file; unreadable or not text is ``bad_request``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a text file"
        raise KioskError("bad_request", f"cannot read capture {path}: {reason}") from None
    return parse(text, str(path))


def key_events(strokes: Iterable[tuple[int, int]], start: float = 1_700_000_000.0, step: float = 0.001) -> list[InputEvent]:
    """Key strokes ((code, value) pairs, as ``keymaps.encode`` gives) as timed events, each followed by SYN_REPORT."""
    events = []
    for n, (code, value) in enumerate(strokes):
        sec, usec = divmod(round((start + n * step) * 1_000_000), 1_000_000)
        events += [InputEvent(sec, usec, ecodes.EV_KEY, code, value), InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0)]
    return events


def write(capture: Capture) -> str:
    """The capture as ``evemu-record`` text (how tests/data captures are made)."""
    lines = [
        "# EVEMU 1.3",
        f"N: {capture.name}",
        f"I: {capture.bustype:04x} {capture.vendor:04x} {capture.product:04x} {capture.version:04x}",
    ]
    lines += [f"E: {ev.sec}.{ev.usec:06d} {ev.type:04x} {ev.code:04x} {ev.value}" for ev in capture.events]
    return "\n".join(lines) + "\n"


def _bad(source: str, number: int, message: str) -> KioskError:
    return KioskError("bad_request", f"{source}, line {number}: {message}")
