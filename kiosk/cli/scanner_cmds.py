"""scanners list, watch and decode: set up and check the station's scanners (SPEC §5, §7).

Scanned text is data from outside: readable output passes it through ``safe`` so a
scan never reaches the terminal as a control sequence (a GS shows as ``\\x1d``).
"""

from __future__ import annotations

import json
import os
import threading
from argparse import Namespace

from ..config import LAYOUTS, ScannerConfig
from ..model.errors import KioskError
from .context import Context, safe, table


def register(sub) -> None:
    parser = sub.add_parser(
        "scanners", help="list, watch and test barcode scanners",
        description="Find the scanners under /dev/input, print live scans, or decode a recorded capture.",
        epilog="examples:\n  kiosk scanners list\n  kiosk scanners watch\n"
        "  evemu-record /dev/input/event5 > scan.evemu; kiosk --json scanners decode scan.evemu",
    )
    actions = parser.add_subparsers(dest="scanners_command", metavar="ACTION", required=True)

    _action(actions, "list", scanners_list, "list /dev/input nodes: name, path, vendor:product, scanner?, readable?",
            "kiosk scanners list")

    p = _action(actions, "watch", scanners_watch, "print live scans, one per line (JSON lines with --json); Ctrl+C ends",
                "kiosk scanners watch --device /dev/input/by-id/usb-SM-2D_PRODUCT-event-kbd")
    p.add_argument("--device", action="append", default=[], metavar="PATH", help="read this node (a by-id glob, a name or vendor:product also work)")
    p.add_argument("--layout", choices=LAYOUTS, default="us", help="keyboard layout for --device (default: us)")
    p.add_argument("--no-grab", action="store_true", help="do not take the device for ourselves")
    p.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds")

    p = _action(actions, "decode", scanners_decode, "decode an evemu-record capture into scans, as the station would",
                "kiosk --json scanners decode scan.evemu --layout de")
    p.add_argument("capture", help="an evemu-record file")
    p.add_argument("--layout", choices=LAYOUTS, default="us", help="the layout the scanner is programmed for (default: us)")
    p.add_argument("--terminator", action="append", metavar="KEY", help="end-of-scan key, e.g. KEY_TAB (default: KEY_ENTER and KEY_KPENTER)")
    p.add_argument("--timeout-ms", type=int, default=200, help="drop a half scan after this pause (default: 200)")


def _action(actions, name: str, handler, help: str, example: str):
    parser = actions.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}")
    parser.set_defaults(handler=handler)
    return parser


# ---------------------------------------------------------------- list


def scanners_list(ctx: Context, args: Namespace) -> None:
    from ..hardware import scanners

    found = scanners.list_candidates(_input_dir(), configs=ctx.config.scanners)
    value: dict = {"results": [c.as_json() for c in found]}
    hint = _list_hint(found)
    if hint:
        value["hint"] = hint
    ctx.emit(value, _list_text)


def _input_dir() -> str:
    """``$KIOSK_INPUT_DIR`` (a container may mount the host's input nodes elsewhere), else /dev/input."""
    from ..hardware.scanners import INPUT_DIR

    return os.environ.get("KIOSK_INPUT_DIR") or INPUT_DIR


def _list_hint(found) -> str | None:
    from ..hardware.scanners import NO_INPUT_HINT

    if not found:
        return NO_INPUT_HINT.format(dir=_input_dir())
    if any(c.denied for c in found):
        return "some nodes may not be read by this user: see config/99-kiosk-scanners.rules"
    if not any(c.scanner or c.config for c in found):
        return "no node looks like a scanner: set the scanner to USB keyboard emulation, or name it in [[scanners]] match"
    return None


def _list_text(value: dict) -> str:
    rows = [
        {
            "path": r["path"], "name": r["name"], "vendor:product": r["vendor_product"],
            "scanner": r["scanner"], "readable": r["readable"], "config": r["config"],
        }
        for r in value["results"]
    ]
    lines = [table(rows)]
    lines += [f"  {safe(r['path'])}: {safe(r['problem'])}" for r in value["results"] if r["problem"]]
    if value.get("hint"):
        lines.append(f"hint: {value['hint']}")
    return "\n".join(lines)


# ---------------------------------------------------------------- watch


def scanners_watch(ctx: Context, args: Namespace) -> int:
    from ..hardware import scanners

    configs = [
        ScannerConfig(name=path, match=path, layout=args.layout, grab=not args.no_grab) for path in args.device
    ] or list(ctx.config.scanners)
    if not configs:  # nothing configured: every node that looks like a scanner
        configs = [
            ScannerConfig(name=c.name or c.path, match=c.path, layout=args.layout, grab=not args.no_grab)
            for c in scanners.list_candidates(_input_dir())
            if c.scanner and c.readable
        ]
    if not configs:  # nothing to wait for: say why and how to go on
        print(
            f"kiosk: no scanner to watch: none configured ([[scanners]]), none given with --device, and no node "
            f"under {_input_dir()} looks like a scanner (see 'kiosk scanners list')",
            file=ctx.err,
        )
        return 0
    return watch(ctx, configs, args.seconds, input_dir=_input_dir())


def watch(ctx: Context, configs, seconds: float | None, **hub_options) -> int:
    """Print every scan and status change until Ctrl+C (or ``seconds``)."""
    from ..hardware.scanners import ScannerHub

    lock = threading.Lock()

    def out(value: dict, text: str, stream) -> None:
        with lock:
            print(json.dumps(value, ensure_ascii=True) if ctx.json else text, file=ctx.out if ctx.json else stream, flush=True)

    def on_scan(scan) -> None:
        where = {"scanner": scan.scanner, "device": scan.device, "mode": scan.mode}
        if scan.ok:
            out({"scan": scan.text, **where}, safe(scan.text), ctx.out)
        else:
            out({"dropped": scan.dropped, "partial": scan.text, **where}, f"kiosk: {safe(scan.scanner)}: {safe(scan.dropped)}", ctx.err)

    def on_status(status) -> None:
        value = {"status": status.state, "scanner": status.scanner, "device": status.device, "message": status.message}
        out(value, f"kiosk: {safe(status.scanner)}: {status.state}: {safe(status.message)}", ctx.err)

    hub = ScannerHub(configs, on_scan, on_status, **hub_options)
    hub.start()
    try:
        threading.Event().wait(seconds)
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
    return 0


# ---------------------------------------------------------------- decode


def scanners_decode(ctx: Context, args: Namespace) -> int:
    from ..hardware import evemu
    from ..hardware.decoder import DEFAULT_TERMINATORS, decode_events

    if args.timeout_ms <= 0:
        raise KioskError("bad_request", f"--timeout-ms must be a positive number of milliseconds; got {args.timeout_ms}")
    capture = evemu.read(args.capture)
    try:
        found = decode_events(
            capture.events, layout_name=args.layout, terminators=args.terminator or DEFAULT_TERMINATORS,
            timeout_ms=args.timeout_ms,
        )
    except KioskError as exc:  # an unknown --terminator is the user's request, not the config
        raise KioskError("bad_request", exc.message) from None
    value: dict = {"scans": [s.text for s in found if s.ok]}
    dropped = [{"partial": s.text, "reason": s.dropped} for s in found if not s.ok]
    if dropped:
        value["dropped"] = dropped
    if not ctx.json:
        for drop in dropped:
            print(f"kiosk: dropped '{safe(drop['partial'])}': {drop['reason']}", file=ctx.err)
    ctx.emit(value, lambda v: "\n".join(safe(scan) for scan in v["scans"]))
    return 0
