"""Bad input, bad configuration and unreachable databases: an error code, an exit
status and one readable line, never a traceback, never a raw control sequence."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest

from tests.functional.conftest import doc, line
from tests.pg import free_port

PURCHASE = doc("purchase", line(serials=["N1"]))


def document_file(content: bytes | str | dict | list):
    def make(tmp_path):
        path = tmp_path / "input.json"
        data = content if isinstance(content, (bytes, str)) else json.dumps(content)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return ("doc", "post", str(path)), {}

    return make


def command(*args: str, db: str | None = "default"):
    return lambda tmp_path: (args, {"db": db})


def config_file(text: str):
    def make(tmp_path):
        path = tmp_path / "station.toml"
        path.write_text(text)
        return ("--config", str(path), "warehouse", "list"), {"db": None}

    return make


def _garbage(tmp_path):
    path = tmp_path / "not-a-database.db"
    path.write_bytes(b"this is not SQLite" * 1000)
    return path


CASES = {
    # bad_request, exit 2
    "no such file": (lambda tmp_path: (("doc", "post", str(tmp_path / "missing.json")), {}), "bad_request"),
    "a directory": (lambda tmp_path: (("doc", "post", str(tmp_path)), {}), "bad_request"),
    "empty file": (document_file(""), "bad_request"),
    "malformed JSON": (document_file('{"type": "purchase", '), "bad_request"),
    "malformed JSON Lines": (document_file(json.dumps(PURCHASE) + "\n{oops}\n"), "bad_request"),
    "not an object": (document_file("[1]"), "bad_request"),
    "empty array": (document_file("[]"), "bad_request"),
    "unknown type": (document_file({**PURCHASE, "type": "gift"}), "bad_request"),
    "missing warehouse": (document_file({"type": "purchase", "lines": PURCHASE["lines"]}), "bad_request"),
    "missing lines": (document_file({"type": "purchase", "warehouse": "MAIN"}), "bad_request"),
    "qty as string": (document_file(doc("purchase", line(qty="2"))), "bad_request"),
    "qty zero": (document_file(doc("purchase", line(qty=0))), "bad_request"),
    "qty NaN": (document_file('{"type":"purchase","warehouse":"MAIN","lines":[{"sku":"PHN","qty":NaN}]}'), "bad_request"),
    "qty of 5000 digits": (document_file('{"type":"purchase","warehouse":"MAIN","lines":[{"sku":"CBL","qty":1%s}]}' % ("0" * 5000)), "bad_request"),
    "unknown unit": (document_file(doc("purchase", line("CBL", qty=1, unit="crate"))), "bad_request"),
    "serials as number": (document_file(doc("purchase", line(serials=5))), "bad_request"),
    "serials on a plain item": (document_file(doc("purchase", line("CBL", serials=["X1"]))), "bad_request"),
    "not UTF-8": (document_file(b'{"type": "purchase", "partner": "\xff\xfe"}'), "bad_request"),
    "deeply nested": (document_file("[" * 200_000 + "]" * 200_000), "bad_request"),
    "deeply nested line": (document_file(json.dumps(PURCHASE) + "\n" + '{"a":' * 200_000 + "\n"), "bad_request"),
    "unknown option": (command("--bogus", "warehouse", "list"), "bad_request"),
    "unknown command": (command("frobnicate"), "bad_request"),
    "bad limit": (command("serials", "search", "--limit", "many"), "bad_request"),
    "negative limit": (command("doc", "list", "--limit", "-1"), "bad_request"),
    "offset past any database's": (command("serials", "search", "--offset", "9" * 20), "bad_request"),
    "until past the year 9999": (command("doc", "list", "--until", "9999-12-31"), "bad_request"),
    # refused by a rule, exit 1
    "2000 serials": (document_file(doc("purchase", line(serials=[f"S{n}" for n in range(2000)]))), "too_many_serials"),
    "escape in a serial": (document_file(doc("purchase", line(serials=["OK", "A\x1b[2JB"]))), "invalid_serial"),
    "unknown item": (document_file(doc("purchase", line("NOPE\x1b[31m", qty=1))), "unknown_item"),
    "unknown warehouse": (document_file({**PURCHASE, "warehouse": "EAST"}), "unknown_warehouse"),
    # bad_config, exit 2
    "mysql URL": (command("warehouse", "list", db="mysql://x"), "bad_config"),
    "sqlite URL without a path": (command("warehouse", "list", db="sqlite://"), "bad_config"),
    "in-memory sqlite": (command("warehouse", "list", db="sqlite:///:memory:"), "bad_config"),
    "port that is no number": (command("warehouse", "list", db="postgresql://u@localhost:port/x"), "bad_config"),
    "config that is no TOML": (config_file("[database\nurl = "), "bad_config"),
    "config with an unknown key": (config_file("[database]\nurl = 'sqlite:///x.db'\nuser = 'me'\n"), "bad_config"),
    "config with a wrong type": (config_file("[database]\nurl = 5\n"), "bad_config"),
    "missing config": (lambda tmp_path: (("--config", str(tmp_path / "nope.toml"), "warehouse", "list"), {"db": None}), "bad_config"),
    # db_unavailable, exit 3
    "a file that is no database": (lambda tmp_path: (("warehouse", "list"), {"db": f"sqlite:///{_garbage(tmp_path)}"}), "db_unavailable"),
    "closed port": (lambda tmp_path: (("warehouse", "list"), {"db": f"postgresql://kiosk@127.0.0.1:{free_port()}/kiosk"}), "db_unavailable"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_an_error_code_and_one_line_never_a_traceback(kiosk, stocked, tmp_path, case):
    make, code = CASES[case]
    args, kwargs = make(tmp_path)
    as_json = kiosk.refused(*args, code=code, **kwargs)
    if "posted" in as_json.value:
        assert as_json.value["posted"] == []
    readable = kiosk.refused(*args, code=code, json_out=False, **kwargs)
    assert readable.out == ""
    with sqlite3.connect(stocked.removeprefix("sqlite:///")) as conn:  # nothing was written
        assert conn.execute("SELECT count(*) FROM document").fetchone() == (1,)
    conn.close()


def test_a_50_megabyte_garbage_file_is_a_bad_request(kiosk, stocked, tmp_path):
    garbage = tmp_path / "garbage.bin"
    with garbage.open("wb") as fh:
        for _ in range(50):
            fh.write(os.urandom(1 << 20))
    kiosk.refused("doc", "post", str(garbage), code="bad_request")
    text = tmp_path / "garbage.txt"  # valid UTF-8 this time, still no JSON
    text.write_bytes(b"{" + b"x" * (50 << 20))
    kiosk.refused("doc", "post", str(text), code="bad_request", json_out=False)


def test_control_characters_never_reach_the_terminal(kiosk, stocked, tmp_path):
    name = "x\x1b[31mred\x07"
    kiosk.refused("item", "add", "ESC", "--name", name, code="bad_request", json_out=False)
    # such a name can still come from elsewhere (another tool writing the database, an import)
    with sqlite3.connect(stocked.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE item SET name = ? WHERE sku = 'PHN'", (name + " 手机",))
    conn.close()
    ascii_terminal = kiosk("item", "show", "PHN", json_out=False, env={"PYTHONIOENCODING": "ascii"})
    assert ascii_terminal.status == 0 and r"x\x1b[31mred\x07 \u624b\u673a" in ascii_terminal.out
    partner = name + "y" * 500
    [posted] = kiosk.post(doc("sale", line(serials=["PHN-001"]), partner=partner)).value["posted"]
    assert posted["partner"] == partner  # --json keeps the text exact (escaped by JSON itself)
    for args in (("item", "show", "PHN"), ("item", "list"), ("serials", "search", "--limit", "3"), ("doc", "show", posted["number"]), ("doc", "list")):
        out = kiosk(*args, json_out=False).out
        assert "\x1b" not in out and "\x07" not in out, args
        assert r"x\x1b[31mred\x07" in out, (args, out)
        if args[-1] == "list":  # tables cut long cells
            assert max(map(len, out.splitlines())) < 250, out


def test_the_database_is_the_db_option_else_kiosk_db_else_the_config_file(kiosk, tmp_path):
    urls = {name: f"sqlite:///{tmp_path / name}.db" for name in ("option", "env", "config")}
    config = tmp_path / "config" / "kiosk" / "station.toml"  # the default config path under XDG_CONFIG_HOME
    config.parent.mkdir(parents=True)
    config.write_text(f"[database]\nurl = '{urls['config']}'\n")
    env = {"KIOSK_DB": urls["env"]}
    kiosk.ok("warehouse", "add", "OPT", db=urls["option"], env=env)
    kiosk.ok("warehouse", "add", "ENV", db=None, env=env)
    kiosk.ok("warehouse", "add", "CFG", db=None)
    kiosk.ok("warehouse", "add", "DEF", db=None, env={"XDG_CONFIG_HOME": str(tmp_path / "elsewhere")})
    named = tmp_path / "named.toml"  # KIOSK_CONFIG names the config file
    named.write_text(f"[database]\nurl = 'sqlite:///{tmp_path}/named.db'\n")
    kiosk.ok("warehouse", "add", "NAM", db=None, env={"KIOSK_CONFIG": str(named)})
    default = tmp_path / "data" / "kiosk" / "kiosk.db"  # the user's data directory
    for path, code in ((f"{tmp_path}/option.db", "OPT"), (f"{tmp_path}/env.db", "ENV"), (f"{tmp_path}/config.db", "CFG"), (default, "DEF"), (f"{tmp_path}/named.db", "NAM")):
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT code FROM warehouse").fetchall() == [(code,)], path
        conn.close()


def test_help_for_every_command_has_an_example(kiosk):
    top = kiosk("--help", json_out=False, db=None)
    assert top.status == 0 and "example" in top.out and top.err == ""
    as_module = subprocess.run([sys.executable, "-m", "kiosk", "--help"], capture_output=True, text=True, timeout=60)
    assert as_module.returncode == 0 and as_module.stdout == top.out
    # every subcommand, each through the real entry point, in one process to keep the suite fast
    walk = r'''
import argparse, contextlib, io, json
from kiosk.cli import build_parser, main

def commands(parser, prefix):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield prefix + [name]
                yield from commands(sub, prefix + [name])

found = {}
for argv in commands(build_parser(), []):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv + ["--help"])
    found[" ".join(argv)] = [status, out.getvalue()]
print(json.dumps(found))
'''
    proc = subprocess.run([sys.executable, "-c", walk], capture_output=True, text=True, timeout=60, env=kiosk.env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    found = json.loads(proc.stdout)
    assert {"doc post", "serials search", "item add", "db backup", "demo"} <= set(found)
    assert len(found) >= 30
    for name, (status, text) in found.items():
        assert status == 0 and "example" in text and f"kiosk {name}" in text, name


def test_an_unexpected_failure_is_one_line_and_the_traceback_goes_to_the_log(kiosk, sqlite_url, tmp_path):
    broken = (
        "import sys\n"
        "from kiosk.model import api\n"
        "def boom(self):\n"
        "    raise RuntimeError('disk on fire')\n"
        "api.Ledger.settings = boom\n"
        "from kiosk.cli import main\n"
        f"sys.exit(main(['--db', {sqlite_url!r}, 'settings', 'show']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", broken], capture_output=True, text=True, timeout=60, env=kiosk.env)
    assert proc.returncode == 70 and proc.stdout == ""
    assert re.fullmatch(r"kiosk: internal_error: unexpected error: RuntimeError: disk on fire .*\n", proc.stderr)
    log = tmp_path / "state" / "kiosk" / "log" / "errors.log"
    assert str(log) in proc.stderr and "Traceback" in log.read_text() and "disk on fire" in log.read_text()


def test_text_no_database_can_store_is_a_bad_request(kiosk, ledger, db_url):
    """NUL (PostgreSQL refuses it) and bytes that are not UTF-8 never reach the database."""
    from kiosk.model.catalog import ItemSpec

    ledger.add_warehouse("MAIN")
    ledger.add_item(ItemSpec("PHN", "Phone", serial=True))
    for document, code in (
        (doc("purchase", line(serials=["N1"]), note="a\x00b"), "bad_request"),
        (doc("purchase", line("PHN\x00", qty=1)), "bad_request"),
        (doc("purchase", line(serials=["N1"]), partner="\ud800"), "bad_request"),
        (doc("purchase", line(cartons=["CTN\x00"])), "unknown_carton"),
        (doc("purchase", line(serials=["N\x00"])), "invalid_serial"),
    ):
        kiosk.refused("doc", "post", "-", stdin=json.dumps(document), code=code, db=db_url)
    for args in (("serials", "history", b"SN\xff"), ("item", "show", b"\xed\xa0\x80")):
        kiosk.refused(*args, code="bad_request", db=db_url)
        kiosk.refused(*args, code="bad_request", db=db_url, json_out=False)
