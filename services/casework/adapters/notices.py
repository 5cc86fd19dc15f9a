"""Access requests told to their office's Team Leaders: planned once per request and recipient by the channels each
chose for alerts (immediately, whatever their alert mode: a request waits on them), claimed, then recorded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from services.casework.adapters import delivery, preferences
from services.casework.adapters.channels import AccessNotice
from services.casework.adapters.tables import access_request_notices, access_requests, cases, users
from services.casework.domain.access_grants import PENDING
from services.messaging.times import utc

ROLE = "team_leader"


@dataclass(frozen=True)
class Notice:
    id: int
    notice: AccessNotice
    username: str
    channel: str  # email or webhook
    address: str
    attempts: int


def plan(conn: Connection, now: datetime, channels: tuple[str, ...], limit: int = 200) -> int:
    """Give each request not yet planned its notices: one per active Team Leader of its office and channel chosen."""
    waiting = conn.execute(select(access_requests.c.request_id, access_requests.c.office)
                           .where(access_requests.c.notices_planned_at.is_(None))
                           .order_by(access_requests.c.at).limit(limit)).all()
    chosen = preferences.all_with_channels(conn)
    planned = 0
    for request_id, office in waiting:
        leaders = conn.scalars(select(users.c.username).where(users.c.role == ROLE, users.c.office == office,
                                                              users.c.active.is_(True)).order_by(users.c.username))
        rows = [{"request_id": request_id, "username": username, "channel": channel, "status": "pending",
                 "attempts": 0, "next_attempt_at": now, "last_error": ""}
                for username in leaders if (prefs := chosen.get(username)) is not None
                for channel, address in (("email", prefs.email), ("webhook", prefs.webhook_url))
                if address and channel in channels]
        # Marked planned in the same transaction: another dispatcher planning it too then updates no row, and stops.
        if conn.execute(update(access_requests).where(access_requests.c.request_id == request_id,
                                                      access_requests.c.notices_planned_at.is_(None))
                        .values(notices_planned_at=now)).rowcount != 1:
            continue
        if rows:
            conn.execute(insert(access_request_notices), rows)
        planned += len(rows)
    return planned


def claim_due(conn: Connection, now: datetime, lease: timedelta, limit: int = 100) -> list[Notice]:
    """Due notices, each claimed for `lease`; those of a request decided meanwhile are dropped, not sent."""
    claimed = []
    for row, address in delivery.claimed_rows(conn, access_request_notices, now, lease, limit):
        request = conn.execute(select(access_requests).where(
            access_requests.c.request_id == row["request_id"])).mappings().first()
        if request is None or request["status"] != PENDING:
            delivery.given_up(conn, access_request_notices, row["id"], "the request was decided before it was told")
            continue
        if not address:
            delivery.given_up(conn, access_request_notices, row["id"], "recipient no longer has this channel")
            continue
        ids = json.loads(request["case_ids"])
        references = tuple(conn.scalars(select(cases.c.reference).where(cases.c.case_id.in_(ids))
                                        .order_by(cases.c.reference)))
        notice = AccessNotice(request["request_id"], request["requester"], request["office"], references,
                              utc(request["at"]))
        claimed.append(Notice(row["id"], notice, row["username"], row["channel"], address, row["attempts"]))
    return claimed


def for_request(conn: Connection, request_id: str) -> list[dict]:
    """How a request was told: per Team Leader and channel, status, attempts, last error."""
    rows = conn.execute(select(access_request_notices).where(access_request_notices.c.request_id == request_id)
                        .order_by(access_request_notices.c.id)).mappings()
    return [dict(row) for row in rows]
