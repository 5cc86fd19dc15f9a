"""Who you are to the API, your alert preferences, and the service's health."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import g

from services.casework.adapters import preferences
from services.casework.api.bodies import Blueprint
from services.casework.api.common import documented
from services.casework.api.request import context, user
from services.casework.api.schemas import HealthSchema, MeSchema, PreferencesBody

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
@blp.arguments(PreferencesBody)
@blp.response(200, MeSchema)
@documented(blp)
def set_preferences(body: dict[str, Any]) -> dict[str, Any]:
    """Your alert e-mail address and when alerts come (each immediately, or a daily digest).

    A webhook is set by an administrator only, so that nobody can make the server call an address of their choosing.
    """
    caller = user().username

    def change(conn: Any) -> None:
        current = preferences.get(conn, caller)
        preferences.save(conn, preferences.Preferences(caller, body["email"], current.webhook_url, body["mode"]))

    context().casework.write(change)
    return _me()


@blp.route("/health", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.doc(security=[])
def health() -> dict[str, Any]:
    """Liveness: no token needed."""
    return {"status": "ok", "service": "casework-api"}
