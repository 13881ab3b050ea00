"""The ``kiosk`` command line: a thin layer over ``kiosk.model.api.Ledger``.

Global options come before the command. Every failure is an error code and one
line (or one JSON value with ``--json``), never a traceback; see SPEC §5 for the
exit statuses. Command modules import their heavy dependencies inside the handlers,
so ``kiosk --help`` and the posting commands do not pay for Textual or escpos.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..model.errors import KioskError
from .context import Context

DESCRIPTION = """\
kiosk: the serial-number station.

Run with no command to open the full-screen station. Every other command works on
the same database and prints readable text, or one JSON value with --json.
"""

EPILOG = """\
examples:
  kiosk demo                                   open the station on a demo database
  kiosk --db sqlite:///shop.db warehouse add MAIN --name "Main store"
  kiosk item add PHN-100 --name "Phone" --serial --barcode 6901234567892
  echo '{"type":"purchase","warehouse":"MAIN","lines":[{"sku":"PHN-100","serials":"SN1 SN2"}]}' \\
      | kiosk --json doc post -
  kiosk serials history SN1

database: --db URL, else $KIOSK_DB, else [database] url in the config file, else an
SQLite file in the user's data directory. exit status: 0 done, 1 refused by a rule,
2 bad request or config, 3 database unavailable.
"""


class ParserError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting with its own status."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        raise ParserError(f"{message} (see '{self.prog} --help')")


def build_parser() -> Parser:
    from . import (
        audit_cmds,
        doctor_cmds,
        ledger_cmds,
        printer_cmds,
        scanner_cmds,
        station_cmds,
    )

    parser = Parser(prog="kiosk", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--db", metavar="URL", help="sqlite:///PATH or postgresql://USER@HOST/NAME")
    parser.add_argument("--config", metavar="PATH", help="station TOML file (default: $KIOSK_CONFIG, then ~/.config/kiosk/station.toml)")
    parser.add_argument("--json", action="store_true", help="print one JSON value on stdout")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    station_cmds.register(sub)
    ledger_cmds.register(sub)
    scanner_cmds.register(sub)
    printer_cmds.register(sub)
    audit_cmds.register(sub)
    doctor_cmds.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show a character gets it escaped
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    ctx = Context(json=_wants_json(argv))
    undecodable = [arg for arg in argv if any("\udc80" <= ch <= "\udcff" for ch in arg)]
    if undecodable:  # bytes that are not UTF-8, as Python hands them over (surrogateescape)
        return ctx.fail(KioskError("bad_request", f"an argument is not UTF-8 text: {undecodable[0]!r}"))
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except ParserError as exc:
        return ctx.fail(KioskError("bad_request", str(exc)))
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    ctx.json, ctx.db_url, ctx.config_path = args.json, args.db, args.config
    from .. import logs

    logs.setup()  # before any handler runs: log records go to a rotating file, never the screen
    handler = getattr(args, "handler", None)
    if handler is None:
        from . import station_cmds

        handler = station_cmds.run
        args.station = None
    try:
        return handler(ctx, args) or 0
    except KioskError as exc:
        return ctx.fail(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # pragma: no cover - e.g. `kiosk serials search | head`
        return 0
    except Exception as exc:  # the last resort: a message and a log entry, never a traceback
        return ctx.fail(_unexpected(exc))
    finally:
        if "kiosk.model.db" in sys.modules:
            sys.modules["kiosk.model.db"].close()


def _unexpected(exc: Exception) -> KioskError:
    import peewee

    if isinstance(exc, peewee.OperationalError | peewee.InterfaceError):
        from ..model.db import unavailable

        return unavailable(exc)
    where = _log_traceback()
    return KioskError(
        "internal_error", f"unexpected error: {type(exc).__name__}: {exc} (a bug: please report it{where})"
    )


def _log_traceback() -> str:
    """Keep the traceback for the bug report in the user's log file, never on the terminal."""
    import datetime as dt
    import traceback

    from ..logs import log_dir

    try:
        path = log_dir() / "errors.log"  # beside kiosk.log: $KIOSK_LOG_DIR, else the user's log directory
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"{dt.datetime.now(dt.UTC).isoformat()} kiosk {sys.argv[1:]!r}\n{traceback.format_exc()}\n")
    except OSError:
        return ""
    return f"; details in {path}"


def _wants_json(argv: list[str]) -> bool:
    """``--json`` as a global option, found even when the rest does not parse."""
    args = iter(argv)
    for arg in args:
        if arg == "--json":
            return True
        if arg in ("--db", "--config"):
            next(args, None)  # its value, which may be anything
        elif arg == "--" or not arg.startswith("-"):
            return False
    return False
