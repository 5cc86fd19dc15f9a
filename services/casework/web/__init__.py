"""The web pages for officers, Team Leaders and Directors, on the same Flask app and authorisation as the API."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, redirect, send_from_directory
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from services.casework.api.errors import WEB_ERRORS
from services.casework.web import i18n

SESSION_LIFETIME = timedelta(hours=12)
csrf = CSRFProtect()


def install(app: Flask, secret: str) -> None:
    """Mount the pages under /web: signed cookies (Secure, HttpOnly, SameSite=Lax), CSRF, languages."""
    from services.casework.web import badges, blueprint, filters, views

    app.config.update(
        SECRET_KEY=secret, SESSION_COOKIE_NAME="__Host-hrcase", SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        # Forms of /web only: the API takes bearer tokens, which a browser never sends on its own.
        WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=int(SESSION_LIFETIME.total_seconds()),
    )
    csrf.init_app(app)
    i18n.install(app)
    filters.install(app)
    app.jinja_env.globals.update(stage=badges.stage, sla=badges.sla, clocks=badges.clocks)
    app.register_blueprint(views.bp)
    app.extensions[WEB_ERRORS] = blueprint.not_routed  # an unknown /web/ address answers a page, not JSON

    @app.get("/")
    def root() -> Response:
        return redirect("/web/", code=302)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        """Asked for by every browser, signed in or not."""
        return send_from_directory(blueprint.bp.static_folder or "", "favicon.ico", mimetype="image/x-icon")
