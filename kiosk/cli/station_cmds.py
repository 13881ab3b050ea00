"""run and demo: the full-screen station."""

from __future__ import annotations

import tempfile
from argparse import Namespace

from .context import Context


def register(sub) -> None:
    p = sub.add_parser(
        "run", help="the full-screen station (also: kiosk with no command)",
        description="Open the full-screen station on the configured database.",
        epilog="example:\n  kiosk --config /etc/kiosk/station.toml run --station dock-1",
    )
    p.add_argument("--station", metavar="NAME", help="station name (default: [station] name, else the host name)")
    p.set_defaults(handler=run)
    p = sub.add_parser(
        "demo", help="the station on a ready demo database",
        description="Open the station signed in as operator 'demo' on a demo database: the one --db names "
        "(filled when empty), else a fresh file. Operator demo has PIN 1234, supervisor boss has PIN 9999.",
        epilog="example:\n  kiosk demo\n  kiosk --db sqlite:///demo.db demo",
    )
    p.set_defaults(handler=demo)


def run(ctx: Context, args: Namespace) -> int:
    from ..model.api import Ledger

    ctx.connect()
    station = args.station or ctx.config.station.name
    return _open(ctx, Ledger(station=station, operator=""), None)


def demo(ctx: Context, args: Namespace) -> int:
    from .. import demo as demo_data
    from ..model.api import Ledger

    if not ctx.db_url:
        handle = tempfile.NamedTemporaryFile(prefix="kiosk-demo-", suffix=".db", delete=False)
        handle.close()
        ctx.db_url = f"sqlite:///{handle.name}"
    ctx.connect()
    ledger = Ledger(station=demo_data.DEMO_STATION, operator="demo")
    demo_data.fill(ledger)
    return _open(ctx, ledger, "demo")


def _open(ctx: Context, ledger, operator: str | None) -> int:
    """Build the station's services from the config and hand them to the app."""
    from ..hardware.printing import Printing
    from ..hardware.scanners import ScannerHub
    from ..model import catalog
    from ..screens.app import StationApp, StationInfo

    config = ctx.config
    catalog.warehouse(config.station.warehouse)  # unknown_warehouse before the screen opens
    info = StationInfo(
        name=ledger.station,
        warehouse=config.station.warehouse,
        operator=operator,
        locked_mode=config.station.mode,
        scanners=[s.name for s in config.scanners],
        printers=[p.name for p in config.printers],
    )
    printing = Printing(config, ledger) if config.printers else None
    scanners = None
    if config.scanners:
        def scanners(on_scan, on_status):
            return ScannerHub(config.scanners, on_scan=on_scan, on_status=on_status)
    StationApp(ledger, info, printing=printing, scanners=scanners).run()
    return 0
