"""How long another office's Team Leader lets someone read its cases, and what a request for access has become."""

from __future__ import annotations

from datetime import datetime, timedelta

PENDING, GRANTED, REFUSED, REVOKED, EXPIRED = "pending", "granted", "refused", "revoked", "expired"
STATES = (PENDING, GRANTED, REFUSED, REVOKED, EXPIRED)
# A grant ends by itself: reading another office's cases is for the comparison asked for, not for good. The Team
# Leader chooses how long (a day to a year); three months unless they say.
DEFAULT_DAYS, MAX_DAYS = 90, 365


def grant_ends(granted_at: datetime, days: int) -> datetime:
    """The instant a grant of `days` made at `granted_at` stops letting its holder read."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a grant lasts 1 to {MAX_DAYS} days, not {days}")
    return granted_at + timedelta(days=days)


def in_force(expires_at: datetime, now: datetime) -> bool:
    """A grant reads until its end, excluded."""
    return now < expires_at


def state_of(status: str, expires_at: datetime | None, now: datetime) -> str:
    """What a person is shown of a request: a grant past its end has expired, whatever the row still says."""
    if status == GRANTED and expires_at is not None and not in_force(expires_at, now):
        return EXPIRED
    return status
