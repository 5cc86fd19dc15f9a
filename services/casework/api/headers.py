"""Security headers on every answer of the app (API, `/docs`, web pages), set in this one place."""

from __future__ import annotations

from flask import Flask, Response, request

from services.casework.api.errors import is_web

# The pages: their own stylesheet and script only, forms back to themselves, never in a frame.
WEB_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; "
           "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
# Swagger UI: its bundled files from this server (services/casework/api/docs.py), no inline script; it fetches
# /openapi.json and "try it out" calls the API, both on this origin.
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
# JSON answers: nothing in them is ever to be run, styled or framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS = "/docs"
# Files that hold nothing of any case: a browser may keep them.
ASSETS = ("/web/static/", "/docs/assets/", "/favicon.ico")


def policy(path: str) -> str:
    if path == DOCS or path.startswith(DOCS + "/"):
        return DOCS_CSP
    return WEB_CSP if is_web(path) else API_CSP


def secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = policy(request.path)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if not request.path.startswith(ASSETS):
        # Cases, identities of victims and witnesses, tokens' owners: never kept by a browser's or a proxy's cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def install(app: Flask) -> None:
    app.after_request(secure)
