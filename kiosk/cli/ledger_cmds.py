"""settings, warehouse, item, carton, doc, serials and db commands (SPEC §5)."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentTypeError, Namespace
from pathlib import Path

from ..model.errors import KioskError
from .context import Context, cell, safe, table

MAX_LIMIT = 100_000
MAX_OFFSET = 2**62  # what every database's LIMIT/OFFSET takes


def whole(low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high`` (else ``bad_request``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise ArgumentTypeError(f"a whole number from {low} to {high}; got {text[:40]!r}")
        return value

    parse.__name__ = "number"
    return parse


def register(sub) -> None:
    _settings(sub)
    _warehouse(sub)
    _item(sub)
    _carton(sub)
    _doc(sub)
    _serials(sub)
    _db(sub)


def _group(sub, name: str, help: str, epilog: str):
    parser = sub.add_parser(name, help=help, description=help, epilog="examples:\n" + epilog)
    return parser, parser.add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)


def _action(sub, name: str, handler, help: str, example: str):
    parser = sub.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}")
    parser.set_defaults(handler=handler)
    return parser


# ---------------------------------------------------------------- settings


def _settings(sub) -> None:
    _, actions = _group(
        sub, "settings", "show or change the global settings",
        "  kiosk settings show\n  kiosk settings set serial-management off",
    )
    _action(actions, "show", lambda ctx, a: ctx.emit(ctx.ledger.settings()), "show the settings", "kiosk settings show")
    p = _action(actions, "set", settings_set, "change a setting", "kiosk settings set serial-management on")
    p.add_argument("name", choices=["serial-management"])
    p.add_argument("value", choices=["on", "off"])


def settings_set(ctx: Context, args: Namespace) -> None:
    ctx.emit(ctx.ledger.set_serial_management(args.value == "on"))


# ---------------------------------------------------------------- warehouses


def _warehouse(sub) -> None:
    _, actions = _group(
        sub, "warehouse", "add and list warehouses",
        '  kiosk warehouse add MAIN --name "Main store"\n  kiosk warehouse list',
    )
    p = _action(actions, "add", warehouse_add, "add a warehouse", 'kiosk warehouse add WEST --name "West depot"')
    p.add_argument("code", help="a short code, e.g. MAIN")
    p.add_argument("--name", default="")
    _action(actions, "list", lambda ctx, a: ctx.emit({"results": ctx.ledger.warehouses()}), "list warehouses", "kiosk warehouse list")


def warehouse_add(ctx: Context, args: Namespace) -> None:
    ctx.emit(ctx.ledger.add_warehouse(args.code, args.name))


# ---------------------------------------------------------------- items


def _item(sub) -> None:
    _, actions = _group(
        sub, "item", "add, show and list items; turn serial management on or off",
        '  kiosk item add PHN-100 --name "Phone" --serial --pack box=10 --barcode 6901234567892\n'
        "  kiosk item show PHN-100\n  kiosk item serial on PHN-100 TAB-200",
    )
    p = _action(actions, "add", item_add, "add an item", 'kiosk item add CBL-1 --name "USB cable" --unit pcs --pack box=50')
    p.add_argument("sku")
    p.add_argument("--name", required=True)
    p.add_argument("--unit", default="pcs", help="base unit (default: pcs)")
    p.add_argument("--pack", action="append", default=[], metavar="UNIT=FACTOR", help="a pack unit, e.g. box=12")
    p.add_argument("--barcode", action="append", default=[], metavar="CODE", help="an EAN/GTIN or other item barcode")
    for flag in ("serial", "batch", "shelf-life", "bundle"):
        p.add_argument(f"--{flag}", action="store_true")
    p = _action(actions, "show", lambda ctx, a: ctx.emit(ctx.ledger.item(a.sku), show_item), "show an item and its stock", "kiosk item show PHN-100")
    p.add_argument("sku")
    _action(actions, "list", lambda ctx, a: ctx.emit({"results": ctx.ledger.items()}), "list items", "kiosk item list")
    p = _action(actions, "serial", item_serial, "turn serial management on or off for items, all or none", "kiosk item serial on PHN-100 TAB-200")
    p.add_argument("state", choices=["on", "off"])
    p.add_argument("skus", nargs="+", metavar="SKU")


def item_add(ctx: Context, args: Namespace) -> None:
    from ..model.catalog import ItemSpec, parse_pack

    spec = ItemSpec(
        sku=args.sku,
        name=args.name,
        unit=args.unit,
        packs=[parse_pack(p) for p in args.pack],
        barcodes=args.barcode,
        serial=args.serial,
        batch=args.batch,
        shelf_life=args.shelf_life,
        bundle=args.bundle,
    )
    ctx.emit(ctx.ledger.add_item(spec), show_item)


def item_serial(ctx: Context, args: Namespace) -> None:
    ctx.emit({"results": ctx.ledger.set_item_serial(args.skus, args.state == "on")})


def show_item(item: dict) -> str:
    flags = [name for name in ("serial", "batch", "shelf_life", "bundle") if item[name]]
    head = f"{safe(item['sku'])}  {safe(item['name'])}  (unit {safe(item['unit'])}; {', '.join(flags) or 'no tracking'})"
    rows = [{"warehouse": wh, **values} for wh, values in item["stock"].items()]
    return head + "\n" + table(rows, ["warehouse", "on_hand", "serials_in_stock"])


# ---------------------------------------------------------------- cartons


def _carton(sub) -> None:
    _, actions = _group(
        sub, "carton", "carton codes that stand for a list of serials",
        "  kiosk carton add CTN-0001 --sku PHN-100 SN1 SN2 SN3\n  kiosk carton show CTN-0001",
    )
    p = _action(actions, "add", carton_add, "register a carton", "kiosk carton add CTN-0001 --sku PHN-100 SN1 SN2 -- -SN3")
    p.add_argument("code")
    p.add_argument("--sku", required=True)
    p.add_argument("serials", nargs="+", metavar="SERIAL", help="serials that start with '-' go after --")
    p = _action(actions, "show", lambda ctx, a: ctx.emit(ctx.ledger.carton(a.code)), "show a carton's serials", "kiosk carton show CTN-0001")
    p.add_argument("code")


def carton_add(ctx: Context, args: Namespace) -> None:
    ctx.emit(ctx.ledger.add_carton(args.code, args.sku, args.serials))


# ---------------------------------------------------------------- documents


def _doc(sub) -> None:
    _, actions = _group(
        sub, "doc", "post, show, list and void documents",
        "  kiosk --json doc post purchase.json\n"
        "  kiosk doc list --type sale --since 2026-11-01\n"
        "  kiosk doc void SAL-000042",
    )
    p = _action(
        actions, "post", doc_post,
        "post one document (a JSON object) or many (a JSON array or JSON Lines), each atomic, "
        "in order, stopping at the first refused",
        """echo '{"type":"sale","warehouse":"MAIN","lines":[{"sku":"PHN-100","serials":["SN1"]}]}' | kiosk doc post -""",
    )
    p.add_argument("file", metavar="FILE|-")
    p = _action(actions, "show", lambda ctx, a: ctx.emit(ctx.ledger.document(a.number), show_doc), "show a document", "kiosk doc show PUR-000001")
    p.add_argument("number")
    p = _action(actions, "void", lambda ctx, a: ctx.emit(ctx.ledger.void(a.number), show_doc), "void a document (latest first)", "kiosk doc void SAL-000002")
    p.add_argument("number")
    p = _action(actions, "list", doc_list, "list documents, newest first", "kiosk doc list --type purchase --warehouse MAIN --limit 20")
    from ..model.documents import TYPES

    p.add_argument("--type", choices=TYPES)
    p.add_argument("--warehouse")
    p.add_argument("--status", choices=["posted", "voided"])
    p.add_argument("--since", metavar="DATE")
    p.add_argument("--until", metavar="DATE")
    p.add_argument("--limit", type=whole(1, MAX_LIMIT), default=50)
    p.add_argument("--offset", type=whole(0, MAX_OFFSET), default=0)


def read_documents(source: str) -> list:
    """One JSON object, a JSON array, or JSON Lines, from a file or ``-`` (stdin)."""
    try:
        if source == "-":
            raw = sys.stdin.buffer.read()
        else:
            raw = Path(source).read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise KioskError("bad_request", f"cannot read {source}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise KioskError("bad_request", f"{source} is not UTF-8 text") from None
    try:
        value = load_json(text, source)
    except KioskError as whole_error:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            raise whole_error from None
        return [load_json(line, f"{source}, line {n}") for n, line in lines]
    if isinstance(value, list):
        if not value:
            raise KioskError("bad_request", f"{source} holds no documents")
        return value
    return [value]


def load_json(text: str, where: str):
    """``json.loads`` whose every failure is ``bad_request`` naming ``where``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise KioskError("bad_request", f"malformed JSON in {where}: {exc}") from None
    except RecursionError:
        raise KioskError("bad_request", f"{where} nests too deeply") from None
    except ValueError as exc:  # e.g. a number of more than 4300 digits
        raise KioskError("bad_request", f"unreadable JSON in {where}: {exc}") from None


