"""Readers never block writers: a long read is held open while the pipeline registers cases and people sign in."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, exc, func, insert, select

from schemas import encode, new_envelope
from schemas.topics import SITREP_INCIDENTS
from services.casework import bootstrap
from services.casework.adapters import repository as repo
from services.casework.adapters import tables, token_store, web_store
from services.casework.api.app import create_app
from services.casework.api.server import context_for
from services.casework.auth import passwords
from services.casework.bootstrap import Casework
from services.casework.domain.roles import User
from services.clock import SimulatedClock
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.messaging.ports import Outgoing
from services.messaging.sqlite import reading
from sitreps.key import incident_key
from tests.factories import incident
from tests.integration import backends
from tests.integration.api_world import KEY, incident_message
from tests.integration.web_world import PASSWORD, Browser

REPORTED = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
NOW = REPORTED + timedelta(hours=1)
USERS = (User("awa", "hro", "Mopti"), User("tl_mopti", "team_leader", "Mopti"), User("aud", "auditor", "Mopti"))
# Long enough for any writer that waits on a lock to give up first (SQLite's busy timeout is 30 s): a writer held up
# by the read fails the test with "database is locked" rather than the read being let go under it.
HOLD = 60.0


@dataclass
class HeldRead:
    """A read through casework's own read path (`Casework.read`), kept open in a thread until released."""

    casework: Casework
    seen: list[Any] = field(default_factory=list)
    opened: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None

    def run(self) -> None:
        def hold(conn: Connection) -> None:
            self.seen.append(case_count(conn))
            if conn.dialect.name == "postgresql":
                self.seen.append(conn.exec_driver_sql("SHOW transaction_read_only").scalar())
            self.opened.set()
            self.release.wait(HOLD)
            self.seen.append(case_count(conn))  # still in the same transaction

        try:
            self.casework.read(hold)
        except BaseException as failure:  # reported by the test, not lost in the thread
            self.failure = failure
            self.opened.set()


@contextmanager
def held_read(casework: Casework) -> Iterator[HeldRead]:
    held = HeldRead(casework)
    thread = threading.Thread(target=held.run, daemon=True)
    thread.start()
    assert held.opened.wait(HOLD) and held.failure is None, held.failure
    try:
        yield held
    finally:
        held.release.set()
        thread.join(HOLD)
    assert held.failure is None, held.failure


def case_count(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(tables.cases)) or 0)


def enrol(conn: Connection) -> dict[str, str]:
    hashed = passwords.hash_password(PASSWORD)
    for user in USERS:
        repo.save_user(conn, user)
        web_store.set_password(conn, user.username, hashed, REPORTED)
    return {u.username: token_store.create(conn, u.username, REPORTED).value for u in USERS}


def people_sign_in_and_call_the_api(casework: Casework, tokens: dict[str, str]) -> None:
    """A sign-in through the pages (throttle, account and session writes), a page, and an API call with a token
    (the token check, then the access log's write after the answer)."""
    app = create_app(context_for(casework, clock=SimulatedClock(NOW)))
    tl = Browser(app.test_client())
    assert tl.sign_in("tl_mopti").status_code == 303
    assert tl.get("/web/my-cases").status_code == 200
    client = app.test_client()
    listed = client.get("/cases?page_size=5", headers={"Authorization": f"Bearer {tokens['awa']}"})
    assert listed.status_code == 200 and listed.get_json()["total"] > 0
    log = client.get("/access-log?username=awa", headers={"Authorization": f"Bearer {tokens['aud']}"}).get_json()
    assert [(e["method"], e["endpoint"], e["status"]) for e in log["items"]] == [("GET", "/cases", 200)]


def sitrep(numbers: range) -> Iterator[Outgoing]:
    for n in numbers:
        record = incident("SR-MOP-2026-W10", n, REPORTED, "Mopti")
        yield Outgoing(SITREP_INCIDENTS, incident_key("SR-MOP-2026-W10", n), encode(new_envelope(
            "IncidentReported", 1, occurred_at=REPORTED, key="k", producer="test", payload=record)))


def test_the_embedded_pipeline_and_a_sign_in_proceed_while_a_long_read_is_open(tmp_path: Path) -> None:
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path / "data", batch_size=50))
    tokens = runtime.casework.write(enrol)
    runtime.submit(sitrep(range(1, 21)))
    runtime.run_until_idle(NOW)

    with held_read(runtime.casework) as held:
        runtime.submit(sitrep(range(21, 221)))
        runtime.run_until_idle(NOW)  # intake, casework and the monitor, each batch committed past the open read
        assert runtime.casework.read(case_count) == 220 and runtime.sla.open_clocks() == 220
        people_sign_in_and_call_the_api(runtime.casework, tokens)

    assert held.seen == [20, 20]  # WAL kept the reader's snapshot for it, open the whole time


@pytest.fixture(params=backends.BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from backends.migrated(request, tmp_path, bootstrap.migrate)


def test_casework_registers_cases_and_signs_people_in_while_a_long_read_is_open(engine: Engine) -> None:
    casework = bootstrap.build(engine, vault=KEY)
    tokens = casework.write(enrol)
    casework.processor.process([incident_message(n) for n in range(1, 11)], NOW)

    with held_read(casework) as held:
        for first in range(11, 111, 25):  # batches of incidents as the pipeline hands them over
            casework.processor.process([incident_message(n) for n in range(first, first + 25)], NOW)
        people_sign_in_and_call_the_api(casework, tokens)

    if engine.dialect.name == "postgresql":  # a read-only transaction, seeing each commit (READ COMMITTED)
        assert held.seen == [10, "on", 110]
    else:
        assert held.seen == [10, 10]


@pytest.mark.parametrize("write", [
    lambda conn: conn.execute(insert(tables.access_log).values(at=NOW, method="GET", endpoint="/", action="read",
                                                               status=200, identities_shown=False)),
    lambda conn: web_store.touch_session(conn, "no such session", NOW),
], ids=["insert", "update"])
def test_a_read_that_tries_to_write_fails_rather_than_taking_the_write_lock(engine: Engine,
                                                                            write: Callable[[Connection], Any]) -> None:
    with pytest.raises(exc.DBAPIError, match=r"readonly database|read-only transaction"), reading(engine) as conn:
        write(conn)
    with engine.begin() as conn:  # the same pooled connection writes again once it is not a read's
        web_store.touch_session(conn, "no such session", NOW)
        assert conn.scalar(select(func.count()).select_from(tables.access_log)) == 0
