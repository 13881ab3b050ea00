"""Key events of one scanner → whole scans.

One ``ScanDecoder`` per device, so two scanners typing at once never mix. It reads
integer key codes from ``evdev.InputEvent`` objects and keeps what a desktop would
keep: held Shift/Ctrl/Alt/AltGr, Caps Lock, a pending dead key, an Alt + keypad
code being typed. A scan ends at a terminator key (Enter and keypad Enter unless
configured); keys that type nothing (the Down-arrow some scanners add) are ignored.

Lost keys must never make a wrong serial, so a partial scan is discarded, and
reported as a ``Scan`` with ``dropped`` set, when the kernel says it overflowed
(``SYN_DROPPED``) or when no terminator follows within ``timeout_ms``.
Autorepeat (value 2) is ignored: a scanner never holds a key on purpose, and a
repeat only means its release report came late.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from evdev import InputEvent
from evdev import ecodes as e

from ..model.errors import KioskError
from .keymaps import (
    ALT,
    CTRL,
    KEYPAD_DIGITS,
    SHIFT,
    compose,
    control_char,
    key_names_to_codes,
    layout,
)

DEFAULT_TERMINATORS = ("KEY_ENTER", "KEY_KPENTER")
OVERFLOW = "keys were lost (the kernel's buffer overflowed): scan again"


@dataclass(frozen=True)
class Scan:
    """One scan from one scanner, or a partial scan discarded with the reason why."""

    text: str
    at: float = 0.0  # time of the last key (the event's timestamp)
    scanner: str = ""  # the config's scanner name
    device: str = ""  # the device path it came from
    mode: str | None = None  # the mode the scanner is bound to, if any
    dropped: str | None = None  # why the partial ``text`` was discarded; tell the operator

    @property
    def ok(self) -> bool:
        return self.dropped is None


class ScanDecoder:
    """The decoding state of one device; ``feed`` every event, ``expire`` when idle."""

    def __init__(
        self,
        layout_name: str = "us",
        terminators: Iterable[str] = DEFAULT_TERMINATORS,
        timeout_ms: int = 200,
        source: Scan = Scan(""),
    ) -> None:
        self.layout = layout(layout_name)
        self.terminators = key_names_to_codes(list(terminators))
        if not isinstance(timeout_ms, int) or timeout_ms <= 0:
            raise KioskError("bad_config", f"scanners.timeout_ms must be a positive number of milliseconds; got {timeout_ms!r}")
        self.timeout = timeout_ms / 1000
        self.source = source  # scanner, device and mode stamped on every scan
        self.held: set[int] = set()
        self.caps = False
        self.syncing = False  # between SYN_DROPPED and the next SYN_REPORT: events are unreliable
        self._reset()

    def _reset(self) -> None:
        self.buffer: list[str] = []
        self.dead: str | None = None
        self.alt_code: str = ""
        self.discarding = False  # after SYN_DROPPED: the rest of this scan is lost too
        self.last = 0.0

    # -------------------------------------------------------------- state
    @property
    def pending(self) -> bool:
        return bool(self.buffer or self.dead or self.alt_code or self.discarding)

    @property
    def deadline(self) -> float | None:
        """When a pending half scan times out (event-clock seconds), or None."""
        return self.last + self.timeout if self.pending else None

    def _scan(self, text: str, dropped: str | None = None) -> Scan:
        return replace(self.source, text=text, at=self.last, dropped=dropped)

    def _drop(self, reason: str, always: bool = False) -> list[Scan]:
        scan = self._scan("".join(self.buffer) + (self.dead or ""), reason)
        self._reset()
        # whitespace alone (a Tab after the terminator) is no half scan worth reporting
        return [scan] if always or scan.text.strip() else []

    def expire(self, now: float | None = None) -> list[Scan]:
        """Drop a half scan whose next key is overdue at ``now`` (event clock).

        Without ``now`` the caller has already seen the device idle for the time-out
        (a reader measures that on its own monotonic clock) and the half scan goes.
        """
        deadline = self.deadline
        if deadline is None or now is not None and now <= deadline:
            return []
        return self._drop(f"incomplete scan dropped: no end of scan within {round(self.timeout * 1000)} ms")

    def resync(self, active_keys: Iterable[int]) -> None:
        """After an overflow, take the held modifiers from the kernel's key state."""
        self.held = {code for code in active_keys if code in SHIFT | CTRL | ALT}

    # -------------------------------------------------------------- events
    def feed(self, event: InputEvent) -> list[Scan]:
        """Take one event; return the scans (complete or dropped) it finished."""
        if event.type == e.EV_SYN:
            if event.code == e.SYN_DROPPED:
                self.last = event.timestamp()
                lost = self._drop(OVERFLOW, always=True)
                self.held.clear()
                self.last, self.discarding, self.syncing = event.timestamp(), True, True
                return lost
            if event.code == e.SYN_REPORT:
                self.syncing = False
            return []
        if event.type != e.EV_KEY or self.syncing:
            return []
        code, value = event.code, event.value
        if code in SHIFT | CTRL | ALT:
            return self._modifier(code, value)
        if value != 1:  # release, or autorepeat
            return []
        out = self.expire(event.timestamp())
        self.last = event.timestamp()
        if code in self.terminators:
            return out + self._terminate()
        if code == e.KEY_CAPSLOCK:
            self.caps = not self.caps
        elif self._alt_codes:
            if code in KEYPAD_DIGITS:
                self.alt_code += str(KEYPAD_DIGITS[code])
        else:
            self._key(code)
        return out

    @property
    def _alt_codes(self) -> bool:
        """Alt held (not AltGr): keypad digits spell a character code."""
        alt = {e.KEY_LEFTALT} if self.layout.has_altgr else ALT
        return bool(self.held & alt)

    def _modifier(self, code: int, value: int) -> list[Scan]:
        if value == 1:
            self.held.add(code)
        elif value == 0:
            self.held.discard(code)
            if code in ALT and self.alt_code and not self._alt_codes:
                self._type(_alt_char(self.alt_code))
                self.alt_code = ""
        return []

    def _key(self, code: int) -> None:
        shift = bool(self.held & SHIFT)
        altgr = self.layout.has_altgr and e.KEY_RIGHTALT in self.held
        typed = self.layout.char(code, shift=shift, caps=self.caps, altgr=altgr)
        if self.held & CTRL:
            ch = control_char(self.layout, code, typed[0] if typed else None)
            if ch:
                self._type(ch)
            return
        if typed is None:
            return  # arrows, function keys: nothing typed
        ch, dead = typed
        if dead and self.dead is None:
            self.dead = ch
        else:
            self._type(ch)

    def _type(self, ch: str) -> None:
        if self.dead is not None:
            ch, self.dead = compose(self.dead, ch), None
        if not self.discarding:
            self.buffer.append(ch)

    def _terminate(self) -> list[Scan]:
        if self.discarding:
            self._reset()
            return []
        scan = self._scan("".join(self.buffer) + (self.dead or ""))
        self._reset()
        return [scan] if scan.text else []

    def finish(self) -> list[Scan]:
        """The end of a recording: a half scan still pending is dropped."""
        return self._drop("incomplete scan dropped: the recording ends before the end of the scan")


def _alt_char(digits: str) -> str:
    """Alt + keypad code: below 128 ASCII; above, Windows-1252 with a leading 0, else CP437."""
    value = int(digits) % 256
    if value < 128:
        return chr(value)
    return bytes([value]).decode("cp1252" if digits.startswith("0") else "cp437", errors="replace")


def decode_events(events: Iterable[InputEvent], **options) -> list[Scan]:
    """Every scan (complete or dropped) in a recorded stream of one device's events."""
    decoder = ScanDecoder(**options)
    scans: list[Scan] = []
    for event in events:
        scans += decoder.feed(event)
    return scans + decoder.finish()