def doc_post(ctx: Context, args: Namespace) -> int:
    documents = read_documents(args.file)
    posted = []
    for index, document in enumerate(documents, 1):
        try:
            posted.append(ctx.ledger.post(document))
        except KioskError as exc:
            if len(documents) > 1:
                exc.message = f"document {index}: {exc.message}"
            return ctx.fail(exc, {"posted": posted}, posted_text)
    ctx.emit({"posted": posted}, posted_text)
    return 0


def posted_text(value: dict) -> str:
    return "\n".join(posted_line(d) for d in value["posted"])


def posted_line(doc: dict) -> str:
    serials = sum(len(line["serials"]) + len(line.get("add", [])) + len(line.get("remove", [])) for line in doc["lines"])
    return f"posted {doc['number']}  {doc['type']}  {safe(doc['warehouse'])}  {len(doc['lines'])} lines, {serials} serials"


def show_doc(doc: dict) -> str:
    where = safe(doc["warehouse"]) + (f" → {safe(doc['to_warehouse'])}" if doc["to_warehouse"] else "")
    out = [
        f"{doc['number']}  {doc['type']}  {doc['status']}  {where}  {doc['posted_at']}",
        f"station {safe(doc['station'])}, operator {safe(doc['operator'])}"
        + (f", partner {safe(doc['partner'])}" if doc["partner"] else ""),
    ]
    for line in doc["lines"]:
        out.append(f"  {safe(line['sku'])}  {line['qty']} {safe(line['unit'])}")
        for key in ("serials", "gained", "lost", "add", "remove"):
            if line.get(key):
                out.append(f"    {key}: {cell(line[key])}")
    return "\n".join(out)


