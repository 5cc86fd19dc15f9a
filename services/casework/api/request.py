"""The request being served: the casework service it runs on, who is asking, and the time it is."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, g

from services.casework.api.context import ApiContext
from services.casework.domain.roles import User


def context() -> ApiContext:
    """The service, identity check, clock and settings the app was made with (`create_app`)."""
    ctx: ApiContext = current_app.extensions["hrcase"]
    return ctx


def user() -> User:
    """The signed-in caller: by bearer token (the API) or by session (the pages)."""
    found: User = g.principal.user
    return found


def now() -> datetime:
    return context().clock.now()
