"""Requests to read another office's cases a person lookup matched, their Team Leaders' decisions, and the grants."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from services.casework.adapters.tables import access_grants, access_requests, cases
from services.casework.domain.access_grants import GRANTED, PENDING, REFUSED, REVOKED, grant_ends
from services.messaging.times import as_utc, utc


@dataclass(frozen=True)
class AccessRequest:
    request_id: str
    requester: str
    office: str
    case_ids: tuple[str, ...]
    reason: str
    at: datetime
    status: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    expires_at: datetime | None = None  # a grant's end (domain.access_grants)
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None


def _request(row: Any) -> AccessRequest:
    data = dict(row)
    data.pop("notices_planned_at", None)  # the dispatcher's (adapters/notices), not the request's
    return AccessRequest(**{**data, "case_ids": tuple(json.loads(data["case_ids"])), "at": utc(data["at"]),
                            **{k: as_utc(data[k]) for k in ("decided_at", "expires_at", "revoked_at")}})


def create(conn: Connection, requester: str, office: str, case_ids: Sequence[str], reason: str,
           at: datetime, request_id: str | None = None) -> AccessRequest:
    made = AccessRequest(request_id or str(uuid.uuid4()), requester, office, tuple(case_ids), reason, utc(at), PENDING)
    conn.execute(insert(access_requests).values(
        request_id=made.request_id, requester=requester, office=office, case_ids=json.dumps(list(case_ids)),
        reason=reason, at=made.at, status=PENDING))
    return made


def get(conn: Connection, request_id: str) -> AccessRequest | None:
    row = conn.execute(select(access_requests).where(access_requests.c.request_id == request_id)).mappings().first()
    return _request(row) if row else None


def made_by(conn: Connection, requester: str, limit: int = 100) -> list[AccessRequest]:
    """A user's own requests, newest first."""
    rows = conn.execute(select(access_requests).where(access_requests.c.requester == requester)
                        .order_by(access_requests.c.at.desc()).limit(limit)).mappings()
    return [_request(r) for r in rows]


def pending_for(conn: Connection, office: str, limit: int = 100) -> list[AccessRequest]:
    """The requests awaiting a decision of this office's Team Leaders, oldest first."""
    rows = conn.execute(select(access_requests)
                        .where(access_requests.c.office == office, access_requests.c.status == PENDING)
                        .order_by(access_requests.c.at).limit(limit)).mappings()
    return [_request(r) for r in rows]


def pending_count(conn: Connection, office: str) -> int:
    """How many requests await this office's Team Leaders (the count beside their menu's "Access requests")."""
    return int(conn.scalar(select(func.count()).select_from(access_requests).where(
        access_requests.c.office == office, access_requests.c.status == PENDING)) or 0)


def in_force_for(conn: Connection, office: str, now: datetime, limit: int = 100) -> list[AccessRequest]:
    """This office's grants that still let someone read its cases, the soonest to end first (to revoke early)."""
    rows = conn.execute(select(access_requests)
                        .where(access_requests.c.office == office, access_requests.c.status == GRANTED,
                               access_requests.c.expires_at > utc(now))
                        .order_by(access_requests.c.expires_at).limit(limit)).mappings()
    return [_request(r) for r in rows]


def decide(conn: Connection, request: AccessRequest, by: str, grant: bool, reason: str | None,
           at: datetime, days: int) -> AccessRequest:
    """Record the decision (once: only a pending request changes) and, on a grant, let the requester read each case
    for `days`. LookupError when someone decided it in between."""
    status, ends = (GRANTED, grant_ends(utc(at), days)) if grant else (REFUSED, None)
    done = conn.execute(update(access_requests).where(access_requests.c.request_id == request.request_id,
                                                      access_requests.c.status == PENDING)
                        .values(status=status, decided_by=by, decided_at=utc(at), decision_reason=reason,
                                expires_at=ends))
    if done.rowcount != 1:
        raise LookupError(f"access request {request.request_id} was decided already")
    if ends is not None:
        # One grant per person and case: the newest decision's, so that its end (or its revocation) is what holds.
        conn.execute(delete(access_grants).where(access_grants.c.username == request.requester,
                                                 access_grants.c.case_id.in_(request.case_ids)))
        conn.execute(insert(access_grants), [
            {"username": request.requester, "case_id": case_id, "request_id": request.request_id,
             "granted_by": by, "granted_at": utc(at), "expires_at": ends} for case_id in request.case_ids])
    found = get(conn, request.request_id)
    assert found is not None
    return found


def revoke(conn: Connection, request: AccessRequest, by: str, reason: str, at: datetime) -> AccessRequest:
    """End a grant before its time: its holder reads those cases no more (those a later grant of theirs covers, they
    read under that one). LookupError when it is no longer a grant (revoked in between)."""
    done = conn.execute(update(access_requests).where(access_requests.c.request_id == request.request_id,
                                                      access_requests.c.status == GRANTED)
                        .values(status=REVOKED, revoked_by=by, revoked_at=utc(at), revocation_reason=reason))
    if done.rowcount != 1:
        raise LookupError(f"access request {request.request_id} is not a grant in force")
    conn.execute(delete(access_grants).where(access_grants.c.request_id == request.request_id))
    found = get(conn, request.request_id)
    assert found is not None
    return found


def granted(conn: Connection, username: str, case_id: str, now: datetime) -> bool:
    """Whether a Team Leader's grant in force lets this user read this case (policy.may_read_case's `granted`)."""
    return conn.scalar(select(access_grants.c.case_id).where(
        and_(access_grants.c.username == username, access_grants.c.case_id == case_id,
             access_grants.c.expires_at > utc(now)))) is not None


def granted_cases(conn: Connection, username: str, case_ids: Sequence[str], now: datetime) -> set[str]:
    if not case_ids:
        return set()
    return set(conn.scalars(select(access_grants.c.case_id).where(
        access_grants.c.username == username, access_grants.c.case_id.in_(list(case_ids)),
        access_grants.c.expires_at > utc(now))))


def references(conn: Connection, case_ids: Sequence[str]) -> list[str]:
    """The references of these cases, in order: shown to the deciding Team Leader, and to a requester once granted."""
    rows = conn.execute(select(cases.c.case_id, cases.c.reference).where(cases.c.case_id.in_(list(case_ids))))
    found = {case_id: reference for case_id, reference in rows}
    return sorted(found[c] for c in case_ids if c in found)
