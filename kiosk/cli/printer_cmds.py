"""labels and printers commands (SPEC §5): previews, printing and the print queue.

``labels print`` stores one job per serial in the print queue, then tries to send
them at once. A printer that is off, unreachable or out of paper keeps them queued:
that is reported (``queued`` and ``problem``) with exit status 0, because nothing is
lost; they print when a station's print worker, ``kiosk printers queue --retry`` or
the next print reaches the printer. Unknown serials are ``unknown_serial`` and no
job is stored. No printer for the role in the config is ``bad_config``; an unknown
``--printer NAME`` is ``bad_request``.
"""

from __future__ import annotations

from argparse import Namespace

from .context import Context, safe, table
from .ledger_cmds import _action, _group


def register(sub) -> None:
    _labels(sub)
    _printers(sub)


def printing(ctx: Context):
    from ..hardware.printing import Printing

    return Printing(ctx.config, ctx.ledger)


def copies(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"copies must be 1 to 100; got {value}")
    return value


# ---------------------------------------------------------------- labels


def _labels(sub) -> None:
    _, actions = _group(
        sub, "labels", "preview and print serial labels (Code128, SKU, item name)",
        "  kiosk labels preview PHN100-0001 --out label.png\n"
        "  kiosk labels print PHN100-0001 PHN100-0002 --copies 2\n"
        "  kiosk labels print --carton CTN-0001",
    )
    p = _action(actions, "preview", labels_preview, "write the label exactly as it prints, as PNG or SVG",
                "kiosk labels preview PHN100-0001 --out label.png")
    p.add_argument("serial")
    p.add_argument("--out", required=True, metavar="FILE.png|FILE.svg")
    p.add_argument("--printer", metavar="NAME", help="lay out for this printer (default: the labels printer)")
    p.add_argument("--carton", action="store_true", help="SERIAL is a carton code: its carton label")
    p = _action(actions, "print", labels_print,
                "queue labels and send them now; a printer that is down keeps them queued (exit 0)",
                "kiosk labels print PHN100-0001 PHN100-0002 --printer dock --copies 2")
    p.add_argument("serials", nargs="+", metavar="SERIAL", help="serials that start with '-' go after --")
    p.add_argument("--printer", metavar="NAME", help="default: the printer whose role is labels or both")
    p.add_argument("--copies", type=copies, default=1, metavar="N", help="labels per serial (1-100)")
    p.add_argument("--carton", action="store_true", help="the codes are cartons: print carton labels")


def labels_preview(ctx: Context, args: Namespace) -> None:
    service = printing(ctx)
    if args.carton:
        result = service.preview_carton_label(args.serial, args.out, args.printer)
    else:
        result = service.preview_label(args.serial, args.out, args.printer)
    ctx.emit(result, lambda v: f"wrote {safe(v['out'])} ({v['width_dots']}×{v['height_dots']} dots, {v['render']})")


def labels_print(ctx: Context, args: Namespace) -> None:
    service = printing(ctx)
    if args.carton:
        reports = [service.print_carton_label(code, args.printer, args.copies) for code in args.serials]
        result = {key: reports[-1][key] for key in ("printer", "problem")}
        result.update(printed=sum(r["printed"] for r in reports), queued=sum(r["queued"] for r in reports),
                      jobs=[j for r in reports for j in r["jobs"]])
    else:
        result = service.print_labels(args.serials, args.printer, args.copies)
    ctx.emit(result, print_text)


def print_text(report: dict) -> str:
    text = f"printer {safe(report['printer'])}: {report['printed']} printed"
    if report["queued"]:
        text += (
            f", {report['queued']} queued ({safe(report['problem'] or 'not sent yet')}); "
            "they print when the printer is back (see kiosk printers queue)"
        )
    return text


# ---------------------------------------------------------------- printers


def _printers(sub) -> None:
    _, actions = _group(
        sub, "printers", "list printers, print a test page, show and retry the print queue",
        "  kiosk printers list\n  kiosk printers test dock\n  kiosk printers queue --retry\n"
        "  kiosk printers receipt SAL-000001 --out receipt.png",
    )
    _action(actions, "list", printers_list, "the configured printers, asked for their state now, and their queues",
            "kiosk printers list")
    p = _action(actions, "test", printers_test, "print a test page (settings, code page, a sample label)",
                "kiosk printers test dock")
    p.add_argument("name")
    p = _action(actions, "queue", printers_queue, "jobs not printed yet, and each printer's state",
                "kiosk printers queue --retry")
    p.add_argument("--retry", action="store_true", help="send waiting and failed jobs now")
    p.add_argument("--all", action="store_true", help="include the latest printed jobs")
    p = _action(actions, "receipt", printers_receipt, "print a document's receipt again, or preview it (--out)",
                "kiosk printers receipt SAL-000001 --out receipt.png")
    p.add_argument("number")
    p.add_argument("--printer", metavar="NAME", help="default: the printer whose role is receipts or both")
    p.add_argument("--out", metavar="FILE.png", help="write a preview instead of printing")


def _address(printer) -> str:
    return {
        "network": f"{printer.host}:{printer.port}",
        "file": printer.path,
        "serial": f"{printer.device} @{printer.baudrate}",
        "cups": printer.queue,
        "usb": f"{printer.vendor_id or 0:04x}:{printer.product_id or 0:04x}",
    }[printer.kind]


def printers_list(ctx: Context, args: Namespace) -> None:
    """Each printer is asked for its state now (DLE EOT where it answers)."""
    service = printing(ctx)
    for printer in ctx.config.printers:
        service.queue.probe(printer.name)
    state = {row["printer"]: row for row in service.queue.status()}
    rows = [
        {
            "name": p.name, "kind": p.kind, "role": p.role, "profile": p.profile or "default", "address": _address(p),
            **{k: state[p.name][k] for k in ("state", "paper", "queued", "failed", "problem")},
        }
        for p in ctx.config.printers
    ]
    ctx.emit({"results": rows})


def printers_test(ctx: Context, args: Namespace) -> None:
    ctx.emit(printing(ctx).print_test(args.name), print_text)


def printers_queue(ctx: Context, args: Namespace) -> None:
    service = printing(ctx)
    if args.retry:
        service.queue.retry()
        service.queue.send_due(force=True)
    value = {"printers": service.queue.status(), "jobs": service.queue.jobs(include_done=args.all)}
    ctx.emit(value, queue_text)


def queue_text(value: dict) -> str:
    printers = table(value["printers"], ["printer", "state", "queued", "failed", "paper", "next_try_at", "problem"])
    jobs = table(value["jobs"], ["id", "printer", "kind", "title", "status", "attempts", "created_at", "last_error"])
    return f"{printers}\n\njobs:\n{jobs}"


def printers_receipt(ctx: Context, args: Namespace) -> None:
    service = printing(ctx)
    if args.out:
        ctx.emit(service.preview_receipt(args.number, args.out, args.printer), lambda v: f"wrote {safe(v['out'])}")
    else:
        ctx.emit(service.print_receipt(args.number, args.printer), print_text)
