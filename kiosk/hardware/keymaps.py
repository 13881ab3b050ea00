"""Key codes → text for the keyboard layouts a scanner may be programmed for.

A scanner in keyboard emulation sends *key positions*, chosen for the layout it was
programmed for (US by default). The kernel knows nothing of layouts, so we do what
the desktop would have done: map each integer key code (``evdev.ecodes.KEY_*``) to
the character of that key in the scanner's layout, on each level (plain, Shift,
AltGr). Our own small tables keep the hardware layer free of libxkbcommon; they
were checked key by key against libxkbcommon's ``us``, ``gb``, ``de`` and ``fr``
(xkb-data 2.35), and ``encode`` (the inverse, used by the tests) proves that any
ASCII text typed through a table reads back the same. One difference on purpose:
on ``us`` Right Alt is a plain Alt, for the Alt + keypad codes some scanners type.

Dead keys (German ``^`` and `` ` ``, French ``^``) are marked with ``DEAD``: the
decoder holds them until the next key, as a desktop would.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from evdev import ecodes as e

from ..model.errors import KioskError

DEAD = "dead"  # level marker: the character is a dead key

_ROW1 = [e.KEY_GRAVE, e.KEY_1, e.KEY_2, e.KEY_3, e.KEY_4, e.KEY_5, e.KEY_6, e.KEY_7, e.KEY_8, e.KEY_9, e.KEY_0,
         e.KEY_MINUS, e.KEY_EQUAL]
_ROW2 = [e.KEY_Q, e.KEY_W, e.KEY_E, e.KEY_R, e.KEY_T, e.KEY_Y, e.KEY_U, e.KEY_I, e.KEY_O, e.KEY_P,
         e.KEY_LEFTBRACE, e.KEY_RIGHTBRACE]
_ROW3 = [e.KEY_A, e.KEY_S, e.KEY_D, e.KEY_F, e.KEY_G, e.KEY_H, e.KEY_J, e.KEY_K, e.KEY_L, e.KEY_SEMICOLON,
         e.KEY_APOSTROPHE, e.KEY_BACKSLASH]
# KEY_102ND (the extra key left of Z on ISO keyboards) last, so encode prefers the main keys
_ROW4 = [e.KEY_Z, e.KEY_X, e.KEY_C, e.KEY_V, e.KEY_B, e.KEY_N, e.KEY_M, e.KEY_COMMA, e.KEY_DOT, e.KEY_SLASH,
         e.KEY_102ND]
_ROWS = (_ROW1, _ROW2, _ROW3, _ROW4)

# the keypad types the same in every layout and whatever the NumLock state: scanners
# send '-', '*', '+' (and some every digit) this way
KEYPAD = {
    e.KEY_KP0: "0", e.KEY_KP1: "1", e.KEY_KP2: "2", e.KEY_KP3: "3", e.KEY_KP4: "4",
    e.KEY_KP5: "5", e.KEY_KP6: "6", e.KEY_KP7: "7", e.KEY_KP8: "8", e.KEY_KP9: "9",
    e.KEY_KPMINUS: "-", e.KEY_KPPLUS: "+", e.KEY_KPASTERISK: "*", e.KEY_KPSLASH: "/",
    e.KEY_KPDOT: ".", e.KEY_KPCOMMA: ".", e.KEY_KPEQUAL: "=",  # as xkb has them; German KPDOT is ','
    e.KEY_KPLEFTPAREN: "(", e.KEY_KPRIGHTPAREN: ")",
}
KEYPAD_DIGITS = {code: int(ch) for code, ch in KEYPAD.items() if ch.isdigit()}

# keys that type the same in every layout
COMMON = {e.KEY_SPACE: " ", e.KEY_TAB: "\t", e.KEY_ENTER: "\n", e.KEY_KPENTER: "\n"}

SHIFT = frozenset({e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT})
CTRL = frozenset({e.KEY_LEFTCTRL, e.KEY_RIGHTCTRL})
ALT = frozenset({e.KEY_LEFTALT, e.KEY_RIGHTALT})
MODIFIERS = SHIFT | CTRL | ALT | {e.KEY_LEFTMETA, e.KEY_RIGHTMETA}

_COMBINING = {"^": "\u0302", "`": "\u0300", "´": "\u0301", "¨": "\u0308", "~": "\u0303"}


@dataclass(frozen=True)
class Layout:
    """One layout: per key code, the character on each level, and which are dead."""

    name: str
    plain: dict[int, str]
    shift: dict[int, str]
    altgr: dict[int, str] = field(default_factory=dict)
    dead: frozenset[tuple[int, str]] = frozenset()  # (code, level) pairs that are dead keys
    ctrl_gs: frozenset[str] = frozenset()  # characters that give GS with Ctrl, beyond Ctrl+]
    keypad_decimal: str = "."  # what the keypad's decimal key types

    @property
    def has_altgr(self) -> bool:
        """Right Alt is AltGr here; on ``us`` it is a plain Alt (for Alt + keypad codes)."""
        return bool(self.altgr)

    def char(self, code: int, shift: bool = False, caps: bool = False, altgr: bool = False) -> tuple[str, bool] | None:
        """The character a key types and whether it is a dead key; None for keys that type nothing."""
        if code == e.KEY_KPDOT:
            return self.keypad_decimal, False
        if code in KEYPAD:
            return KEYPAD[code], False
        if code in COMMON:
            return COMMON[code], False
        if altgr:
            ch = self.altgr.get(code)
            return (ch, (code, "altgr") in self.dead) if ch else None
        base = self.plain.get(code)
        if base is None:
            return None
        upper = self.shift.get(code, base)
        if caps and base.isalpha():  # Caps Lock works on letters only
            if base.upper() == upper:
                shift = not shift
            elif not shift:  # a letter whose Shift level is no capital (French é/2): xkb gives the capital
                return ("ẞ" if base == "ß" else base.upper()), (code, "plain") in self.dead
        level = "shift" if shift else "plain"
        ch = upper if shift else base
        return ch, (code, level) in self.dead


def _table(rows: tuple[str, str, str, str]) -> dict[int, str]:
    table = {}
    for codes, chars in zip(_ROWS, rows):
        assert len(codes) >= len(chars), chars
        for code, ch in zip(codes, chars):
            if ch != " ":  # a space in a row string marks a key with nothing on that level
                table[code] = ch
    return table


def _layout(name: str, plain, shift, altgr: dict[int, str] | None = None, dead=(), ctrl_gs="", keypad_decimal=".") -> Layout:
    return Layout(name, _table(plain), _table(shift), altgr or {}, frozenset(dead), frozenset(ctrl_gs), keypad_decimal)


LAYOUTS: dict[str, Layout] = {
    "us": _layout(
        "us",
        ("`1234567890-=", "qwertyuiop[]", "asdfghjkl;'\\", "zxcvbnm,./<"),
        ("~!@#$%^&*()_+", "QWERTYUIOP{}", 'ASDFGHJKL:"|', "ZXCVBNM<>?>"),
    ),
    "uk": _layout(
        "uk",
        ("`1234567890-=", "qwertyuiop[]", "asdfghjkl;'#", "zxcvbnm,./\\"),
        ('¬!"£$%^&*()_+', "QWERTYUIOP{}", "ASDFGHJKL:@~", "ZXCVBNM<>?|"),
        {e.KEY_GRAVE: "|", e.KEY_4: "€", e.KEY_7: "{", e.KEY_8: "[", e.KEY_9: "]", e.KEY_0: "}",
         e.KEY_MINUS: "\\", e.KEY_Q: "@", e.KEY_102ND: "|"},
    ),
    "de": _layout(
        "de",
        ("^1234567890ß´", "qwertzuiopü+", "asdfghjklöä#", "yxcvbnm,.-<"),
        ('°!"§$%&/()=?`', "QWERTZUIOPÜ*", "ASDFGHJKLÖÄ'", "YXCVBNM;:_>"),
        {e.KEY_2: "²", e.KEY_3: "³", e.KEY_7: "{", e.KEY_8: "[", e.KEY_9: "]", e.KEY_0: "}",
         e.KEY_MINUS: "\\", e.KEY_Q: "@", e.KEY_E: "€", e.KEY_RIGHTBRACE: "~", e.KEY_102ND: "|", e.KEY_M: "µ"},
        dead=[(e.KEY_GRAVE, "plain"), (e.KEY_EQUAL, "plain"), (e.KEY_EQUAL, "shift")],
        ctrl_gs="+",  # German-programmed scanners send GS as Ctrl + '+'
        keypad_decimal=",",
    ),
    "fr": _layout(
        "fr",
        ("²&é\"'(-è_çà)=", "azertyuiop^$", "qsdfghjklmù*", "wxcvbn,;:!<"),
        ("~1234567890°+", "AZERTYUIOP¨£", "QSDFGHJKLM%µ", "WXCVBN?./§>"),
        {e.KEY_2: "~", e.KEY_3: "#", e.KEY_4: "{", e.KEY_5: "[", e.KEY_6: "|", e.KEY_7: "`", e.KEY_8: "\\",
         e.KEY_9: "^", e.KEY_0: "@", e.KEY_MINUS: "]", e.KEY_EQUAL: "}", e.KEY_RIGHTBRACE: "¤", e.KEY_A: "@",
         e.KEY_102ND: "|"},
        dead=[(e.KEY_LEFTBRACE, "plain"), (e.KEY_LEFTBRACE, "shift")],
    ),
}


def layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise KioskError("bad_config", f"unknown keyboard layout {name!r} (known: {', '.join(LAYOUTS)})") from None


def compose(dead: str, ch: str) -> str:
    """What a dead key followed by ``ch`` types: the accent alone before a space or itself."""
    if ch in (" ", dead):
        return dead
    mark = _COMBINING.get(dead)
    if mark:
        composed = unicodedata.normalize("NFC", ch + mark)
        if len(composed) == 1:
            return composed
    return dead + ch


def control_char(layout: Layout, code: int, ch: str | None) -> str | None:
    """Ctrl + a key: GS for Ctrl+] (the same key position in every layout), C0 codes for letters."""
    if code == e.KEY_RIGHTBRACE or (ch is not None and ch in layout.ctrl_gs):
        return "\x1d"
    if ch is not None and len(ch) == 1 and ("a" <= ch.lower() <= "z" or ch in "@[\\]^_"):
        return chr(ord(ch.upper()) & 0x1F)
    return None


def key_names_to_codes(names: list[str]) -> frozenset[int]:
    """Terminator key names from the config (``KEY_ENTER``) → integer key codes."""
    codes = set()
    for name in names:
        code = e.ecodes.get(name)
        if not isinstance(code, int) or not name.startswith(("KEY_", "BTN_")):
            raise KioskError("bad_config", f"scanners.terminators: unknown key {name!r} (e.g. KEY_ENTER, KEY_KPENTER, KEY_TAB)")
        codes.add(code)
    return frozenset(codes)


# ---------------------------------------------------------------- the inverse, for tests and captures

Stroke = tuple[int, int]  # (key code, value: 1 press / 0 release)


def _press(code: int, mods: tuple[int, ...] = ()) -> list[Stroke]:
    return [*((m, 1) for m in mods), (code, 1), (code, 0), *((m, 0) for m in reversed(mods))]


def _strokes_for(lay: Layout) -> dict[str, list[Stroke]]:
    """Per character, the shortest way to type it in ``lay`` (dead keys followed by Space)."""
    found: dict[str, list[Stroke]] = {}
    levels = [("plain", lay.plain, ()), ("shift", lay.shift, (e.KEY_LEFTSHIFT,)), ("altgr", lay.altgr, (e.KEY_RIGHTALT,))]
    candidates: list[tuple[int, bool, str, list[Stroke]]] = []
    for level, table, mods in levels:
        for code, ch in table.items():
            dead = (code, level) in lay.dead
            strokes = _press(code, mods) + (_press(e.KEY_SPACE) if dead else [])
            candidates.append((len(strokes), dead, ch, strokes))
    for code, ch in COMMON.items():
        if code != e.KEY_KPENTER:
            candidates.append((2, False, ch, _press(code)))
    for _, _, ch, strokes in sorted(candidates, key=lambda c: c[:2]):
        found.setdefault(ch, strokes)
    return found


_ENCODERS: dict[str, dict[str, list[Stroke]]] = {}


def encode(text: str, layout_name: str = "us") -> list[Stroke]:
    """The key strokes a scanner programmed for ``layout_name`` sends to type ``text``.

    GS (ASCII 29) is Ctrl+] (Ctrl + the key right of P), other control characters
    Ctrl + their letter or sign (ESC is Ctrl+[); characters the layout cannot type
    raise ``ValueError``.
    """
    strokes_for = _ENCODERS.get(layout_name)
    if strokes_for is None:
        strokes_for = _ENCODERS[layout_name] = _strokes_for(layout(layout_name))
    out: list[Stroke] = []
    for ch in text:
        sign = chr(ord(ch) + 0x40).lower() if ord(ch) < 0x20 else None
        if ch == "\x1d":
            out += _press(e.KEY_RIGHTBRACE, (e.KEY_LEFTCTRL,))
        elif ch in strokes_for:
            out += strokes_for[ch]
        elif sign in strokes_for:
            out += [(e.KEY_LEFTCTRL, 1), *strokes_for[sign], (e.KEY_LEFTCTRL, 0)]
        else:
            raise ValueError(f"{ch!r} cannot be typed on layout {layout_name}")
    return out
