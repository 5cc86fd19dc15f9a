"""Signing in and out: argon2 passwords, a server-side session behind a signed, Secure, HttpOnly cookie."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Connection
from werkzeug.wrappers import Response

from services.casework.adapters import repository as repo
from services.casework.adapters import sign_in_failures, web_store
from services.casework.api.request import context
from services.casework.auth import passwords, throttle
from services.casework.auth.identity import Principal
from services.casework.domain.roles import User
from services.casework.web import SESSION_LIFETIME

IDLE = timedelta(hours=2)  # a session unused this long ends
TOUCH = timedelta(minutes=1)  # last-seen is written at most this often


def resume(now: datetime) -> bool:
    """This browser's session, if it is live and its user active: its principal and language set for the request
    (g.principal, g.locale), read in one transaction, as every page asks them."""
    token = session.get("sid")
    if not isinstance(token, str):
        return False
    cw = context().casework

    def look(conn: Connection) -> tuple[web_store.WebSession, User, str | None] | None:
        found = web_store.find_session(conn, token)
        if found is None or found.ended_at is not None or now >= found.expires_at or now - found.last_seen_at > IDLE:
            return None
        user = repo.get_user(conn, found.username)
        if user is None or not user.active:
            return None
        return found, user, web_store.account(conn, user.username).locale

    live = cw.read(look)
    if live is None:
        return False
    found, user, g.locale = live
    if now - found.last_seen_at > TOUCH:
        cw.write(lambda conn: web_store.touch_session(conn, found.token_hash, now))
    g.principal = Principal(user, f"session:{found.public_id}")
    return True


@dataclass(frozen=True)
class Refused:
    """Why a sign-in was refused, with the status to answer (401, or 429 with Retry-After while throttled)."""

    message: str
    status: int = 401
    retry_after: int | None = None


def _keys(username: str, address: str) -> tuple[str, str]:
    return throttle.ADDRESS.key(address), throttle.ACCOUNT.key(username)


def throttled(username: str, address: str) -> Refused | None:
    """A refusal while the address or the username typed (known or not: nothing tells them apart) must wait."""
    ctx = context()
    now = ctx.clock.now()
    keys = _keys(username, address)
    found = ctx.casework.read(lambda conn: sign_in_failures.runs(conn, keys))
    rules = dict(zip(keys, (throttle.ADDRESS, throttle.ACCOUNT), strict=True))
    waits = [run.retry_at(rules[key], now) for key, run in found.items()]
    until = max((w for w in waits if w is not None), default=None)
    if until is None:
        return None
    seconds = throttle.seconds_until(until, now)
    return Refused(ngettext("Too many attempts: try again in %(num)d second.",
                            "Too many attempts: try again in %(num)d seconds.", seconds), 429, seconds)


def failed(username: str, address: str) -> None:
    """One more failure for the address and the username typed, whether or not such a user exists."""
    ctx = context()
    ctx.casework.write(lambda conn: sign_in_failures.add_failure(conn, _keys(username, address), ctx.clock.now()))


def attempt(username: str, password: str, address: str) -> Refused | None:
    """Sign in: None on success (the session is started), else the refusal to show.

    A known and an unknown username take the same path: the same reads, one argon2 verification (against a dummy
    hash of the same cost when there is no password), the same failure written, the same answer.
    """
    waiting = throttled(username, address)
    if waiting is not None:
        return waiting
    ctx = context()
    now = ctx.clock.now()
    cw = ctx.casework
    user, account = cw.read(lambda conn: (repo.get_user(conn, username), web_store.account(conn, username)))
    ok = passwords.verify(account.password_hash, password)
    if not ok or user is None or not user.active or account.password_hash is None:
        failed(username, address)
        return Refused(_("Wrong username or password, or no password has been set for this user."))
    stored = account.password_hash
    rehashed = passwords.hash_password(password) if passwords.needs_rehash(stored) else None
    old = session.get("sid")

    def start(conn: Connection) -> str:
        if isinstance(old, str):
            web_store.end_session(conn, old, now)
        web_store.record_success(conn, username, rehashed)
        sign_in_failures.end(conn, throttle.ACCOUNT.key(username))  # the owner is in: their account's run ends
        return web_store.start_session(conn, username, now, SESSION_LIFETIME)

    token = cw.write(start)
    lang = session.get("lang")
    session.clear()  # a new session id and a new CSRF token: nothing from before sign-in carries over
    session["sid"] = token
    session.permanent = True
    if account.locale is None and lang:
        cw.write(lambda conn: web_store.set_locale(conn, username, lang))
    g.principal = Principal(user, "session")
    return None


def sign_out() -> None:
    token = session.get("sid")
    if isinstance(token, str):
        ctx = context()
        ctx.casework.write(lambda conn: web_store.end_session(conn, token, ctx.clock.now()))
    lang = g.get("locale")
    session.clear()
    if lang:
        session["lang"] = lang


def safe_next(target: str | None) -> Response:
    """Back where the user was going, if that is one of our pages (never another site)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/web/") and "\\" not in target:
            return redirect(target, code=303)
    return redirect(url_for("web.home"), code=303)


def back() -> Response:
    """To the page the form was on (same site only), else home."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc == request.host and parts.path.startswith("/web/"):
        return redirect(parts.path + (f"?{parts.query}" if parts.query else ""), code=303)
    return redirect(url_for("web.home"), code=303)
