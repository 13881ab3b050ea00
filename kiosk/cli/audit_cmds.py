"""kiosk audit: who posted, voided, changed settings or signed in, where and when."""

from __future__ import annotations

from argparse import Namespace

from .context import Context


def register(sub) -> None:
    p = sub.add_parser(
        "audit",
        help="the audit log: posts, voids, adjustments, setting changes, sign-ins (failed ones too)",
        description="List audit entries, newest first.",
        epilog="examples:\n  kiosk audit --action sign_in_failed --since 2026-11-01\n  kiosk --json audit --operator boss --limit 20",
    )
    p.add_argument(
        "--action",
        help="post, adjust, void, settings, item_serial, sign_in or sign_in_failed",
    )
    p.add_argument("--operator")
    p.add_argument("--station")
    p.add_argument("--since", metavar="DATE")
    p.add_argument("--until", metavar="DATE")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--offset", type=int, default=0)
    p.set_defaults(handler=audit)


def audit(ctx: Context, args: Namespace) -> None:
    from ..model.audit import AuditFilter

    f = AuditFilter(args.action, args.operator, args.station, args.since, args.until, args.limit, args.offset)
    ctx.emit({"results": ctx.ledger.audit(f)})