def doc_list(ctx: Context, args: Namespace) -> None:
    from ..model.queries import DocumentFilter

    f = DocumentFilter(args.type, args.warehouse, args.status, args.since, args.until, args.limit, args.offset)
    columns = ["number", "type", "status", "warehouse", "to_warehouse", "partner", "posted_at", "line_count"]
    ctx.emit({"results": ctx.ledger.documents(f)}, lambda v: table(v["results"], columns))


# ---------------------------------------------------------------- serials


def search_options(parser, *, default_limit: int | None) -> None:
    parser.add_argument("--sku")
    parser.add_argument("--serial", metavar="TEXT", help="a literal, case-sensitive part of the code")
    parser.add_argument("--status", choices=["in_stock", "out"])
    parser.add_argument("--warehouse", help="serials in stock in this warehouse")
    parser.add_argument("--doc", metavar="NUMBER", help="serials moved by this document")
    parser.add_argument("--since", metavar="DATE", help="updated on or after (date or ISO time, UTC)")
    parser.add_argument("--until", metavar="DATE", help="updated on or before (date or ISO time, UTC)")
    parser.add_argument("--limit", type=whole(1, MAX_LIMIT), default=default_limit)
    parser.add_argument("--offset", type=whole(0, MAX_OFFSET), default=0)


