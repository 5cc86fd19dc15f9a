"""Alert deliveries in the casework database: planned once per change of an alert (its opening, a new level, a
reminder) and recipient, claimed, then recorded. A digest summarises rather than repeats: while a recipient's digest
delivery of an alert is pending, later changes add none (the digest shows the alert as it is when sent)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, RowMapping, Table, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from services.casework.adapters import preferences
from services.casework.adapters.repository import _alert
from services.casework.adapters.tables import alert_deliveries, alert_dispatch, alerts, users
from services.casework.domain.alerts import Alert
from services.messaging.times import as_utc, utc


@dataclass(frozen=True)
class Delivery:
    id: int
    alert: Alert
    username: str
    channel: str  # email or webhook
    address: str  # where it goes (an e-mail address or a URL): never logged with the alert's content
    digest: bool
    due_at: datetime
    attempts: int


def next_digest(now: datetime, hour: int) -> datetime:
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if now <= today else today + timedelta(days=1)


def recipients(conn: Connection, alert: Alert) -> list[str]:
    """The active users of every role the alert has reached: by office except Directors; HROs: the assignee."""
    def reached(role: str) -> ColumnElement[bool]:
        if role == "hro":
            return and_(users.c.role == role, users.c.username == alert.assignee)
        if role == "director":
            return users.c.role == role
        return and_(users.c.role == role, users.c.office == alert.office)

    query = select(users.c.username).where(or_(*(reached(role) for role in alert.reached)), users.c.active.is_(True))
    return list(conn.scalars(query.order_by(users.c.username)))


def plan(conn: Connection, now: datetime, channels: tuple[str, ...], digest_hour: int, limit: int = 500) -> int:
    """Give each change of an alert not yet planned its deliveries (one per recipient and configured channel)."""
    pending = conn.execute(select(alerts, alert_dispatch.c.reminders.label("planned"))
                           .outerjoin(alert_dispatch, alert_dispatch.c.alert_id == alerts.c.alert_id)
                           .where(or_(alert_dispatch.c.alert_id.is_(None),
                                      alert_dispatch.c.reminders < alerts.c.reminders))
                           .order_by(alerts.c.latest_at).limit(limit))
    planned = 0
    chosen = preferences.all_with_channels(conn)
    for row in pending.mappings().all():
        alert = _alert(row)
        waiting = _pending_digests(conn, alert.alert_id)
        rows = []
        for username in recipients(conn, alert) if alert.is_open else []:
            prefs = chosen.get(username)
            if prefs is None:
                continue
            digest = prefs.mode == "digest"
            due = next_digest(now, digest_hour) if digest else now
            for channel, address in (("email", prefs.email), ("webhook", prefs.webhook_url)):
                if address and channel in channels and not (digest and (username, channel) in waiting):
                    rows.append({"alert_id": alert.alert_id, "reminders": alert.reminders, "username": username,
                                 "channel": channel, "digest": digest, "due_at": due, "status": "pending",
                                 "attempts": 0, "next_attempt_at": due, "last_error": ""})
        try:
            with conn.begin_nested():  # another worker planning the same change: it wins, we move on
                if row["planned"] is None:
                    conn.execute(insert(alert_dispatch).values(alert_id=alert.alert_id, planned_at=now,
                                                               reminders=alert.reminders))
                elif conn.execute(update(alert_dispatch).where(
                        alert_dispatch.c.alert_id == alert.alert_id, alert_dispatch.c.reminders == row["planned"])
                        .values(planned_at=now, reminders=alert.reminders)).rowcount != 1:
                    continue
                if rows:
                    conn.execute(insert(alert_deliveries), rows)
            planned += len(rows)
        except IntegrityError:
            continue
    return planned


def _pending_digests(conn: Connection, alert_id: str) -> set[tuple[str, str]]:
    """(recipient, channel) whose digest already holds this alert: it is sent as it stands then, once."""
    rows = conn.execute(select(alert_deliveries.c.username, alert_deliveries.c.channel).where(
        alert_deliveries.c.alert_id == alert_id, alert_deliveries.c.digest.is_(True),
        alert_deliveries.c.status == "pending"))
    return {(u, c) for u, c in rows}


def claim_due(conn: Connection, now: datetime, lease: timedelta, limit: int = 100) -> list[Delivery]:
    """Due deliveries, each claimed for `lease` so that no other dispatcher sends it meanwhile."""
    claimed = []
    for row, address in claimed_rows(conn, alert_deliveries, now, lease, limit):
        found = conn.execute(select(alerts).where(alerts.c.alert_id == row["alert_id"])).mappings().first()
        if found is None or not address:
            given_up(conn, alert_deliveries, row["id"], "recipient no longer has this channel")
            continue
        claimed.append(Delivery(row["id"], _alert(found), row["username"], row["channel"], address, row["digest"],
                                utc(row["due_at"]), row["attempts"]))
    return claimed


def claimed_rows(conn: Connection, table: Table, now: datetime, lease: timedelta,
                 limit: int) -> Iterator[tuple[RowMapping, str | None]]:
    """The due rows of `table` (alert_deliveries, or access_request_notices, kept alike), each claimed for `lease` by
    a conditional update, so that no other dispatcher sends it meanwhile; with the address of the recipient's channel
    (None: they no longer have it). A row another dispatcher claimed first is left to it."""
    due = conn.execute(select(table).where(table.c.status == "pending", table.c.next_attempt_at <= now)
                       .order_by(table.c.next_attempt_at, table.c.id).limit(limit)).mappings().all()
    chosen = preferences.all_with_channels(conn)
    for row in due:
        taken = conn.execute(update(table).where(table.c.id == row["id"], table.c.status == "pending",
                                                 table.c.next_attempt_at == row["next_attempt_at"])
                             .values(next_attempt_at=now + lease))
        if taken.rowcount == 1:
            prefs = chosen.get(row["username"])
            yield row, (prefs.email if row["channel"] == "email" else prefs.webhook_url) if prefs else None


def given_up(conn: Connection, table: Table, row_id: int, why: str) -> None:
    """A claimed row that will never be sent, and why."""
    conn.execute(update(table).where(table.c.id == row_id).values(status="failed", last_error=why))


def sent(conn: Connection, ids: list[int], now: datetime, table: Table = alert_deliveries) -> None:
    """Delivered (`table`: alert_deliveries, or access_request_notices, kept alike)."""
    conn.execute(update(table).where(table.c.id.in_(ids)).values(
        status="sent", delivered_at=now, attempts=table.c.attempts + 1, last_error=""))


def failed(conn: Connection, ids: list[int], error: str, retry_at: datetime | None,
           table: Table = alert_deliveries) -> None:
    """One more failed attempt; `retry_at` None gives up (status failed)."""
    values: dict = {"attempts": table.c.attempts + 1, "last_error": error[:500]}
    values |= {"status": "failed"} if retry_at is None else {"next_attempt_at": retry_at}
    conn.execute(update(table).where(table.c.id.in_(ids)).values(**values))


def for_alerts(conn: Connection, alert_ids: list[str], username: str | None = None) -> list[dict]:
    """How each alert was delivered: per recipient and channel, status, attempts, when, last error."""
    if not alert_ids:
        return []
    query = select(alert_deliveries).where(alert_deliveries.c.alert_id.in_(alert_ids))
    if username is not None:
        query = query.where(alert_deliveries.c.username == username)
    out = []
    for row in conn.execute(query.order_by(alert_deliveries.c.id)).mappings():
        data = dict(row)
        data["delivered_at"] = as_utc(data["delivered_at"])
        for key in ("due_at", "next_attempt_at"):
            data[key] = utc(data[key])
        out.append(data)
    return out
