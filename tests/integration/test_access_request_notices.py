"""A request to read another office's cases reaches that office's Team Leaders by the channels they chose for alerts
(a local SMTP server, a signed webhook): once, retried through an outage, never after it was decided, and without the
requester's free text or anyone's name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import Engine, select, text

from services.casework.adapters import notices, preferences, tables
from services.casework.adapters.channels import SIGNATURE_HEADER, SmtpChannel, WebhookChannel, verify
from services.casework.adapters.dispatcher import Dispatcher
from services.config import SmtpSettings
from services.messaging import migrate as migrations
from tests.integration.api_channels import Hooks, Inbox, free_port
from tests.integration.api_world import NOW, World, open_world
from tests.integration.people_world import GAO_REFS, add_people
from tests.integration.test_api_people_lookup import AMINATA, WHY
from tests.integration.test_casework_alert_consolidation import to
from tests.integration.web_world import template

SECRET = "webhook-signing-secret"
SUBJECT = "[hrcase] Access requested to 2 cases of Gao"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("access-notices"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    for world in open_world(made[0], made[1], tmp_path):
        add_people(world.casework)
        yield world


def prefer(world: World, username: str, email: str | None = None, webhook: str | None = None) -> None:
    world.casework.write(lambda conn: preferences.save(conn, preferences.Preferences(username, email, webhook,
                                                                                     "digest")))


def ask(world: World) -> str:
    asked = world.call("POST", "/people/access-requests", "awa", {**AMINATA, "office": "Gao", "reason": WHY})
    assert asked.status_code == 201, asked.get_json()
    return str(asked.get_json()["request_id"])


def told(world: World, request_id: str) -> list[tuple[Any, ...]]:
    return [(n["username"], n["channel"], n["status"], n["attempts"])
            for n in world.casework.read(lambda conn: notices.for_request(conn, request_id))]


def asking(inbox: Inbox) -> list[Any]:
    return [m for m in inbox.messages if m["Subject"] == SUBJECT]


def test_gao_s_team_leader_is_told_of_a_request_by_email_and_webhook_once(
        world: World, smtp: tuple[Inbox, int], hooks: tuple[type[Hooks], str]) -> None:
    (inbox, port), (handler, url) = smtp, hooks
    prefer(world, "tl_gao", "tl.gao@example.org", url)  # digest mode for alerts: a request is told at once all the same
    prefer(world, "tl_mopti", "tl.mopti@example.org")  # another office's: told nothing
    request_id = ask(world)
    registry = CollectorRegistry()
    dispatcher = Dispatcher(world.casework, [SmtpChannel(SmtpSettings("127.0.0.1", port)), WebhookChannel(SECRET)],
                            registry=registry)
    dispatcher.run_once(NOW + timedelta(minutes=1))
    dispatcher.run_once(NOW + timedelta(minutes=2))  # told once
    [mail] = asking(inbox)
    assert mail["To"] == "tl.gao@example.org"
    body = mail.get_content()
    assert "awa asks to read 2 cases of Gao" in body and f"/people/access-requests/{request_id}/decision" in body
    assert all(f"- {reference}" in body for reference in GAO_REFS.values())
    assert WHY not in body and "Aminata" not in body and "Traor" not in body  # no free text, no name
    [(headers, sent)] = [(h, b) for h, b in handler.received if json.loads(b)["type"] == "access_request"]
    assert verify(SECRET, headers[SIGNATURE_HEADER], sent)
    assert json.loads(sent) | {"at": None} == {"type": "access_request", "request_id": request_id, "requester": "awa",
                                               "office": "Gao", "references": sorted(GAO_REFS.values()), "at": None}
    assert told(world, request_id) == [("tl_gao", "email", "sent", 1), ("tl_gao", "webhook", "sent", 1)]
    metrics = generate_latest(registry).decode()
    assert 'hrcase_access_request_notices_total{channel="email",outcome="sent"} 1.0' in metrics


def test_a_notice_waits_out_an_smtp_outage_and_goes_when_the_server_is_back(world: World) -> None:
    port = free_port()
    prefer(world, "tl_gao", "tl.gao@example.org")
    request_id = ask(world)
    dispatcher = Dispatcher(world.casework, [SmtpChannel(SmtpSettings("127.0.0.1", port, timeout=2))])
    dispatcher.run_once(NOW + timedelta(minutes=1))
    [notice] = world.casework.read(lambda conn: notices.for_request(conn, request_id))
    assert (notice["status"], notice["attempts"]) == ("pending", 1)
    assert "ConnectionRefusedError" in notice["last_error"]
    inbox = Inbox()  # the server back, on the port the settings name
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        dispatcher.run_once(NOW + timedelta(minutes=2))  # after its backoff of 30 s
    finally:
        server.stop()
    assert [m["To"] for m in asking(inbox)] == ["tl.gao@example.org"]
    assert told(world, request_id) == [("tl_gao", "email", "sent", 2)]


def test_a_request_decided_before_it_could_be_told_is_not_told(world: World, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    prefer(world, "tl_gao", "tl.gao@example.org")
    request_id = ask(world)
    planned = world.casework.write(lambda conn: notices.plan(conn, NOW, ("email",)))
    assert planned == 1
    decided = world.call("POST", f"/people/access-requests/{request_id}/decision", "tl_gao",
                         {"grant": False, "reason": "not needed"})
    assert decided.status_code == 200
    Dispatcher(world.casework, [SmtpChannel(SmtpSettings("127.0.0.1", port))]).run_once(NOW + timedelta(minutes=1))
    assert asking(inbox) == []
    [notice] = world.casework.read(lambda conn: notices.for_request(conn, request_id))
    assert (notice["status"], notice["last_error"]) == ("failed", "the request was decided before it was told")


def test_requests_made_before_the_upgrade_are_not_told(engines: tuple[Engine, str | None]) -> None:
    engine, schema = engines
    to(engine, "b6e2d9a4c7f1", schema)  # the head before requests were told
    prefix = f'"{schema}".' if schema else ""
    with engine.begin() as conn:
        conn.execute(text(f"insert into {prefix}access_requests (request_id, requester, office, case_ids, reason, at, "
                          "status) values ('r1', 'awa', 'Gao', '[\"c-1\"]', 'to compare the cases', :at, 'pending')"),
                     {"at": NOW})
        conn.execute(text(f"insert into {prefix}users (username, role, office, display_name, active) values "
                          "('tl_gao', 'team_leader', 'Gao', '', true)"))
    migrations.upgrade(engine, "services.casework", schema)
    translated = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
    with translated.begin() as conn:
        preferences.save(conn, preferences.Preferences("tl_gao", "tl.gao@example.org"))
        assert notices.plan(conn, NOW + timedelta(days=1), ("email",)) == 0
        assert conn.scalar(select(tables.access_requests.c.notices_planned_at)) is not None
