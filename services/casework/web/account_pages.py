"""Sign in, sign out, the language, and the user's own settings (language, alert e-mail, password)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from services.casework.adapters import preferences, web_store
from services.casework.api.request import context
from services.casework.api.schemas import PreferencesBody
from services.casework.auth import passwords
from services.casework.web import forms, signin
from services.casework.web.blueprint import bp, me, page
from services.casework.web.i18n import LANGUAGES


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if getattr(g, "principal", None) is not None and request.method == "GET":
        return redirect(url_for("web.home"))
    refused = None
    if request.method == "POST":
        # A control character is never part of a username (and PostgreSQL refuses a NUL): dropped, not looked up.
        username = "".join(ch for ch in request.form.get("username", "") if ch.isprintable()).strip()[:64]
        refused = signin.attempt(username, request.form.get("password", "")[:passwords.MAX_LENGTH], address())
        if refused is None:
            return signin.safe_next(request.form.get("next"))
    # Browsers keep a Secure cookie over HTTPS or on this machine only: elsewhere, signing in would seem to fail.
    loopback = request.host.rsplit(":", 1)[0].strip("[]") in ("127.0.0.1", "localhost", "::1")
    body = page("login.html", title=_("Sign in"), error=refused.message if refused else None,
                next=request.values.get("next", ""), username=request.form.get("username", ""),
                insecure=not request.is_secure and not loopback)
    if refused is None:
        return body, 200
    headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
    return body, refused.status, headers


def address() -> str:
    """The address a request comes from, as the server saw it (a proxy's own, unless the server trusts it)."""
    return (request.remote_addr or "unknown")[:64]


@bp.post("/logout")
def logout() -> Response:
    signin.sign_out()
    flash(_("You are signed out."), "success")
    return redirect(url_for("web.login"), code=303)


@bp.post("/language")
def language() -> Response:
    """Switch language: saved for the signed-in user, kept in the session before signing in."""
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        if getattr(g, "principal", None) is not None:
            context().casework.write(lambda conn: web_store.set_locale(conn, me().username, chosen))
        session["lang"] = chosen
        g.locale = chosen
    return signin.back()


def _settings_page(errors: dict[str, list[str]] | None = None, status: int = 200) -> tuple[str, int]:
    prefs = context().casework.read(lambda conn: preferences.get(conn, me().username))
    return page("settings.html", title=_("Settings"), prefs=prefs, errors=errors or {}, languages=LANGUAGES,
                current=g.get("locale") or "en", min_length=passwords.MIN_LENGTH), status


@bp.get("/settings")
def settings() -> tuple[str, int]:
    return _settings_page()


@bp.post("/settings/alerts")
def alert_settings() -> Any:
    try:
        body = PreferencesBody().load({"email": request.form.get("email", "").strip() or None,
                                       "mode": request.form.get("mode", "immediate")})
    except ValidationError as exc:
        return _settings_page(forms.flatten(exc.messages), 422)
    username = me().username

    def change(conn: Any) -> None:
        current = preferences.get(conn, username)
        preferences.save(conn, preferences.Preferences(username, body["email"], current.webhook_url, body["mode"]))

    context().casework.write(change)
    flash(_("Alert settings saved."), "success")
    return redirect(url_for("web.settings"), code=303)


@bp.post("/settings/password")
def change_password() -> Any:
    """A new password: the current one first; every other session of the user ends."""
    ctx, user = context(), me()
    current, new, again = (request.form.get(k, "") for k in ("current", "new", "again"))
    waiting = signin.throttled(user.username, address())  # a borrowed session must not become a password oracle
    if waiting is not None:
        page_, _status = _settings_page({"current": [waiting.message]}, 429)
        return page_, 429, {"Retry-After": str(waiting.retry_after)}
    account = ctx.casework.read(lambda conn: web_store.account(conn, user.username))
    if not passwords.verify(account.password_hash, current[:passwords.MAX_LENGTH]):
        signin.failed(user.username, address())
        return _settings_page({"current": [_("This is not your current password.")]}, 422)
    weakness = passwords.weakness(new, user.username)
    if weakness:
        return _settings_page({"new": [_("At least %(n)s characters, and not your username.",
                                         n=passwords.MIN_LENGTH)]}, 422)
    if new != again:
        return _settings_page({"again": [_("The two new passwords differ.")]}, 422)
    now = ctx.clock.now()
    hashed = passwords.hash_password(new)

    def change(conn: Any) -> str:
        web_store.set_password(conn, user.username, hashed, now)
        return web_store.start_session(conn, user.username, now, signin.SESSION_LIFETIME)

    token = ctx.casework.write(change)
    session.clear()
    session["sid"] = token
    session.permanent = True
    flash(_("Password changed: your other sessions have ended."), "success")
    return redirect(url_for("web.settings"), code=303)
