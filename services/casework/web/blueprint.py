"""The /web blueprint: who is signed in, CSRF on every form, the page frame, errors (headers: api/headers.py)."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from services.casework.adapters import access_requests
from services.casework.adapters.inbox import MENU_BOUND, cases_needing_action
from services.casework.api.request import context
from services.casework.auth.policy import may_decide_access
from services.casework.web import csrf, signin

log = logging.getLogger(__name__)
bp = Blueprint("web", __name__, url_prefix="/web", template_folder="templates", static_folder="static")
PUBLIC = ("web.login", "web.static", "web.language")


@bp.before_request
def signed_in() -> Response | None:
    """Every form checks its CSRF token; every page but sign-in needs a live session."""
    if request.endpoint == "web.static":
        return None  # the stylesheet and the script: public, and no session lookup for them
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    if signin.resume(context().clock.now()) or request.endpoint in PUBLIC:
        return None
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("web.login", next=target.rstrip("?") if target else None))


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> tuple[str, int]:
    return page("error.html", title=_("The form has expired"),
                message=_("This form was open too long or came from elsewhere. Go back, reload the page and "
                          "try again.")), 400


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    titles = {403: _("Not allowed"), 404: _("Not found"), 413: _("The file is too large")}
    message = error.description if status < 500 else ""
    if message == type(error).description:  # Werkzeug's own English text: say it in the reader's language
        message = {404: _("There is no such page, or nothing here that you may see."),
                   403: _("Your role or office does not allow this.")}.get(status, "")
    return page("error.html", title=titles.get(status, _("Something went wrong")), message=message), status


def not_routed(error: HTTPException) -> tuple[str, int]:
    """An error before any page was chosen (an unknown address under /web, a method no page takes): the same page,
    with the navigation of whoever is signed in."""
    if getattr(g, "principal", None) is None:
        signin.resume(context().clock.now())
    return http_error(error)


@bp.errorhandler(Exception)
def unexpected(error: Exception) -> tuple[str, int]:
    # Type, route and frames only, as the API logs them: a message may quote request data, even identities.
    log.error("unexpected %s in %s %s\n%s", type(error).__name__, request.method, request.url_rule,
              "".join(traceback.format_tb(error.__traceback__)))
    return page("error.html", title=_("Something went wrong"),
                message=_("An unexpected error occurred; it has been logged.")), 500


def page(template: str, needing_action: int | None = None, **values: Any) -> str:
    """A page in the frame: navigation for the signed-in user's role (with how many cases their alerts are about:
    `needing_action` when the page has just counted them, as the alert page does), flashed messages, language."""
    user = me()
    waiting, asking = None, None
    if user is not None and user.role in ("hro", "team_leader", "director"):
        leader = may_decide_access(user, user.office)
        waiting, asking = context().casework.read(lambda conn: (
            cases_needing_action(conn, user, MENU_BOUND) if needing_action is None else needing_action,
            access_requests.pending_count(conn, user.office) if leader else None))
    return render_template(template, me=user, session_lang=session.get("lang"), alerts_waiting=waiting,
                           menu_bound=MENU_BOUND, access_waiting=asking, **values)


def me() -> Any:
    principal = getattr(g, "principal", None)
    return principal.user if principal else None
