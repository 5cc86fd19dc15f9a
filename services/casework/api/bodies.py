"""Request bodies as the published schema declares them: required, JSON, and read without crashing on any input."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import flask
import flask_smorest
from webargs.flaskparser import FlaskParser, is_json_request

from schemas import json_text
from services.casework.api.errors import ApiError


class BodyParser(FlaskParser):
    """webargs' parser, holding every body to what the OpenAPI says of it (`requestBody.required: true`, JSON):
    a missing body is refused rather than read as `{}`, a body of another media type rather than ignored, and JSON
    nested beyond what the parser can read is a 400 like any malformed JSON (not a RecursionError, a 500)."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        data = req.get_data(cache=True)
        if not data.strip():
            raise ApiError(400, "bad_request", "this operation needs a JSON body (send {} when no field is needed)")
        if not is_json_request(req):
            raise ApiError(415, "unsupported_media_type",
                           f"send the body as application/json, not {req.mimetype or 'without a media type'}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiError(400, "bad_request", f"the body is not UTF-8 (byte {exc.start + 1})") from None
        return json_text.loads(text)

    def _handle_invalid_json_error(self, error: json.JSONDecodeError | UnicodeDecodeError, req: flask.Request,
                                   *args: Any, **kwargs: Any) -> NoReturn:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else error.reason
        raise ApiError(400, "bad_request", f"the body is not valid JSON: {reason}")


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the BodyParser: every API module declares its operations on one of these."""

    ARGUMENTS_PARSER = BodyParser()
