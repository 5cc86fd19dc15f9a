"""Errors as JSON with a stable code and a message for a person; no stack trace ever reaches a client."""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, jsonify, make_response, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from services.casework.api.schemas import ErrorSchema

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid_request", 429: "too_many_requests", 500: "internal_error", 503: "unavailable",
}


WEB = "/web"
WEB_ERRORS = "hrcase.web_errors"  # the web's HTML error page, when the pages are installed


class ApiError(Exception):
    """A refusal the client should see as is: status, stable code, reason."""

    def __init__(self, status: int, code: str, message: str, errors: dict[str, Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def body(status: int, code: str, message: str, errors: dict[str, Any] | None = None) -> Response:
    payload: dict[str, Any] = {"code": code, "message": message, "status": status}
    if errors:
        payload["errors"] = errors
    response = jsonify(payload)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="hrcase"'
    return response


class JsonErrorsApi(Api):
    """flask-smorest's Api with our error body (ErrorSchema) for every HTTP error it or werkzeug raises."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        return with_headers_of(error, self._answer(error))

    def _answer(self, error: HTTPException) -> Response:
        status = error.code or 500
        html = current_app.extensions.get(WEB_ERRORS)
        if html is not None and is_web(request.path):  # an address under /web that no page answers: a page
            return make_response(html(error))
        data = getattr(error, "data", None) or {}
        errors = _flatten(data.get("messages")) if data.get("messages") else None
        if status == 422 or errors:
            return body(422, "invalid_request", "the request does not match its schema", errors)
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        message = error.description if status < 500 and error.description else phrase
        return body(status, CODES.get(status, f"http_{status}"), message)


def with_headers_of(error: HTTPException, response: Response) -> Response:
    """The headers the error itself carries (`Allow` on a 405, as RFC 9110 requires), on our answer."""
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def is_web(path: str) -> bool:
    """The pages' addresses (signed in with a session cookie by services/casework/web), not the API's."""
    return path == "/" or path == WEB or path.startswith(WEB + "/")


def _flatten(messages: Any) -> dict[str, Any]:
    """webargs keys errors by location (json, query); the client only needs field -> messages."""
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "path", "headers", "form", "files"}:
        out: dict[str, Any] = {}
        for value in messages.values():
            if isinstance(value, dict):
                out.update(value)
        return out
    return messages if isinstance(messages, dict) else {"_request": messages}


def install(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def refused(error: ApiError) -> Response:
        return body(error.status, error.code, error.message, error.errors)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):  # raised outside smorest's handler (e.g. in before_request)
            return with_headers_of(error, body(error.code or 500, CODES.get(error.code or 500, "error"),
                                               error.description or "error"))
        # Type, route and frames only: an exception's message may quote request data, even identities.
        log.error("unexpected %s in %s %s\n%s", type(error).__name__, request.method, request.url_rule,
                  "".join(traceback.format_tb(error.__traceback__)))
        return body(500, "internal_error", "an unexpected error occurred; it has been logged")