def serial_filter(args: Namespace):
    from ..model.queries import SerialFilter

    return SerialFilter(
        sku=args.sku, serial=args.serial, status=args.status, warehouse=args.warehouse, doc=args.doc,
        since=args.since, until=args.until, limit=args.limit, offset=args.offset,
    )


def _serials(sub) -> None:
    _, actions = _group(
        sub, "serials", "parse, generate, search, trace and export serials",
        '  kiosk serials parse "SN1, SN2 SN3"\n'
        "  kiosk serials generate --prefix SN --start 1 --count 3 --width 4\n"
        "  kiosk serials search --sku PHN-100 --status in_stock\n"
        "  kiosk serials history SN0001\n"
        "  kiosk serials export --format csv --out serials.csv --warehouse MAIN",
    )
    p = _action(actions, "parse", lambda ctx, a: ctx.emit(ctx.ledger.parse(a.text), codes_text),
                "split and validate a manual entry (commas, fullwidth commas, white space)", 'kiosk serials parse "SN1，SN2、SN3 SN4"')
    p.add_argument("text")
    p = _action(actions, "generate", serials_generate, "batch generation: prefix + zero-padded number + suffix",
                "kiosk serials generate --prefix SN --start 1 --count 3 --width 4   # SN0001 SN0002 SN0003")
    p.add_argument("--prefix", default="")
    p.add_argument("--start", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--width", type=int)
    p.add_argument("--suffix", default="")
    p = _action(actions, "search", lambda ctx, a: ctx.emit(ctx.ledger.search(serial_filter(a)), search_text),
                "find serials (sorted by serial, 50 a page unless --limit)", "kiosk serials search --serial 0001 --status in_stock")
    search_options(p, default_limit=50)
    p = _action(actions, "history", lambda ctx, a: ctx.emit(ctx.ledger.history(a.serial), history_text),
                "a serial's circulation record, oldest first", "kiosk serials history PHN100-0001")
    p.add_argument("serial")
    p = _action(actions, "export", serials_export, "export matching serials to CSV or XLSX (all of them unless --limit)",
                "kiosk serials export --format xlsx --out stock.xlsx --status in_stock")
    p.add_argument("--format", choices=["csv", "xlsx"], required=True)
    p.add_argument("--out", required=True, metavar="FILE")
    search_options(p, default_limit=None)


def codes_text(value: dict) -> str:
    text = " ".join(value["serials"])
    if value.get("existing"):
        text += "\nalready known: " + " ".join(value["existing"])
    return text


def serials_generate(ctx: Context, args: Namespace) -> None:
    ctx.emit(ctx.ledger.generate(args.prefix, args.start, args.count, args.width, args.suffix), codes_text)


def search_text(value: dict) -> str:
    shown = len(value["results"])
    return table(value["results"]) + f"\n{shown} of {value['total']} shown"


def history_text(value: dict) -> str:
    head = f"{value['serial']}  {safe(value['sku'])}  {value['status']}" + (
        f" in {safe(value['warehouse'])}" if value["warehouse"] else ""
    )
    return head + "\n" + table(value["movements"], ["at", "doc", "type", "direction", "warehouse", "voided"])


def serials_export(ctx: Context, args: Namespace) -> None:
    ctx.emit(ctx.ledger.export(serial_filter(args), args.format, args.out))


# ---------------------------------------------------------------- storage


def _db(sub) -> None:
    _, actions = _group(
        sub, "db", "create or migrate the schema; back up the database",
        "  kiosk db migrate\n  kiosk db backup /var/backups/kiosk-$(date +%F).db",
    )
    _action(actions, "migrate", lambda ctx, a: ctx.emit(ctx.ledger.schema()), "bring the schema up to date and show its version", "kiosk db migrate")
    p = _action(actions, "backup", lambda ctx, a: ctx.emit(ctx.ledger.backup(a.dest)),
                "copy the SQLite database while stations keep running (online backup)", "kiosk db backup /var/backups/kiosk.db")
    p.add_argument("dest")
