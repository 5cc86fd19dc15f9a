"""Sign-in slowed per address and per account with growing delays, never locked; unknown and known users alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.test import TestResponse

from services.casework import bootstrap
from services.casework.adapters import tables, web_store
from services.casework.api.app import create_app
from services.casework.api.server import context_for
from services.casework.auth import passwords
from services.messaging.sqlite import sqlite_engine
from tests.integration.api_world import KEY, World
from tests.integration.web_world import PASSWORD, Browser, browser, template, web_world

ATTACKER, DIRECTOR = "198.51.100.66", "192.0.2.7"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-throttle"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from web_world(made[0], made[1], tmp_path)


def sign_in(world: World, username: str, password: str, address: str) -> TestResponse:
    """A fresh browser at `address` posting the sign-in form once."""
    made = Browser(world.client.application.test_client())
    made.get("/web/login", environ_base={"REMOTE_ADDR": address})
    return made.post("/web/login", {"username": username, "password": password},
                     environ_base={"REMOTE_ADDR": address})


def waited(response: TestResponse) -> int:
    assert response.status_code == 429, response.status_code
    seconds = int(response.headers["Retry-After"])
    assert re.search(rf"Too many attempts: try again in {seconds} seconds?\.", response.get_data(as_text=True))
    return seconds


def test_twenty_guesses_at_five_accounts_from_one_address_are_slowed_and_the_owners_elsewhere_are_not(
        world: World) -> None:
    names = ("awa", "bakary", "tl_mopti", "dir_mopti", "nobody")
    statuses = [sign_in(world, names[n % 5], f"guess number {n}", ATTACKER).status_code for n in range(20)]
    assert statuses == [401] * 10 + [429] * 10
    assert waited(sign_in(world, "awa", PASSWORD, ATTACKER)) == 1  # even the right password waits its turn
    with world.casework.engine.connect() as conn:
        counted = dict(conn.execute(select(tables.sign_in_failures.c.key, tables.sign_in_failures.c.failures)).all())
    assert counted[f"address:{ATTACKER}"] == 10  # attempts refused while waiting are not checked, nor counted
    assert sign_in(world, "dir_mopti", PASSWORD, DIRECTOR).status_code == 303


def test_the_delays_grow_and_a_correct_password_works_once_the_wait_has_passed(world: World) -> None:
    for n in range(5):
        assert sign_in(world, "awa", f"wrong {n}", ATTACKER).status_code == 401
    waits = []
    for n in range(4):
        seconds = waited(sign_in(world, "awa", "wrong again", ATTACKER))
        waits.append(seconds)
        world.clock.advance(timedelta(seconds=seconds))
        assert sign_in(world, "awa", f"still wrong {n}", ATTACKER).status_code == 401
    assert waits == [1, 2, 4, 8]
    world.clock.advance(timedelta(seconds=waited(sign_in(world, "awa", PASSWORD, ATTACKER))))
    assert sign_in(world, "awa", PASSWORD, ATTACKER).status_code == 303
    with world.casework.engine.connect() as conn:  # the owner is in: the account's run is over
        keys = set(conn.scalars(select(tables.sign_in_failures.c.key)))
    assert keys == {f"address:{ATTACKER}"}


def test_a_director_is_never_locked_out_by_someone_elses_guesses(world: World) -> None:
    for _ in range(30):  # as fast as the throttle lets them, from one address
        response = sign_in(world, "dir_mopti", "a guess at the Director", ATTACKER)
        if response.status_code == 429:
            world.clock.advance(timedelta(seconds=int(response.headers["Retry-After"])))
            response = sign_in(world, "dir_mopti", "a guess at the Director", ATTACKER)
        assert response.status_code == 401
    assert waited(sign_in(world, "dir_mopti", PASSWORD, DIRECTOR)) <= 60  # the account's wait is capped at a minute
    world.clock.advance(timedelta(seconds=60))
    assert sign_in(world, "dir_mopti", PASSWORD, DIRECTOR).status_code == 303
    assert waited(sign_in(world, "dir_mopti", "one more guess", ATTACKER)) > 60  # the guesser is slowed the most


def test_runs_are_shared_by_every_worker_through_the_database_and_forgotten_after_an_hour(world: World) -> None:
    for n in range(12):
        sign_in(world, "awa", f"wrong {n}", ATTACKER)
    engine = sqlite_engine(Path(str(world.casework.engine.url.database)))
    app = create_app(context_for(bootstrap.build(engine, vault=KEY), clock=world.clock))  # a second worker
    other = World(world.casework, app.test_client(), world.clock, world.tokens)
    assert waited(sign_in(other, "awa", PASSWORD, ATTACKER)) == 1  # this worker never saw those failures itself
    world.clock.advance(timedelta(hours=1))
    assert sign_in(other, "awa", PASSWORD, ATTACKER).status_code == 303
    engine.dispose()


def normalised(response: TestResponse, username: str) -> str:
    text = re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
    return text.replace(f'value="{username}"', 'value=""')


def test_unknown_and_known_usernames_get_the_same_answer_after_one_verification_of_the_same_cost(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.casework.write(lambda conn: web_store.set_password(conn, "bakary", None, world.clock.now()))
    verified: list[str] = []
    real = passwords._hasher

    class Counting:
        def verify(self, hash_: Any, password: Any) -> Any:
            verified.append(str(hash_))
            return real.verify(hash_, password)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    answers = {}
    for username, password in (("awa", "wrong password!"), ("nobody", PASSWORD), ("bakary", PASSWORD)):
        before = len(verified)
        response = sign_in(world, username, password, DIRECTOR)
        assert len(verified) == before + 1, username  # one argon2 verification, whoever was named
        answers[username] = (response.status_code, normalised(response, username))
    assert answers["awa"] == answers["nobody"] == answers["bakary"]
    assert answers["awa"][0] == 401
    costs = {h.split("$")[3] for h in verified}  # m=...,t=...,p=...: the dummy hash costs what a real one does
    assert len(costs) == 1

    for username in ("awa", "nobody"):  # throttled alike too: five failures under each name
        for n in range(5):
            sign_in(world, username, f"wrong {n}", f"203.0.113.{n}")
    throttled = [sign_in(world, name, "x", "203.0.113.99") for name in ("awa", "nobody")]
    assert normalised(throttled[0], "awa") == normalised(throttled[1], "nobody")
    assert [r.headers["Retry-After"] for r in throttled] == ["1", "1"]


def test_a_wrong_current_password_in_settings_counts_and_is_throttled_too(world: World) -> None:
    awa = browser(world, "awa")
    for n in range(5):
        response = awa.post("/web/settings/password", {"current": f"wrong {n}", "new": "x" * 20, "again": "x" * 20})
        assert response.status_code == 422
    throttled = awa.post("/web/settings/password", {"current": PASSWORD, "new": "y" * 20, "again": "y" * 20})
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert "Too many attempts" in throttled.get_data(as_text=True)
