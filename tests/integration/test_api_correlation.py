"""A request's correlation id: answered in X-Request-ID, in its log lines with the case's reference, and carried
by every event it causes, through intake, casework and the SLA monitor."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schemas import decode
from schemas.topics import CASE_EVENTS, INCIDENTS, SLA_EVENTS
from services.casework.adapters import repository as repo
from services.casework.adapters import token_store
from services.casework.api.app import create_app
from services.casework.api.server import context_for
from services.casework.domain.roles import User
from services.clock import SimulatedClock
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.logs import log_handler
from tests.factories import incident

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[EmbeddedRuntime, object, dict[str, str], io.StringIO]]:
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path / "data"))
    token = runtime.casework.write(lambda conn: (repo.save_user(conn, User("awa", "hro", "Mopti")),
                                                 token_store.create(conn, "awa", NOW).value)[1])
    app = create_app(context_for(runtime.casework, clock=SimulatedClock(NOW)))
    out = io.StringIO()
    handler = log_handler("casework", "json", out)
    root = logging.getLogger()
    root.addHandler(handler)
    level, root.level = root.level, logging.INFO
    try:
        yield runtime, app.test_client(), {"Authorization": f"Bearer {token}"}, out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def envelopes(runtime: EmbeddedRuntime, topic: str) -> list:
    return [decode(m.value) for m in runtime.messages([topic])]


def test_an_incident_submitted_with_a_request_id_carries_it_to_its_case_and_its_deadlines(served) -> None:
    runtime, client, auth, _out = served
    record = incident("SR-API-1", 1, NOW - timedelta(hours=3), assignee="awa")
    answer = client.post("/incidents", json=record, headers={**auth, "X-Request-ID": "submit-0001"})
    assert (answer.status_code, answer.headers["X-Request-ID"]) == (202, "submit-0001")
    runtime.run_until_idle(NOW)
    [accepted] = envelopes(runtime, INCIDENTS)
    [registered] = envelopes(runtime, CASE_EVENTS)
    scheduled = envelopes(runtime, SLA_EVENTS)
    assert scheduled, "the monitor scheduled the recording clock"
    assert {e.correlation_id for e in (accepted, registered, *scheduled)} == {"submit-0001"}


def test_a_command_is_correlated_and_its_log_line_names_the_case_but_nobody(served) -> None:
    runtime, client, auth, out = served
    client.post("/incidents", json=incident("SR-API-1", 1, NOW - timedelta(hours=3), assignee="awa",
                                            identities={"victims": [{"name": "Invented Name-Unlogged"}]}),
                headers=auth)
    runtime.run_until_idle(NOW)
    [case] = client.get("/cases", headers=auth).get_json()["items"]
    answer = client.post(f"/cases/{case['reference']}/record", json={"note": "seen"}, headers=auth)
    request_id = answer.headers["X-Request-ID"]  # none was given: one is made
    assert answer.status_code == 200 and len(request_id) == 36
    runtime.run_until_idle(NOW)
    recorded = [e for e in envelopes(runtime, CASE_EVENTS) if e.type == "CaseRecorded"]
    assert [e.correlation_id for e in recorded] == [request_id]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    [served_line] = [line for line in lines if line.get("correlation_id") == request_id
                     and line["logger"] == "services.casework.api.app"]
    assert served_line["case_reference"] == case["reference"]
    assert served_line["message"] == "POST /cases/{ref}/record 200 by awa"
    assert "Invented Name-Unlogged" not in out.getvalue()


def test_a_request_id_that_is_not_a_short_token_is_replaced_not_echoed(served) -> None:
    _runtime, client, auth, _out = served
    answer = client.get("/me", headers={**auth, "X-Request-ID": "<script>" + "y" * 80})
    assert answer.status_code == 200
    assert "<script>" not in answer.headers["X-Request-ID"] and len(answer.headers["X-Request-ID"]) == 36
