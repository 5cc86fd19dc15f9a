"""The API on PostgreSQL (the Kafka runtime's database): commands, identities, access log, tokens, deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from services.casework import bootstrap
from services.casework.adapters import delivery, preferences, token_store
from services.casework.adapters.channels import SmtpChannel
from services.casework.adapters.dispatcher import LEASE, Dispatcher
from services.casework.api.app import create_app
from services.casework.api.server import context_for
from services.clock import SimulatedClock
from services.config import SmtpSettings
from tests.integration.api_channels import smtp_server
from tests.integration.api_world import KEY, NOW, REFS, VICTIM, World, populate

pytestmark = pytest.mark.postgres


@pytest.fixture
def world(postgres: tuple[Engine, str]) -> Iterator[World]:
    engine, schema = postgres
    mapped = engine.execution_options(schema_translate_map={None: schema})
    bootstrap.migrate(mapped, schema)
    tokens = populate(mapped)
    casework = bootstrap.build(mapped, vault=KEY)
    clock = SimulatedClock(NOW)
    yield World(casework, create_app(context_for(casework, clock=clock)).test_client(), clock, tokens)


def test_commands_identities_and_the_access_log_work_on_postgresql(world: World) -> None:
    assert world.call("POST", f"/cases/{REFS['R']}/record", "awa", {"note": "pg"}).status_code == 200
    assert world.call("POST", f"/cases/{REFS['R']}/record", "awa", {}).status_code == 409
    assert world.call("POST", f"/cases/{REFS['Q']}/closure/approve", "dir_gao", {}).status_code == 403
    case = world.call("GET", f"/cases/{REFS['R']}", "awa").get_json()
    assert case["identities"]["victims"][0]["name"] == VICTIM and case["stage"] == "preliminary"
    assert world.call("GET", f"/cases/{REFS['R']}", "dir_gao").get_json()["identities"] is None
    listing = world.call("GET", "/cases?sla_state=on_track&page_size=2", "tl_mopti").get_json()
    assert listing["total"] >= 1 and len(listing["items"]) <= 2
    log = world.call("GET", f"/access-log?case={REFS['R']}", "aud_gao").get_json()
    assert [(e["username"], e["status"]) for e in reversed(log["items"])] == [
        ("awa", 200), ("awa", 409), ("awa", 200), ("dir_gao", 200)]
    assert world.call("GET", "/alerts/mine", "tl_mopti").get_json()["total"] == 1


def test_a_revoked_token_is_refused_on_postgresql(world: World) -> None:
    token_id = world.tokens["awa"].split("_")[1]
    assert world.casework.write(lambda conn: token_store.revoke(conn, token_id, NOW))
    assert not world.casework.write(lambda conn: token_store.revoke(conn, token_id, NOW))
    assert world.call("GET", "/me", "awa").get_json()["message"] == "the API token has been revoked"


def test_a_delivery_is_planned_once_and_claimed_by_one_dispatcher_at_a_time_on_postgresql(world: World) -> None:
    world.casework.write(lambda conn: preferences.save(conn, preferences.Preferences("tl_mopti", "tl@example.org")))
    assert world.casework.write(lambda conn: delivery.plan(conn, NOW, ("email",), 7)) == 1
    assert world.casework.write(lambda conn: delivery.plan(conn, NOW, ("email",), 7)) == 0
    [claimed] = world.casework.write(lambda conn: delivery.claim_due(conn, NOW, LEASE))
    assert world.casework.write(lambda conn: delivery.claim_due(conn, NOW, LEASE)) == []  # leased
    assert claimed.alert.alert_id == "alert-R"
    with smtp_server() as (inbox, port):
        sender = Dispatcher(world.casework, [SmtpChannel(SmtpSettings("127.0.0.1", port))])
        assert sender.run_once(NOW + LEASE + timedelta(seconds=1)) == 1  # the lease ran out: sent now
    assert len(inbox.messages) == 1
