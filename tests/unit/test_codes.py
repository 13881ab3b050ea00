"""SPEC §2: manual-entry parsing, what a valid serial is, batch generation.

Pure functions: parametrised tables for the cases the spec names, hypothesis for the
properties that must hold for every input.
"""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.model import codes
from kiosk.model.errors import KioskError

# Every character with the Unicode White_Space property (PropList.txt).
UNICODE_WHITE_SPACE = [
    *map(chr, range(0x09, 0x0E)), " ", "\x85", "\xa0", "\u1680",
    *map(chr, range(0x2000, 0x200B)), "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
]
COMMAS = [",", "\uff0c", "\u3001"]
SEPARATORS = COMMAS + UNICODE_WHITE_SPACE
INFO_SEPARATORS = ["\x1c", "\x1d", "\x1e", "\x1f"]  # FS GS RS US: data, not white space
CODE_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != ",")

valid_codes = st.text(alphabet=CODE_CHARS, min_size=1, max_size=100)
separator_runs = st.text(alphabet="".join(SEPARATORS), min_size=1, max_size=4)


def refused(code: str, call, *args, **kwargs) -> KioskError:
    with pytest.raises(KioskError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value
    return info.value


# ---------------------------------------------------------------- splitting


@pytest.mark.parametrize("separator", SEPARATORS, ids=lambda s: f"U+{ord(s):04X}")
def test_each_separator_splits(separator):
    assert codes.parse_entry(f"A1{separator}B2{separator}{separator}C3") == ["A1", "B2", "C3"]


@pytest.mark.parametrize("char", INFO_SEPARATORS, ids=lambda s: f"U+{ord(s):04X}")
def test_information_separators_are_not_white_space(char):
    """Python's str.split() splits on these; the spec keeps them inside the token."""
    assert codes.split_entry(f"A1{char}B2 C3") == [f"A1{char}B2", "C3"]
    # ... and as data they are not printable ASCII, so the token is refused whole
    error = refused("invalid_serial", codes.parse_entry, f"A1{char}B2 C3")
    assert error.serials == [f"A1{char}B2"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", []),
        (" \t\n ,，、\u3000", []),
        ("SN1,SN2", ["SN1", "SN2"]),
        ("SN1， SN2、SN3\u3000SN4", ["SN1", "SN2", "SN3", "SN4"]),
        (",,SN1,,\n\nSN2,", ["SN1", "SN2"]),
        ("sn1 SN1", ["sn1", "SN1"]),  # exact codes: no case folding, so not duplicates
        ("-1 =SUM(A1) @x", ["-1", "=SUM(A1)", "@x"]),
        ("\r\nA\r\nB\r\n", ["A", "B"]),
    ],
)
def test_parse_entry_table(text, expected):
    assert codes.parse_entry(text) == expected


def test_separator_table_is_the_unicode_white_space_property():
    """The module's white space is exactly White_Space: no more, no less."""
    assert sorted(codes.WHITE_SPACE) == sorted(UNICODE_WHITE_SPACE)
    for char in INFO_SEPARATORS:
        assert char not in codes.SEPARATORS
    assert unicodedata.name("\u3000") == "IDEOGRAPHIC SPACE"


# ---------------------------------------------------------------- validity


@pytest.mark.parametrize(
    "code",
    ["A", "0", "x" * 100, "!", "~", CODE_CHARS[:100], "a-b_c/d.e:f;g", "%_*?'\"\\"],
)
def test_valid_codes(code):
    assert codes.is_valid(code)
    assert codes.check([code]) == [code]


@pytest.mark.parametrize(
    "code",
    [
        "x" * 101,
        "序列号1",
        "SN\u00e9",
        "SN\x1b[31m",  # ESC: a terminal control sequence
        "SN\x7f",
        "A B",
        "A,B",
        "A\tB",
        "",
        "SN\x00",
        "\uff21",  # fullwidth A
    ],
    ids=repr,
)
def test_invalid_codes(code):
    assert not codes.is_valid(code)
    error = refused("invalid_serial", codes.check, ["GOOD1", code, "GOOD2"])
    assert error.serials == [code]


def test_invalid_serial_names_every_offending_entry_in_order():
    error = refused("invalid_serial", codes.parse_entry, "ok1 bad\x1b1 ok2 序列 ok3 x\x7f")
    assert error.serials == ["bad\x1b1", "序列", "x\x7f"]
    assert "\x1b" not in error.message  # shown escaped, never as a control sequence


# ---------------------------------------------------------------- counts and repeats


def test_one_thousand_serials_is_the_limit():
    entry = " ".join(f"S{n}" for n in range(1000))
    assert len(codes.parse_entry(entry)) == 1000
    refused("too_many_serials", codes.parse_entry, entry + " S1000")


