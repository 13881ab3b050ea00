"""A broken station config is ``bad_config`` naming the key and its line, found before
the screen opens (an unattended station must say why it will not start, in one line,
to the journal). Cases beyond tests/unit/test_config.py."""

from __future__ import annotations

import pytest

from kiosk import config
from kiosk.model.errors import KioskError


@pytest.mark.parametrize(
    "toml, words",
    [
        ('[station]\nname = "a"\n[staton]\nmode = "x"\n', "line 3: staton: unknown key"),
        ('[[scanners]]\nname = "s"\nterminators = ["KEY_ENTER", 5]\n', "line 3: scanners (entry 1).terminators: must be str; got 5"),
        ('[[printers]]\nname = "p"\nkind = "file"\npath = "x"\nport = true\n', "line 5: printers (entry 1).port: must be int; got True"),
        ('[label]\nwidth_mm = "50"\n', "line 2: label.width_mm: must be float"),
        ('[station]\nmode = "kitchen"\n', "line 2: station.mode: must be one of receiving"),
        ('[database]\nurl = "sqlite:///a.db"\nurl = "sqlite:///b.db"\n', "line 3"),  # TOML: a key twice
        ('[station]\nname = "a\n', "line 2"),  # an unterminated string
    ],
)
def test_bad_config_names_the_key_and_the_line(tmp_path, toml, words):
    path = tmp_path / "station.toml"
    path.write_text(toml)
    with pytest.raises(KioskError) as caught:
        config.load(path)
    assert caught.value.code == "bad_config" and str(path) in caught.value.message
    assert words in caught.value.message, caught.value.message


def test_a_config_file_that_is_not_utf8_is_bad_config(tmp_path):
    path = tmp_path / "station.toml"
    path.write_bytes(b'[station]\nname = "caf\xe9"\n')
    with pytest.raises(KioskError) as caught:
        config.load(path)
    assert caught.value.code == "bad_config" and "cannot read" in caught.value.message


def test_the_station_refuses_to_start_on_a_broken_config_in_one_line(kiosk, tmp_path):
    path = tmp_path / "station.toml"
    path.write_text('[station]\nwarehouse = "MAIN"\n\n[[printers]]\nname = "p"\nkind = "laser"\n')
    result = kiosk.refused("--config", str(path), "run", code="bad_config", json_out=False, timeout=30)
    assert "line 6: printers (entry 1).kind: must be one of" in result.err and result.out == ""
