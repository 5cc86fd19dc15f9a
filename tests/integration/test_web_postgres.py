"""The pages on PostgreSQL (the Kafka runtime's database): sign-in, sessions, a form, the overview, lockout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from services.casework import bootstrap
from services.casework.adapters import web_store
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


def test_the_cookie_key_is_made_once_and_failures_lock_an_account_on_postgresql(world: World) -> None:
    first = world.casework.write(web_store.cookie_key)
    assert world.casework.write(web_store.cookie_key) == first
    for _ in range(5):
        assert browser(world).sign_in("awa", "wrong password!").status_code == 401
    assert browser(world).sign_in("awa").status_code == 401
    world.clock.advance(timedelta(minutes=16))
    assert browser(world).sign_in("awa").status_code == 303
