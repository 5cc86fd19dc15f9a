"""Who you are to the API, your alert preferences, and the service's health."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import g
from flask_smorest import Blueprint

from services.casework.adapters import preferences
from services.casework.api.app import context
from services.casework.api.common import documented, user
from services.casework.api.schemas import HealthSchema, MeSchema, PreferencesSchema

blp = Blueprint("me", __name__, description="You, your alert preferences; and the service's health")


def _me() -> dict[str, Any]:
    caller = user()
    prefs = context().casework.read(lambda conn: preferences.get(conn, caller.username))
    return {"username": caller.username, "role": caller.role, "office": caller.office,
            "display_name": caller.display_name, "credential": g.principal.credential,
            "alert_preferences": asdict(prefs)}


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
@documented(blp)
def me() -> dict[str, Any]:
    """The user this token belongs to: role, office and alert preferences."""
    return _me()


@blp.route("/me/alert-preferences", methods=["PUT"])
@blp.arguments(PreferencesSchema)
@blp.response(200, MeSchema)
@documented(blp)
def set_preferences(body: dict[str, Any]) -> dict[str, Any]:
    """Where your alerts go (e-mail, a signed webhook) and when (each immediately, or a daily digest)."""
    prefs = preferences.Preferences(user().username, body["email"], body["webhook_url"], body["mode"])
    context().casework.write(lambda conn: preferences.save(conn, prefs))
    return _me()


@blp.route("/health", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.doc(security=[])
def health() -> dict[str, Any]:
    """Liveness: no token needed."""
    return {"status": "ok", "service": "casework-api"}
