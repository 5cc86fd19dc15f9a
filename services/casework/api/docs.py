"""Swagger UI at /docs from the swagger-ui-bundle package: nothing fetched from the internet, no inline script."""

from __future__ import annotations

from flask import Flask, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="/favicon.ico">
<link href="/docs/assets/swagger-ui.css" rel="stylesheet" type="text/css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
"""
# In a file of its own rather than inline, so that the page's Content-Security-Policy allows scripts of this
# server only (services/casework/api/headers.py).
START = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});
});
"""


def install(app: Flask, title: str) -> None:
    @app.get("/docs")
    def docs() -> Response:
        """The interactive documentation of the API."""
        return Response(PAGE.format(title=title), mimetype="text/html")

    @app.get("/docs/start.js")
    def docs_start() -> Response:
        return Response(START, mimetype="text/javascript")

    @app.get("/docs/assets/<path:name>")
    def docs_assets(name: str) -> Response:
        """Swagger UI's files from the swagger-ui-bundle package."""
        return send_from_directory(str(swagger_ui_path), name)