def test_invalid_serial_comes_before_too_many_and_too_many_before_duplicates():
    many = [f"S{n}" for n in range(1001)]
    assert refused("invalid_serial", codes.check, many + ["bad code"]).serials == ["bad code"]
    refused("too_many_serials", codes.check, many + ["S1"])


def test_duplicate_in_input_names_each_repeated_code_once():
    error = refused("duplicate_in_input", codes.parse_entry, "A B A，C、B A")
    assert error.serials == ["A", "B"]


# ---------------------------------------------------------------- generation


@pytest.mark.parametrize(
    "args, expected",
    [
        (dict(prefix="SN", start=1, count=3, width=4), ["SN0001", "SN0002", "SN0003"]),
        (dict(prefix="SN", start=8, count=3), ["SN08", "SN09", "SN10"]),  # width: digits of 10
        (dict(prefix="", start=0, count=2), ["0", "1"]),
        (dict(prefix="A-", start=99, count=2, suffix="/X"), ["A-099/X", "A-100/X"]),
        (dict(prefix="P", start=123, count=1, width=2), ["P123"]),  # wider numbers in full
    ],
)
def test_generate_table(args, expected):
    assert codes.generate(**args) == expected


def test_generate_at_most_one_thousand():
    assert len(codes.generate("G", 1, 1000)) == 1000
    refused("too_many_serials", codes.generate, "G", 1, 1001)


@pytest.mark.parametrize(
    "args",
    [
        dict(prefix="S N", start=1, count=2),
        dict(prefix="序", start=1, count=1),
        dict(prefix="SN", start=1, count=1, suffix=","),
        dict(prefix="x" * 99, start=1, count=1, width=2),  # 101 characters
    ],
)
def test_generated_codes_must_be_valid(args):
    error = refused("invalid_serial", codes.generate, **args)
    assert error.serials


@pytest.mark.parametrize(
    "args",
    [
        dict(prefix="S", start=-1, count=1),
        dict(prefix="S", start=1, count=0),
        dict(prefix="S", start=1, count=1, width=0),
        dict(prefix="S", start=1, count=1, width=101),
        dict(prefix="S", start=1.5, count=1),
        dict(prefix="S", start=True, count=1),
    ],
)
def test_generate_bad_arguments(args):
    refused("bad_request", codes.generate, **args)


# ---------------------------------------------------------------- properties


@given(
    st.lists(valid_codes, min_size=1, max_size=40, unique=True),
    st.data(),
)
def test_joining_valid_codes_with_any_separators_parses_back(entries, data):
    gaps = data.draw(st.lists(separator_runs, min_size=len(entries) + 1, max_size=len(entries) + 1))
    text = gaps[0] + "".join(code + gap for code, gap in zip(entries, gaps[1:]))
    assert codes.parse_entry(text) == entries


@given(st.text(max_size=200))
def test_splitting_any_text_leaves_no_separator_and_no_empty_token(text):
    tokens = codes.split_entry(text)
    assert all(tokens)
    assert not any(sep in token for token in tokens for sep in SEPARATORS)
    # nothing but separators is dropped
    assert "".join(tokens) == "".join(c for c in text if c not in SEPARATORS)


@given(st.text(min_size=1, max_size=120))
def test_is_valid_matches_the_definition(code):
    expected = 1 <= len(code) <= 100 and all(0x21 <= ord(c) <= 0x7E and c != "," for c in code)
    assert codes.is_valid(code) == expected


@given(
    prefix=st.text(alphabet=string.ascii_letters + "-_/", max_size=10),
    suffix=st.text(alphabet=string.ascii_letters + "-_/", max_size=10),
    start=st.integers(min_value=0, max_value=10**9),
    count=st.integers(min_value=1, max_value=1000),
    width=st.one_of(st.none(), st.integers(min_value=1, max_value=12)),
)
def test_generation_properties(prefix, suffix, start, count, width):
    generated = codes.generate(prefix, start, count, width, suffix)
    assert len(generated) == count == len(set(generated))
    numbers = []
    for code in generated:
        assert code.startswith(prefix) and code.endswith(suffix)
        digits = code[len(prefix) : len(code) - len(suffix)]
        assert digits.isdigit()
        expected_width = width if width is not None else len(str(start + count - 1))
        assert len(digits) == max(expected_width, len(str(int(digits))))
        numbers.append(int(digits))
        assert codes.is_valid(code)
    assert numbers == list(range(start, start + count))


@given(st.text(max_size=60))
def test_shown_codes_never_carry_control_sequences(text):
    """Messages show a code escaped: nothing but printable ASCII reaches a terminal."""
    out = codes.shown(text)
    assert out.isascii() and out.isprintable()
    if text.isascii() and text.isprintable():
        assert out == text
