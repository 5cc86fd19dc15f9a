"""Web sign-in state in the casework database: password hashes, languages, sessions, the cookie key."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.casework.adapters.tables import web_accounts, web_keys, web_sessions
from services.messaging.times import as_utc, utc


@dataclass(frozen=True)
class Account:
    username: str
    password_hash: str | None = None
    password_set_at: datetime | None = None
    locale: str | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True)
class WebSession:
    token_hash: str
    username: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None

    @property
    def public_id(self) -> str:
        """Names the session in the access log without being usable as a cookie."""
        return self.token_hash[:12]


def account(conn: Connection, username: str) -> Account:
    row = conn.execute(select(web_accounts).where(web_accounts.c.username == username)).mappings().first()
    if row is None:
        return Account(username)
    data = dict(row)
    for key in ("password_set_at", "locked_until"):
        data[key] = as_utc(data[key])
    return Account(**data)


def _save(conn: Connection, username: str, **values: object) -> None:
    exists = conn.scalar(select(web_accounts.c.username).where(web_accounts.c.username == username))
    if exists:
        conn.execute(update(web_accounts).where(web_accounts.c.username == username).values(**values))
    else:
        conn.execute(insert(web_accounts).values(**{"username": username, "failed_logins": 0, **values}))


def set_password(conn: Connection, username: str, password_hash: str | None, now: datetime) -> None:
    """A new password (None: no password, no sign-in); the user's open sessions end with the old one."""
    _save(conn, username, password_hash=password_hash, password_set_at=utc(now), failed_logins=0, locked_until=None)
    end_sessions_of(conn, username, now)


def set_locale(conn: Connection, username: str, locale: str | None) -> None:
    _save(conn, username, locale=locale)


def record_success(conn: Connection, username: str, password_hash: str | None = None) -> None:
    """A sign-in: the same password is kept under newer argon2 parameters when they changed."""
    if password_hash is not None:
        _save(conn, username, password_hash=password_hash)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(conn: Connection, username: str, now: datetime, lifetime: timedelta) -> str:
    """A new session; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    conn.execute(insert(web_sessions).values(token_hash=hash_token(token), username=username, created_at=utc(now),
                                             last_seen_at=utc(now), expires_at=utc(now + lifetime), ended_at=None))
    return token


def find_session(conn: Connection, token: str) -> WebSession | None:
    row = conn.execute(select(web_sessions).where(web_sessions.c.token_hash == hash_token(token))).mappings().first()
    if row is None:
        return None
    data = dict(row)
    for key in ("created_at", "last_seen_at", "expires_at"):
        data[key] = utc(data[key])
    data["ended_at"] = as_utc(data["ended_at"])
    return WebSession(**data)


def touch_session(conn: Connection, token_hash: str, now: datetime) -> None:
    conn.execute(update(web_sessions).where(web_sessions.c.token_hash == token_hash).values(last_seen_at=utc(now)))


def end_session(conn: Connection, token: str, now: datetime) -> None:
    conn.execute(update(web_sessions).where(web_sessions.c.token_hash == hash_token(token),
                                            web_sessions.c.ended_at.is_(None)).values(ended_at=utc(now)))


def end_sessions_of(conn: Connection, username: str, now: datetime) -> int:
    return conn.execute(update(web_sessions).where(web_sessions.c.username == username,
                                                   web_sessions.c.ended_at.is_(None)).values(ended_at=utc(now))).rowcount


def cookie_key(conn: Connection) -> str:
    """The shared key that signs cookies: made by the first process that asks, read by every other."""
    found = conn.scalar(select(web_keys.c.value).where(web_keys.c.name == "cookies"))
    if found:
        return str(found)
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect_insert(web_keys).values(name="cookies", value=secrets.token_hex(32)).on_conflict_do_nothing())
    return str(conn.scalar(select(web_keys.c.value).where(web_keys.c.name == "cookies")))
