"""The access log: who read or changed which case, when, from where, through which endpoint. Append only."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from services.casework.adapters.tables import access_log
from services.messaging.times import utc


@dataclass(frozen=True)
class Access:
    at: datetime
    username: str | None
    role: str | None
    office: str | None
    remote_addr: str | None
    method: str
    endpoint: str  # the route template, e.g. "/cases/{ref}": never a query string or a body
    case_id: str | None
    reference: str | None
    action: str  # read or change
    status: int
    identities_shown: bool = False
    reason: str | None = None  # why identities were opened to decide a closure (ADR 13); never an identity


def append(conn: Connection, entry: Access) -> None:
    conn.execute(insert(access_log).values(**asdict(entry)))


def entries(conn: Connection, *, case_id: str | None = None, username: str | None = None, limit: int = 50,
            offset: int = 0) -> tuple[int, list[tuple[int, Access]]]:
    """(total, page of (seq, entry)), newest first."""
    where = []
    if case_id is not None:
        where.append(access_log.c.case_id == case_id)
    if username is not None:
        where.append(access_log.c.username == username)
    total = int(conn.scalar(select(func.count()).select_from(access_log).where(*where)) or 0)
    rows = conn.execute(select(access_log).where(*where).order_by(access_log.c.seq.desc())
                        .limit(limit).offset(offset)).mappings()
    page = []
    for row in rows:
        data = dict(row)
        seq = int(data.pop("seq"))
        data["at"] = utc(data["at"])
        page.append((seq, Access(**data)))
    return total, page


def openings(conn: Connection, case_id: str) -> list[Access]:
    """The times a case's identities were opened to decide its closure, with their reasons, oldest first."""
    rows = conn.execute(select(access_log).where(access_log.c.case_id == case_id, access_log.c.reason.is_not(None),
                                                 access_log.c.identities_shown.is_(True))
                        .order_by(access_log.c.seq)).mappings()
    found = []
    for row in rows:
        data = dict(row)
        data.pop("seq")
        data["at"] = utc(data["at"])
        found.append(Access(**data))
    return found
