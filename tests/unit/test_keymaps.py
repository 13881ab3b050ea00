"""Key codes → scans: layouts, modifiers, keypad, Alt codes, GS, terminators, time-outs, overflows.

Events are real ``evdev.InputEvent`` objects built from ``evdev.ecodes`` integers.
"""

from __future__ import annotations

import pytest
from evdev import InputEvent
from evdev import ecodes as e
from hypothesis import given
from hypothesis import strategies as st

from kiosk.hardware import keymaps
from kiosk.hardware.decoder import OVERFLOW, Scan, ScanDecoder, decode_events
from kiosk.hardware.evemu import key_events
from kiosk.model.errors import KioskError

T0 = 1_700_000_000.0
LSHIFT, RSHIFT, LCTRL, LALT, RALT = e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT, e.KEY_LEFTCTRL, e.KEY_LEFTALT, e.KEY_RIGHTALT


def tap(code: int, *mods: int) -> list[tuple[int, int]]:
    return [*((m, 1) for m in mods), (code, 1), (code, 0), *((m, 0) for m in reversed(mods))]


def scans(strokes, layout: str = "us", **options) -> list[str]:
    """Complete scans decoded from key strokes typed 1 ms apart; dropped ones fail the test."""
    found = decode_events(key_events(strokes), layout_name=layout, **options)
    assert all(s.ok for s in found), found
    return [s.text for s in found]


ENTER = tap(e.KEY_ENTER)


# ---------------------------------------------------------------- every layout types all of ASCII

ASCII = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40)


@pytest.mark.parametrize("layout", sorted(keymaps.LAYOUTS))
@given(text=ASCII)
def test_any_printable_ascii_typed_in_a_layout_decodes_back_to_itself(layout, text):
    assert scans(keymaps.encode(text, layout) + ENTER, layout) == [text]


@pytest.mark.parametrize("layout", sorted(keymaps.LAYOUTS))
@given(parts=st.lists(ASCII, min_size=2, max_size=4))
def test_gs_typed_as_ctrl_right_bracket_separates_fields_in_every_layout(layout, parts):
    text = "\x1d".join(parts)
    assert scans(keymaps.encode(text, layout) + ENTER, layout) == [text]


CONTROLS = st.text(alphabet=st.characters(max_codepoint=0x7E, blacklist_characters="\n"), min_size=1, max_size=20)


@pytest.mark.parametrize("layout", sorted(keymaps.LAYOUTS))
@given(text=CONTROLS)
def test_control_characters_typed_as_ctrl_keys_decode_back_in_every_layout(layout, text):
    assert scans(keymaps.encode(text, layout) + ENTER, layout) == [text]


def test_the_same_keys_mean_different_text_per_layout():
    strokes = tap(e.KEY_Y) + tap(e.KEY_Z) + tap(e.KEY_Q) + tap(e.KEY_2, LSHIFT) + tap(e.KEY_SLASH) + ENTER
    assert [scans(strokes, layout)[0] for layout in ("us", "uk", "de", "fr")] == ["yzq@/", 'yzq"/', 'zyq"-', "ywa2!"]


# what libxkbcommon (xkb-data 2.35) gives for these keys (plain, Shift, AltGr): the tables agree with the desktop
XKB_FACTS = [
    ("us", e.KEY_2, "2", "@", None), ("us", e.KEY_BACKSLASH, "\\", "|", None), ("us", e.KEY_APOSTROPHE, "'", '"', None),
    ("uk", e.KEY_2, "2", '"', None), ("uk", e.KEY_3, "3", "£", None), ("uk", e.KEY_APOSTROPHE, "'", "@", None),
    ("uk", e.KEY_BACKSLASH, "#", "~", None), ("uk", e.KEY_102ND, "\\", "|", "|"), ("uk", e.KEY_4, "4", "$", "€"), ("uk", e.KEY_Q, "q", "Q", "@"),
    ("de", e.KEY_Y, "z", "Z", None), ("de", e.KEY_Z, "y", "Y", None), ("de", e.KEY_3, "3", "§", "³"),
    ("de", e.KEY_7, "7", "/", "{"), ("de", e.KEY_Q, "q", "Q", "@"), ("de", e.KEY_MINUS, "ß", "?", "\\"),
    ("de", e.KEY_RIGHTBRACE, "+", "*", "~"), ("de", e.KEY_SLASH, "-", "_", None), ("de", e.KEY_BACKSLASH, "#", "'", None),
    ("de", e.KEY_102ND, "<", ">", "|"), ("de", e.KEY_SEMICOLON, "ö", "Ö", None),
    ("fr", e.KEY_Q, "a", "A", None), ("fr", e.KEY_A, "q", "Q", "@"), ("fr", e.KEY_W, "z", "Z", None),
    ("fr", e.KEY_SEMICOLON, "m", "M", None), ("fr", e.KEY_M, ",", "?", None), ("fr", e.KEY_1, "&", "1", None),
    ("fr", e.KEY_0, "à", "0", "@"), ("fr", e.KEY_3, '"', "3", "#"), ("fr", e.KEY_8, "_", "8", "\\"),
    ("fr", e.KEY_DOT, ":", "/", None), ("fr", e.KEY_RIGHTBRACE, "$", "£", "¤"),
]


