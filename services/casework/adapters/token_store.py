"""API tokens in the casework database: issue (hash only), look up, list, revoke."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from services.casework.adapters.tables import api_tokens
from services.casework.auth import tokens
from services.messaging.times import as_utc, utc


def _stored(row: object) -> tokens.StoredToken:
    data = dict(row)  # type: ignore[call-overload]
    data["created_at"] = utc(data["created_at"])
    data["expires_at"] = as_utc(data["expires_at"])
    data["revoked_at"] = as_utc(data["revoked_at"])
    return tokens.StoredToken(**data)


def create(conn: Connection, username: str, now: datetime, expires_at: datetime | None = None,
           label: str = "") -> tokens.IssuedToken:
    issued = tokens.issue()
    conn.execute(insert(api_tokens).values(
        token_id=issued.token_id, username=username, secret_hash=tokens.hash_secret(issued.secret), label=label,
        created_at=now, expires_at=expires_at, revoked_at=None))
    return issued


def find(conn: Connection, token_id: str) -> tokens.StoredToken | None:
    row = conn.execute(select(api_tokens).where(api_tokens.c.token_id == token_id)).mappings().first()
    return _stored(row) if row else None


def list_for(conn: Connection, username: str | None = None) -> list[tokens.StoredToken]:
    query = select(api_tokens).order_by(api_tokens.c.username, api_tokens.c.created_at)
    if username is not None:
        query = query.where(api_tokens.c.username == username)
    return [_stored(r) for r in conn.execute(query).mappings()]


def revoke(conn: Connection, token_id: str, now: datetime) -> bool:
    result = conn.execute(update(api_tokens).where(api_tokens.c.token_id == token_id,
                                                   api_tokens.c.revoked_at.is_(None)).values(revoked_at=now))
    return result.rowcount == 1
