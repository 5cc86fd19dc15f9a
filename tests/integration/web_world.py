"""The API tests' world seen through the web pages: a browser-like client per user, with its cookie and CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.casework.adapters import web_store
from services.casework.auth import passwords
from tests.integration.api_world import NOW, USERS, World, build_template, open_world

BASE = "https://localhost"  # the pages' cookie is Secure: a browser sends it over HTTPS (or to 127.0.0.1)
PASSWORD = "integration-password-1"
_HASH = passwords.hash_password(PASSWORD)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Browser:
    """One person's browser: cookies kept between requests, each form posted with the page's CSRF token."""

    client: FlaskClient
    token: str = ""
    last: TestResponse | None = field(default=None, repr=False)

    def get(self, path: str, **kw: Any) -> TestResponse:
        response = self.client.get(path, base_url=BASE, **kw)
        found = TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        self.last = response
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, csrf: bool = True, **kw: Any) -> TestResponse:
        if csrf and not self.token:
            self.get("/web/login")
        body = {**({"csrf_token": self.token} if csrf else {}), **(data or {})}
        response = self.client.post(path, data=body, base_url=BASE, headers={"Referer": BASE + path}, **kw)
        self.last = response
        return response

    def sign_in(self, username: str, password: str = PASSWORD) -> TestResponse:
        self.get("/web/login")
        response = self.post("/web/login", {"username": username, "password": password})
        if response.status_code == 303:
            self.get("/web/settings")  # signing in starts a new session, with a new CSRF token
            self.last = response
        return response

    def text(self) -> str:
        assert self.last is not None
        return self.last.get_data(as_text=True)


def give_passwords(world: World) -> None:
    def change(conn: Any) -> None:
        for user in USERS:
            web_store.set_password(conn, user.username, _HASH, NOW)

    world.casework.write(change)


def browser(world: World, username: str | None = None) -> Browser:
    made = Browser(world.client.application.test_client())
    if username:
        response = made.sign_in(username)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return made


def template(folder: Path) -> tuple[Path, dict[str, str]]:
    path = folder / "template.sqlite"
    return path, build_template(path)


def web_world(template_path: Path, tokens: dict[str, str], folder: Path) -> Iterator[World]:
    for world in open_world(template_path, tokens, folder):
        give_passwords(world)
        yield world
