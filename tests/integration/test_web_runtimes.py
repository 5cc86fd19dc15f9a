"""Both runtimes serve the pages: the casework worker's API server has them too, and two workers share sessions."""

from __future__ import annotations

import http.client
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.casework import bootstrap
from services.casework.adapters import repository as repo
from services.casework.adapters import web_store
from services.casework.api.app import create_app
from services.casework.api.server import context_for
from services.casework.auth import passwords
from services.casework.domain.roles import User
from services.messaging.sqlite import sqlite_engine
from tests.integration.api_channels import free_port
from tests.integration.test_api_runtimes import wait_for

PASSWORD = "runtime-password-1"


def call(port: int, method: str, path: str, cookie: str = "", body: str = "") -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Cookie": cookie, "Referer": f"http://127.0.0.1:{port}{path}"} if cookie else {}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    response.read()
    return response


def test_the_casework_worker_serves_the_pages_and_signs_in_with_a_password(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib.parse import urlencode

    from services.casework import worker
    from services.config import Settings
    from services.metrics import Metrics

    port = free_port()
    monkeypatch.setenv("HRCASE_API_PORT", str(port))
    monkeypatch.delenv("HRCASE_IDENTITY_KEY", raising=False)
    worker.spec(Settings.from_env(data_dir=tmp_path), Metrics())
    wait_for(lambda: call(port, "GET", "/health").status == 200)
    engine = sqlite_engine(tmp_path / "casework.sqlite")
    with engine.begin() as conn:
        repo.save_user(conn, User("awa", "hro", "Mopti"))
        web_store.set_password(conn, "awa", passwords.hash_password(PASSWORD), datetime.now(UTC))
    page = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    page.request("GET", "/web/login")
    login = page.getresponse()
    html = login.read().decode()
    assert login.status == 200 and 'lang="en"' in html
    cookie = login.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token and cookie.startswith("__Host-hrcase=")
    signed = call(port, "POST", "/web/login", cookie,
                  urlencode({"csrf_token": token.group(1), "username": "awa", "password": PASSWORD}))
    assert signed.status == 303
    session = signed.getheader("Set-Cookie", "").split(";")[0]
    assert call(port, "GET", "/web/my-cases", session).status == 200
    assert call(port, "GET", "/", "").status == 302


def test_two_workers_on_one_database_share_the_cookie_key_so_either_serves_a_signed_in_user(tmp_path: Path) -> None:
    path = tmp_path / "casework.sqlite"
    engine = sqlite_engine(path)
    bootstrap.migrate(engine)
    apps = [create_app(context_for(bootstrap.build(sqlite_engine(path)))) for _ in range(2)]
    assert apps[0].config["SECRET_KEY"] == apps[1].config["SECRET_KEY"]
    with engine.begin() as conn:
        repo.save_user(conn, User("awa", "hro", "Mopti"))
        web_store.set_password(conn, "awa", passwords.hash_password(PASSWORD), datetime.now(UTC))
    first, second = (app.test_client() for app in apps)
    html = first.get("/web/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    signed = first.post("/web/login", base_url="https://localhost", headers={"Referer": "https://localhost/web/"},
                        data={"csrf_token": token.group(1), "username": "awa", "password": PASSWORD})
    assert signed.status_code == 303
    cookie = first.get_cookie("__Host-hrcase", domain="localhost")
    assert cookie is not None
    second.set_cookie("__Host-hrcase", cookie.value, domain="localhost", secure=True)
    assert second.get("/web/my-cases", base_url="https://localhost").status_code == 200
