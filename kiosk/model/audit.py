"""The audit log: every post, void, adjustment, setting change and sign-in.

Entries are written inside the transaction of what they record, so the log never
claims a change that was rolled back, and never misses one that was committed. A
failed sign-in is recorded too (in its own transaction, since it changes nothing
else).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import KioskError
from .queries import iso, parse_time
from .tables import AuditEntry, utcnow

ACTIONS = ("post", "adjust", "void", "settings", "item_serial", "sign_in", "sign_in_failed")


@dataclass(frozen=True)
class Actor:
    """Who is doing it: the station and the signed-in operator."""

    station: str
    operator: str


def record(actor: Actor | None, action: str, subject: str = "", detail: str = "") -> None:
    assert action in ACTIONS, action
    actor = actor or Actor("", "")
    AuditEntry.create(
        at=utcnow(), station=actor.station, operator=actor.operator, action=action, subject=subject, detail=detail
    )


@dataclass
class AuditFilter:
    action: str | None = None
    operator: str | None = None
    station: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int = 100
    offset: int = 0


def entries(f: AuditFilter) -> list[dict]:
    """Newest first."""
    if f.action is not None and f.action not in ACTIONS:
        raise KioskError("bad_request", f"action is one of {', '.join(ACTIONS)}")
    if not 1 <= f.limit <= 100_000 or f.offset < 0:
        raise KioskError("bad_request", "limit is 1 to 100000 and offset 0 or more")
    query = AuditEntry.select()
    if f.action:
        query = query.where(AuditEntry.action == f.action)
    if f.operator:
        query = query.where(AuditEntry.operator == f.operator)
    if f.station:
        query = query.where(AuditEntry.station == f.station)
    if f.since:
        query = query.where(AuditEntry.at >= parse_time(f.since))
    if f.until:
        query = query.where(AuditEntry.at < parse_time(f.until, end=True))
    return [
        {"at": iso(e.at), "station": e.station, "operator": e.operator, "action": e.action,
         "subject": e.subject, "detail": e.detail}
        for e in query.order_by(AuditEntry.id.desc()).limit(f.limit).offset(f.offset)
    ]
