"""The station config: strict, documented, and its errors name the key and the line."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from kiosk import config
from kiosk.model.errors import KioskError

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "station.example.toml"


def test_the_example_parses_and_documents_every_key():
    parsed = config.load(EXAMPLE)
    assert parsed.station.name == "dock-1" and parsed.scanners[0].layout == "us"
    text = EXAMPLE.read_text()
    sections = {"station": config.StationConfig, "database": config.DatabaseConfig, "scanners": config.ScannerConfig,
                "printers": config.PrinterConfig, "label": config.LabelConfig, "receipt": config.ReceiptConfig}
    for section, cls in sections.items():
        assert re.search(rf"^\[+{section}\]+", text, re.M), section
        for f in dataclasses.fields(cls):
            assert re.search(rf"^#? ?{f.name} = ", text, re.M), f"{section}.{f.name} is not documented"


@pytest.mark.parametrize(
    "toml, where, words",
    [
        ('[station]\nname = "a"\nwarehous = "MAIN"\n', "line 3", "station.warehous: unknown key"),
        ('[station]\nname = 5\n', "line 2", "station.name: must be str"),
        ('[[scanners]]\nname = "s"\nlayout = "dvorak"\n', "line 3", "scanners (entry 1).layout: must be one of"),
        ('[printers]\nname = "p"\n', "line 1", "printers: must be a list"),
        ('[station\nname = "x"\n', "line 1", ""),
    ],
)
def test_errors_are_bad_config_naming_the_key_and_its_line(tmp_path, toml, where, words):
    path = tmp_path / "station.toml"
    path.write_text(toml)
    with pytest.raises(KioskError) as caught:
        config.load(path)
    assert caught.value.code == "bad_config"
    assert where in caught.value.message and words in caught.value.message


def test_a_missing_explicit_file_is_bad_config(tmp_path):
    with pytest.raises(KioskError) as caught:
        config.load(tmp_path / "nope.toml")
    assert caught.value.code == "bad_config"


@pytest.mark.parametrize(
    "toml, expected",
    [
        ('[station]\nname = "a"\n\n[[scanners]]\nname = 5\n', ", line 5: scanners (entry 1).name: must be str"),
        (
            '[[scanners]]\nname = "a"\nlayout = "us"\n\n[[scanners]]\nname = "b"\nlayout = "dvorak"\n',
            ", line 7: scanners (entry 2).layout: must be one of",
        ),
        ('[[printers]]\nname = "a"\n\n[[printers]]\nname = "b"\nkind = "fax"\n', ", line 6: printers (entry 2).kind"),
    ],
)
def test_an_error_in_a_list_of_tables_names_the_entry_and_its_own_line(tmp_path, toml, expected):
    path = tmp_path / "station.toml"
    path.write_text(toml)
    with pytest.raises(KioskError) as caught:
        config.load(path)
    assert expected in caught.value.message
