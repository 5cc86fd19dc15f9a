"""The pages on PostgreSQL (the Kafka runtime's database): sign-in, sessions, a form, the overview, throttling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from services.casework import bootstrap
from services.casework.adapters import tables, web_store
from services.casework.api.app import create_app
from services.casework.api.server import context_for
from services.clock import SimulatedClock
from tests.integration.api_world import KEY, NOW, REFS, World, populate
from tests.integration.web_world import browser, give_passwords

pytestmark = pytest.mark.postgres


@pytest.fixture
def world(postgres: tuple[Engine, str]) -> Iterator[World]:
    engine, schema = postgres
    mapped = engine.execution_options(schema_translate_map={None: schema})
    bootstrap.migrate(mapped, schema)
    tokens = populate(mapped)
    casework = bootstrap.build(mapped, vault=KEY)
    clock = SimulatedClock(NOW)
    made = World(casework, create_app(context_for(casework, clock=clock)).test_client(), clock, tokens)
    give_passwords(made)
    yield made


def test_signing_in_recording_a_case_and_signing_out_work_on_postgresql(world: World) -> None:
    awa = browser(world, "awa")
    assert awa.post(f"/web/cases/{REFS['R']}/record", {"note": "from the page"}).status_code == 303
    assert "Preliminary" in awa.get(f"/web/cases/{REFS['R']}").get_data(as_text=True)
    assert browser(world, "dir_gao").get("/web/overview").status_code == 200
    assert awa.post("/web/logout").status_code == 303
    assert awa.get("/web/my-cases").status_code == 302


def test_the_cookie_key_is_made_once_and_failures_slow_sign_in_on_postgresql(world: World) -> None:
    first = world.casework.write(web_store.cookie_key)
    assert world.casework.write(web_store.cookie_key) == first
    for _ in range(5):
        assert browser(world).sign_in("awa", "wrong password!").status_code == 401
    throttled = browser(world).sign_in("awa")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    world.clock.advance(timedelta(seconds=1))
    assert browser(world).sign_in("awa", "wrong again!").status_code == 401  # the run goes on: 6, then 2 s
    world.clock.advance(timedelta(seconds=2))
    assert browser(world).sign_in("awa").status_code == 303
    with world.casework.engine.connect() as conn:
        runs = dict(conn.execute(select(tables.sign_in_failures.c.key, tables.sign_in_failures.c.failures)).all())
    assert runs == {"address:127.0.0.1": 6}


def test_an_opening_for_a_decision_is_logged_with_its_reason_on_postgresql(world: World) -> None:
    why = "the witnesses decide it"
    response = world.call("POST", f"/cases/{REFS['Q']}/identities-for-decision", "dir_mopti", {"reason": why})
    assert response.status_code == 200 and response.get_json()["identities"] is not None
    seen = world.call("GET", f"/cases/{REFS['Q']}/identity-openings", "tl_mopti").get_json()["items"]
    assert [(o["username"], o["reason"]) for o in seen] == [("dir_mopti", why)]