@pytest.mark.parametrize("layout, code, plain, shifted, altgr", XKB_FACTS)
def test_layout_tables_agree_with_xkb(layout, code, plain, shifted, altgr):
    table = keymaps.layout(layout)
    assert table.char(code) == (plain, False)
    assert table.char(code, shift=True) == (shifted, False)
    assert table.char(code, altgr=True) == ((altgr, False) if altgr else None)


# ---------------------------------------------------------------- modifiers


@pytest.mark.parametrize(
    "strokes, text",
    [
        (tap(e.KEY_A, LSHIFT) + tap(e.KEY_B, RSHIFT) + tap(e.KEY_C), "ABc"),
        (tap(e.KEY_CAPSLOCK) + tap(e.KEY_A) + tap(e.KEY_B, LSHIFT) + tap(e.KEY_1), "Ab1"),
        (tap(e.KEY_CAPSLOCK) + tap(e.KEY_A) + tap(e.KEY_CAPSLOCK) + tap(e.KEY_A), "Aa"),
        # Shift held over several keys, released once (some scanners do this)
        ([(LSHIFT, 1)] + tap(e.KEY_A) + tap(e.KEY_1) + [(LSHIFT, 0)] + tap(e.KEY_A), "A!a"),
        # autorepeat of a held key is not typed again
        ([(e.KEY_A, 1), (e.KEY_A, 2), (e.KEY_A, 2), (e.KEY_A, 0)] + tap(e.KEY_B), "ab"),
        # a lone release (a press lost before we opened the device) types nothing
        ([(e.KEY_X, 0)] + tap(e.KEY_B), "b"),
    ],
    ids=["left-right-shift", "caps-lock-letters-only", "caps-lock-toggles", "shift-held", "autorepeat", "lone-release"],
)
def test_shift_caps_lock_and_autorepeat(strokes, text):
    assert scans(strokes + ENTER) == [text]


@pytest.mark.parametrize(
    "layout, code, caps, caps_shift",
    [("fr", e.KEY_2, "É", "2"), ("fr", e.KEY_APOSTROPHE, "Ù", "%"), ("de", e.KEY_MINUS, "ẞ", "?"),
     ("de", e.KEY_SEMICOLON, "Ö", "ö"), ("us", e.KEY_1, "1", "!"), ("uk", e.KEY_A, "A", "a")],
)
def test_caps_lock_gives_what_xkb_gives(layout, code, caps, caps_shift):
    table = keymaps.layout(layout)
    assert table.char(code, caps=True) == (caps, False)
    assert table.char(code, shift=True, caps=True) == (caps_shift, False)


def test_keypad_types_digits_and_operators_whatever_the_numlock_state():
    keypad = [e.KEY_KP1, e.KEY_KP2, e.KEY_KPMINUS, e.KEY_KPPLUS, e.KEY_KPASTERISK, e.KEY_KPSLASH, e.KEY_KPDOT, e.KEY_KP0]
    strokes = [s for code in keypad for s in tap(code)]
    numlock = tap(e.KEY_NUMLOCK)
    for layout, decimal in (("us", "."), ("uk", "."), ("fr", "."), ("de", ",")):  # the German keypad has a comma
        typed = f"12-+*/{decimal}0"
        assert scans(strokes + ENTER + numlock + strokes + ENTER, layout) == [typed, typed]


def test_shift_does_not_change_keypad_keys():
    assert scans(tap(e.KEY_KP7, LSHIFT) + tap(e.KEY_KPMINUS, RSHIFT) + ENTER) == ["7-"]


# ---------------------------------------------------------------- Alt + keypad codes


