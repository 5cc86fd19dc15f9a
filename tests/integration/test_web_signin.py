"""Signing in to the web pages: argon2 passwords, a server-side session behind a Secure HttpOnly cookie, CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.casework.adapters import repository as repo
from services.casework.adapters import tables, web_store
from services.casework.domain.roles import User
from tests.integration.api_world import REFS, World
from tests.integration.web_world import browser, template, web_world


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-signin"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from web_world(made[0], made[1], tmp_path)


def test_signing_in_sets_a_secure_http_only_same_site_host_cookie_and_keeps_only_a_hash(world: World) -> None:
    awa = browser(world)
    response = awa.sign_in("awa")
    assert response.status_code == 303 and response.headers["Location"] == "/web/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-hrcase=")
    assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"))
    assert "Domain" not in cookie
    with world.casework.engine.connect() as conn:
        rows = conn.execute(select(tables.web_sessions)).all()
        stored = conn.scalar(select(tables.web_accounts.c.password_hash).where(
            tables.web_accounts.c.username == "awa"))
    assert len(rows) == 1 and len(rows[0].token_hash) == 64
    assert stored is not None and stored.startswith("$argon2id$")
    assert awa.get("/web/my-cases").status_code == 200


def test_a_wrong_password_an_unknown_user_and_a_user_without_a_password_are_refused_alike(world: World) -> None:
    world.casework.write(lambda conn: web_store.set_password(conn, "bakary", None, world.clock.now()))
    for username, password in (("awa", "wrong password!"), ("nobody", "integration-password-1"),
                               ("bakary", "integration-password-1")):
        response = browser(world).sign_in(username, password)
        assert response.status_code == 401
        assert "Wrong username or password" in response.get_data(as_text=True)
        assert "__Host-hrcase" not in response.headers.get("Set-Cookie", "") or "sid" not in response.headers.get(
            "Set-Cookie", "")
    with world.casework.engine.connect() as conn:
        assert conn.execute(select(tables.web_sessions)).all() == []


def test_signing_out_ends_the_session_on_the_server_so_the_old_cookie_no_longer_works(world: World) -> None:
    awa = browser(world, "awa")
    stolen = awa.client.get_cookie("__Host-hrcase", domain="localhost")
    assert stolen is not None
    awa.get("/web/my-cases")
    assert awa.post("/web/logout").status_code == 303
    thief = browser(world)
    thief.client.set_cookie("__Host-hrcase", stolen.value, domain="localhost", secure=True)
    response = thief.get("/web/my-cases")
    assert response.status_code == 302 and "/web/login" in response.headers["Location"]


@pytest.mark.parametrize("ending", ["deactivated", "new password", "idle two hours", "twelve hours old"])
def test_a_session_ends_when_the_user_is_deactivated_gets_a_new_password_or_it_times_out(
        world: World, ending: str) -> None:
    awa = browser(world, "awa")
    assert awa.get("/web/my-cases").status_code == 200
    if ending == "deactivated":
        world.casework.write(lambda conn: repo.save_user(conn, User("awa", "hro", "Mopti", active=False)))
    elif ending == "new password":
        world.casework.write(lambda conn: web_store.set_password(conn, "awa", "x", world.clock.now()))
    elif ending == "idle two hours":
        world.clock.advance(timedelta(hours=2, minutes=1))
    else:
        for _ in range(13):  # active every hour, yet the session's life is twelve hours
            world.clock.advance(timedelta(hours=1))
            awa.get("/web/my-cases")
    response = awa.get("/web/my-cases")
    assert response.status_code == 302 and "/web/login" in response.headers["Location"]


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(world: World) -> None:
    awa = browser(world, "awa")
    before = world.snapshot()
    response = awa.post(f"/web/cases/{REFS['R']}/record", {"note": "no token"}, csrf=False)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    forged = awa.post(f"/web/cases/{REFS['R']}/record", {"note": "forged", "csrf_token": "x.y.z"}, csrf=False)
    assert forged.status_code == 400
    after = world.snapshot()
    assert {k: v for k, v in after.items() if k != "web_sessions"} == {
        k: v for k, v in before.items() if k != "web_sessions"}
    assert browser(world).post("/web/login", {"username": "awa", "password": "x"}, csrf=False).status_code == 400


def test_after_signing_in_only_pages_of_this_site_are_followed(world: World) -> None:
    for target, expected in (("/web/alerts", "/web/alerts"), ("https://evil.example/web/", "/web/"),
                             ("//evil.example/web/", "/web/"), ("/docs", "/web/")):
        b = browser(world)
        b.get("/web/login")
        response = b.post("/web/login", {"username": "awa", "password": "integration-password-1", "next": target})
        assert response.headers["Location"] == expected


def test_the_pages_take_no_bearer_token_and_the_api_takes_no_session_cookie(world: World) -> None:
    bearer = {"Authorization": f"Bearer {world.tokens['awa']}"}
    page = world.client.get("/web/my-cases", headers=bearer, base_url="https://localhost")
    assert page.status_code == 302 and "/web/login" in page.headers["Location"]
    awa = browser(world, "awa")
    assert awa.client.get("/cases", base_url="https://localhost").status_code == 401


def test_every_page_read_and_form_is_in_the_access_log_with_whether_identities_were_shown(world: World) -> None:
    from services.casework.adapters import access_log

    awa, bakary = browser(world, "awa"), browser(world, "bakary")
    assert "Fatoumata Hidden-Victim" in awa.get(f"/web/cases/{REFS['R']}").get_data(as_text=True)
    assert "Fatoumata Hidden-Victim" not in bakary.get(f"/web/cases/{REFS['R']}").get_data(as_text=True)
    awa.post(f"/web/cases/{REFS['R']}/record", {"note": "from the page"})
    _, entries = world.casework.read(lambda conn: access_log.entries(conn, limit=50))
    pages = [(e.username, e.method, e.endpoint, e.reference, e.identities_shown, e.status) for _, e in entries
             if e.endpoint.startswith("/web/cases")]
    assert ("awa", "GET", "/web/cases/{ref}", REFS["R"], True, 200) in pages
    assert ("bakary", "GET", "/web/cases/{ref}", REFS["R"], False, 200) in pages
    assert ("awa", "POST", "/web/cases/{ref}/{action}", REFS["R"], False, 303) in pages
    assert all(not e.endpoint.startswith("/web/static") for _, e in entries)


def test_the_sign_in_page_warns_when_the_connection_is_plain_http_to_another_machine(world: World) -> None:
    remote = world.client.get("/web/login", base_url="http://hrcase.example.org").get_data(as_text=True)
    assert "not encrypted" in remote
    for base in ("https://hrcase.example.org", "http://127.0.0.1:6080", "http://localhost"):
        assert "not encrypted" not in world.client.get("/web/login", base_url=base).get_data(as_text=True), base
