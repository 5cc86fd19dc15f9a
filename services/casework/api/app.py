"""The casework HTTP API: a Flask app whose OpenAPI document is generated from its marshmallow schemas."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from flask import Flask, Response, g, request

from services.casework.adapters import access_log
from services.casework.api import docs, errors, headers
from services.casework.api.context import ApiContext
from services.casework.api.request import context
from services.casework.auth.identity import Unauthenticated
from services.logs import bind, unbind

log = logging.getLogger(__name__)
TITLE = "hrcase casework API"
VERSION = "1"
PUBLIC = ("/openapi.json", "/docs", "/health", "/favicon.ico")
REQUEST_ID = "X-Request-ID"
# A caller's own request id is kept when it is a short token (a proxy's or a client's), else one is made.
_GIVEN_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def create_app(ctx: ApiContext | None) -> Flask:
    """The app over a casework service (None: only to generate the OpenAPI document)."""
    from services.casework.api import (
        alerts,
        audit,
        cases,
        commands,
        duplicates,
        incidents,
        me,
        people,
        places,
        search,
        units,
    )

    app = Flask("hrcase.casework.api")
    app.config.update(
        API_TITLE=TITLE, API_VERSION=VERSION, OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Officers, Team Leaders and Directors act on cases. Authenticate with "
                                    "`Authorization: Bearer <token>` (`hrcase users token create`)."},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
        MAX_CONTENT_LENGTH=1 << 20, JSON_SORT_KEYS=False,
    )
    app.extensions["hrcase"] = ctx
    api = errors.JsonErrorsApi(app)
    app.extensions["hrcase.api"] = api
    for module in (search, cases, commands, alerts, duplicates, incidents, places, audit, me, units, people):
        api.register_blueprint(module.blp)
    errors.install(app)

    docs.install(app, TITLE)
    headers.install(app)
    app.before_request(_correlate)
    app.before_request(_authenticate)
    app.after_request(_record_access)
    app.after_request(_answer_id)
    app.teardown_request(_uncorrelate)
    if ctx is not None:
        from services.casework.web import install

        install(app, web_secret(ctx))
    return app


def web_secret(ctx: ApiContext) -> str:
    """HRCASE_WEB_SECRET, else a key made once in the casework database and shared by every worker."""
    import os

    from services.casework.adapters import web_store

    return os.environ.get("HRCASE_WEB_SECRET") or ctx.casework.write(web_store.cookie_key)


def _public(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PUBLIC)


def _correlate() -> None:
    """Every log line of this request, and every event it causes down the pipeline, carries one correlation id."""
    given = request.headers.get(REQUEST_ID, "")
    g.correlation_id = given if _GIVEN_ID.fullmatch(given) else str(uuid.uuid4())
    g.log_scope = bind(correlation_id=g.correlation_id)


def _answer_id(response: Response) -> Response:
    response.headers[REQUEST_ID] = g.correlation_id
    return response


def _uncorrelate(_error: BaseException | None) -> None:
    scope = g.pop("log_scope", None)
    if scope is not None:
        unbind(scope)


def _authenticate() -> None:
    g.principal, g.case, g.identities_shown, g.access_reason = None, None, False, None
    g.access_action = None  # a POST that only reads (a person lookup: names in its body, never in the log)
    if _public(request.path) or errors.is_web(request.path):  # the web blueprint signs its users in itself
        return
    ctx = context()
    try:
        g.principal = ctx.identity.identify(dict(request.headers), ctx.clock.now())
    except Unauthenticated as exc:
        raise errors.ApiError(401, "unauthenticated", str(exc)) from None


def _record_access(response: Response) -> Response:
    if _public(request.path) or request.path == "/" or request.path.startswith(errors.WEB + "/static/"):
        return response
    ctx = context()
    principal, case = getattr(g, "principal", None), getattr(g, "case", None)
    reason = getattr(g, "access_reason", None)  # an opening of identities for a decision: a read, with its why
    user = principal.user if principal else None
    rule = request.url_rule.rule.replace("<", "{").replace(">", "}") if request.url_rule else "(no route)"
    entry = access_log.Access(
        at=ctx.clock.now(), username=user.username if user else None, role=user.role if user else None,
        office=user.office if user else None, remote_addr=(request.remote_addr or "")[:64] or None,
        method=request.method[:8], endpoint=rule[:120], case_id=case.case_id if case else None,
        reference=case.reference if case else None,
        action=getattr(g, "access_action", None)
        or ("read" if request.method in ("GET", "HEAD", "OPTIONS") or reason else "change"),
        status=response.status_code, identities_shown=bool(getattr(g, "identities_shown", False)),
        reason=reason[:500] if reason else None)
    try:
        ctx.casework.write(lambda conn: access_log.append(conn, entry))
    except Exception:  # the answer stands; losing an entry is logged loudly
        log.exception("could not append to the access log (%s %s)", entry.method, entry.endpoint)
    # The process log's line for the request (waitress writes none): with its correlation id and case reference.
    log.info("%s %s %d by %s", entry.method, entry.endpoint, entry.status, entry.username or "(anonymous)")
    return response


def openapi(ctx: ApiContext | None = None) -> dict[str, Any]:
    """The OpenAPI document, as served at /openapi.json."""
    app = create_app(ctx)
    with app.test_request_context():
        spec: dict[str, Any] = app.extensions["hrcase.api"].spec.to_dict()
    return spec
