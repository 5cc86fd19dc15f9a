"""A user's standing: deactivated and reactivated only on purpose, and never with the credentials held before."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, update

from services.casework.adapters import repository as repo
from services.casework.adapters import web_store
from services.casework.adapters.tables import api_tokens
from services.messaging.times import utc


def revoke_credentials(conn: Connection, username: str, now: datetime) -> tuple[int, int]:
    """Every unrevoked API token of the user revoked and every open browser session ended: (tokens, sessions)."""
    tokens = conn.execute(update(api_tokens).where(api_tokens.c.username == username, api_tokens.c.revoked_at.is_(None))
                          .values(revoked_at=utc(now))).rowcount
    return tokens, web_store.end_sessions_of(conn, username, now)


def deactivate(conn: Connection, username: str, now: datetime) -> tuple[int, int]:
    """The user can no longer act; their tokens and sessions end now, so that nothing revives them later."""
    user = repo.get_user(conn, username)
    if user is None:
        raise LookupError(f"unknown user {username!r}")
    repo.save_user(conn, replace(user, active=False))
    return revoke_credentials(conn, username, now)


def reactivate(conn: Connection, username: str, now: datetime) -> tuple[int, int]:
    """A deactivated user may act again, with new tokens and a new sign-in: whatever they held before stays dead
    (also for a user deactivated before deactivation revoked anything)."""
    user = repo.get_user(conn, username)
    if user is None:
        raise LookupError(f"unknown user {username!r}")
    if user.active:
        raise ValueError(f"user {username!r} is active")
    repo.save_user(conn, replace(user, active=True))
    return revoke_credentials(conn, username, now)