def alt_code(digits: str, alt: int = LALT) -> list[tuple[int, int]]:
    kp = [e.KEY_KP0, e.KEY_KP1, e.KEY_KP2, e.KEY_KP3, e.KEY_KP4, e.KEY_KP5, e.KEY_KP6, e.KEY_KP7, e.KEY_KP8, e.KEY_KP9]
    return [(alt, 1), *(s for d in digits for s in tap(kp[int(d)])), (alt, 0)]


def test_alt_keypad_codes_type_any_character():
    strokes = alt_code("083") + alt_code("78") + alt_code("045") + alt_code("029") + alt_code("0049") + ENTER
    assert scans(strokes) == ["SN-\x1d1"]


@pytest.mark.parametrize("layout", ["de", "fr", "uk"])
def test_alt_codes_work_under_layouts_with_altgr(layout):
    assert scans(alt_code("065") + alt_code("043") + ENTER, layout) == ["A+"]


def test_alt_codes_above_127_read_windows_1252_with_a_leading_zero_else_cp437():
    assert scans(alt_code("0228") + alt_code("132") + ENTER) == ["ää"]


def test_right_alt_is_alt_on_us_and_altgr_on_de():
    assert scans(alt_code("065", RALT) + ENTER, "us") == ["A"]
    assert scans(tap(e.KEY_Q, RALT) + tap(e.KEY_7, RALT) + ENTER, "de") == ["@{"]


def test_letters_typed_while_alt_is_held_type_nothing():
    assert scans(tap(e.KEY_F, LALT) + tap(e.KEY_A) + ENTER) == ["a"]


# ---------------------------------------------------------------- GS and control keys


def test_gs_is_ctrl_right_bracket_and_ctrl_plus_on_german_scanners():
    assert scans(tap(e.KEY_1) + tap(e.KEY_RIGHTBRACE, LCTRL) + tap(e.KEY_2) + ENTER) == ["1\x1d2"]
    # German programming: Ctrl + '+' (the same key position, or the keypad '+')
    assert scans(tap(e.KEY_1) + tap(e.KEY_RIGHTBRACE, LCTRL) + tap(e.KEY_KPPLUS, LCTRL) + ENTER, "de") == ["1\x1d\x1d"]


def test_ctrl_letters_are_c0_codes_and_ctrl_keypad_plus_is_no_gs_on_us():
    assert scans(tap(e.KEY_D, LCTRL) + tap(e.KEY_KPPLUS, LCTRL) + tap(e.KEY_X) + ENTER) == ["\x04x"]


# ---------------------------------------------------------------- dead keys


def test_german_dead_keys_need_a_space_or_compose():
    strokes = tap(e.KEY_GRAVE) + tap(e.KEY_SPACE) + tap(e.KEY_GRAVE) + tap(e.KEY_A) + tap(e.KEY_EQUAL, LSHIFT) + tap(e.KEY_E)
    assert scans(strokes + ENTER, "de") == ["^âè"]


def test_a_dead_key_before_the_terminator_is_kept():
    assert scans(tap(e.KEY_A) + tap(e.KEY_GRAVE) + ENTER, "de") == ["a^"]


# ---------------------------------------------------------------- terminators


def test_enter_and_keypad_enter_end_scans_and_the_down_arrow_after_is_ignored():
    strokes = tap(e.KEY_A) + ENTER + tap(e.KEY_DOWN) + tap(e.KEY_B) + tap(e.KEY_KPENTER) + tap(e.KEY_DOWN)
    assert scans(strokes) == ["a", "b"]


def test_configured_terminators_replace_the_default():
    strokes = tap(e.KEY_A) + ENTER + tap(e.KEY_B) + tap(e.KEY_TAB) + tap(e.KEY_C) + tap(e.KEY_F12)
    assert scans(strokes, terminators=["KEY_TAB", "KEY_F12"]) == ["a\nb", "c"]


def test_a_lone_terminator_is_no_scan():
    assert scans(ENTER + ENTER + tap(e.KEY_A) + ENTER) == ["a"]


@pytest.mark.parametrize("bad", [["KEY_NOPE"], ["EV_KEY"], ["SYN_REPORT"]])
def test_an_unknown_terminator_is_bad_config(bad):
    with pytest.raises(KioskError) as err:
        ScanDecoder(terminators=bad)
    assert err.value.code == "bad_config" and bad[0] in err.value.message


@pytest.mark.parametrize("timeout_ms", [0, -5])
def test_a_time_out_that_is_not_positive_is_bad_config(timeout_ms):
    with pytest.raises(KioskError) as err:
        ScanDecoder(timeout_ms=timeout_ms)
    assert err.value.code == "bad_config" and "timeout_ms" in err.value.message


