"""How each user wants to receive alerts: an e-mail address, a webhook, immediately or as a daily digest."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import Connection, insert, select, update

from services.casework.adapters.tables import alert_preferences

MODES = ("immediate", "digest")


@dataclass(frozen=True)
class Preferences:
    username: str
    email: str | None = None
    webhook_url: str | None = None
    mode: str = "immediate"


def get(conn: Connection, username: str) -> Preferences:
    row = conn.execute(select(alert_preferences).where(alert_preferences.c.username == username)).mappings().first()
    return Preferences(**row) if row else Preferences(username)


def save(conn: Connection, prefs: Preferences) -> None:
    if prefs.mode not in MODES:
        raise ValueError(f"alert mode must be one of {', '.join(MODES)}")
    exists = conn.scalar(select(alert_preferences.c.username).where(alert_preferences.c.username == prefs.username))
    if exists:
        conn.execute(update(alert_preferences).where(alert_preferences.c.username == prefs.username)
                     .values(**asdict(prefs)))
    else:
        conn.execute(insert(alert_preferences).values(**asdict(prefs)))


def all_with_channels(conn: Connection) -> dict[str, Preferences]:
    rows = conn.execute(select(alert_preferences).where(
        (alert_preferences.c.email.is_not(None)) | (alert_preferences.c.webhook_url.is_not(None)))).mappings()
    return {r["username"]: Preferences(**r) for r in rows}