def test_an_unknown_layout_is_bad_config():
    with pytest.raises(KioskError) as err:
        ScanDecoder("dvorak")
    assert err.value.code == "bad_config" and "dvorak" in err.value.message


# ---------------------------------------------------------------- time-out and overflow


def events_at(strokes, start: float) -> list[InputEvent]:
    return key_events(strokes, start=start)


def test_a_half_scan_followed_by_a_long_pause_is_dropped_and_reported():
    decoder = ScanDecoder(timeout_ms=200)
    found = [s for ev in events_at(tap(e.KEY_1) + tap(e.KEY_2), T0) + events_at(tap(e.KEY_A) + ENTER, T0 + 0.5) for s in decoder.feed(ev)]
    assert [(s.text, s.ok) for s in found] == [("12", False), ("a", True)]
    assert "200 ms" in found[0].dropped


def test_a_pause_within_the_time_out_keeps_the_scan():
    decoder = ScanDecoder(timeout_ms=200)
    found = [s for ev in events_at(tap(e.KEY_1), T0) + events_at(tap(e.KEY_2) + ENTER, T0 + 0.15) for s in decoder.feed(ev)]
    assert [(s.text, s.ok) for s in found] == [("12", True)]


def test_expire_drops_a_half_scan_only_once_it_is_overdue():
    decoder = ScanDecoder(timeout_ms=200)
    for ev in events_at(tap(e.KEY_1), T0):
        decoder.feed(ev)
    assert decoder.expire(T0 + 0.1) == []
    [dropped] = decoder.expire(T0 + 0.5)
    assert dropped.text == "1" and not dropped.ok and not decoder.pending


def test_syn_dropped_discards_the_partial_scan_and_the_rest_of_it_and_says_so():
    before = key_events(tap(e.KEY_S, LSHIFT) + tap(e.KEY_N, LSHIFT), start=T0)
    overflow = [InputEvent(1_700_000_000, 10_000, e.EV_SYN, e.SYN_DROPPED, 0),
                # events between SYN_DROPPED and the next SYN_REPORT are unreliable and ignored
                InputEvent(1_700_000_000, 10_000, e.EV_KEY, e.KEY_X, 1),
                InputEvent(1_700_000_000, 10_000, e.EV_SYN, e.SYN_REPORT, 0)]
    after = key_events(tap(e.KEY_7) + ENTER + tap(e.KEY_O) + tap(e.KEY_K) + ENTER, start=T0 + 0.02)
    found = decode_events(before + overflow + after)
    assert [(s.text, s.dropped) for s in found] == [("SN", OVERFLOW), ("ok", None)]


def test_syn_dropped_resets_modifiers_a_lost_release_would_have_left_held():
    decoder = ScanDecoder()
    events = key_events([(LSHIFT, 1)], start=T0) + [InputEvent(1_700_000_000, 5000, e.EV_SYN, e.SYN_DROPPED, 0),
                                                    InputEvent(1_700_000_000, 5000, e.EV_SYN, e.SYN_REPORT, 0)]
    events += key_events(ENTER + tap(e.KEY_A) + ENTER, start=T0 + 0.01)
    assert [s.text for ev in events for s in decoder.feed(ev) if s.ok] == ["a"]


def test_resync_takes_held_modifiers_from_the_kernel():
    decoder = ScanDecoder()
    decoder.resync([e.KEY_LEFTSHIFT, e.KEY_A])
    assert [s.text for ev in key_events(tap(e.KEY_B) + ENTER) for s in decoder.feed(ev)] == ["B"]


def test_a_recording_that_stops_mid_scan_reports_the_half_scan():
    found = decode_events(key_events(tap(e.KEY_A) + ENTER + tap(e.KEY_B)))
    assert [(s.text, s.ok) for s in found] == [("a", True), ("b", False)]


def test_every_scan_carries_its_scanner_device_mode_and_time():
    source = Scan("", scanner="dock", device="/dev/input/event7", mode="receiving")
    decoder = ScanDecoder(source=source)
    [scan] = [s for ev in key_events(tap(e.KEY_A) + ENTER, start=T0) for s in decoder.feed(ev)]
    assert (scan.text, scan.scanner, scan.device, scan.mode) == ("a", "dock", "/dev/input/event7", "receiving")
    assert scan.at == pytest.approx(T0 + 0.002)


def test_the_encoder_refuses_what_a_layout_cannot_type():
    with pytest.raises(ValueError):
        keymaps.encode("é", "us")
