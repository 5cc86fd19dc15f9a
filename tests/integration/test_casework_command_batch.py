"""Commands run back to back in one unit of work (the history import) end exactly where one at a time ends."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.casework import bootstrap, legacy
from services.casework.adapters import repository as repo
from services.casework.adapters import tables
from services.casework.bootstrap import Casework
from services.casework.domain import commands as c
from services.casework.domain.case import Case
from services.casework.domain.errors import CommandRefused
from services.messaging.ports import Message
from services.messaging.sqlite import sqlite_engine
from sitreps.key import incident_key
from tests.integration.test_casework_commands import VAULT, at, breach, incident, save_users


def service(folder: Path, alert: Message | None = None) -> tuple[Casework, list[Case], Message]:
    """A casework database with three registered cases and one open alert (the given one, else a new one)."""
    folder.mkdir()
    engine = sqlite_engine(folder / "casework.sqlite")
    bootstrap.migrate(engine)
    casework = bootstrap.build(engine, vault=VAULT)
    casework.write(save_users)
    casework.processor.process([incident(incident_key("SR-1", n), n) for n in (1, 2, 3)], at(0.1))
    cases = [casework.read(lambda conn, n=n: repo.get_case(conn, f"MOP-2026-000{n}")) for n in (1, 2, 3)]
    assert all(cases)
    alert = alert or breach(cases[1])  # type: ignore[arg-type]
    casework.processor.process([alert], at(4))
    return casework, cases, alert  # type: ignore[return-value]


def script(cases: list[Case], alert_id: str) -> list[tuple[c.Command, datetime]]:
    """A case touched again later in the batch, cases named by id and by reference, an assignment, an
    acknowledgement, and the import's own historical closure."""
    a, b, d = cases
    return [
        (c.RecordCase(a.case_id, "awa", "from SR-1"), at(1)),
        (c.RecordCase(b.reference, "awa"), at(1.5)),
        (c.AdvanceStage(a.case_id, "awa", "investigation", "witnesses found"), at(2)),
        (c.AssignCase(d.case_id, "tl_mopti", "bakary"), at(2.5)),
        (c.RecordCase(d.reference, "bakary"), at(3)),
        (c.AcknowledgeAlert(b.case_id, "tl_mopti", alert_id, "on it"), at(4.5)),
        (legacy.RecordHistoricalClosure(b.case_id, "tl_mopti", "duplicate", "same as MOP-2026-0001", "old db"), at(5)),
        (c.LogActivity(a.reference, "awa", "met the second witness"), at(6)),
    ]


def state(casework: Casework) -> dict[str, list[Any]]:
    """Every table, with the ids drawn afresh for each emitted event left out (they differ between any two runs)."""
    def without_ids(text: str) -> dict[str, Any]:
        envelope = json.loads(text)
        if envelope["correlation_id"] == envelope["event_id"]:  # an officer's command starts its own correlation
            envelope.pop("correlation_id")
        envelope.pop("event_id")
        return envelope

    with casework.engine.connect() as conn:
        out = {t.name: [tuple(r) for r in conn.execute(select(t))] for t in (tables.cases, tables.alerts)}
        h = tables.case_history.c
        out["history"] = [tuple(r) for r in conn.execute(select(h.case_id, h.type, h.occurred_at, h.actor, h.payload)
                                                         .order_by(h.seq))]
        out["outbox"] = [without_ids(v) for v in conn.scalars(select(tables.outbox.c.value)
                                                               .order_by(tables.outbox.c.id))]
    return out


def test_commands_in_one_batch_leave_cases_history_alerts_and_outbox_as_one_at_a_time_does(tmp_path: Path) -> None:
    alone, cases, alert = service(tmp_path / "alone")
    batched, same_cases, _ = service(tmp_path / "batched", alert)
    assert cases == same_cases
    alert_id = alert.headers["event_id"]
    for command, when in script(cases, alert_id):
        alone.execute(command, when)
    with batched.unit_of_work() as uow:
        uow.prefetch([command.case_id for command, _ in script(cases, alert_id)])
        for command, when in script(cases, alert_id):
            uow.execute(command, when)
    expected = state(alone)
    assert [case[2] for case in expected["cases"]] and state(batched) == expected
    assert [row[1] for row in expected["history"]].count("CaseClosedWithoutApproval") == 1


def test_a_refused_command_in_a_batch_rolls_the_whole_batch_back(tmp_path: Path) -> None:
    casework, cases, alert = service(tmp_path / "data")
    before = state(casework)
    again = c.AdvanceStage(cases[0].case_id, "awa", "investigation")
    commands = [*script(cases, alert.headers["event_id"])[:3], (again, at(7))]
    with pytest.raises(CommandRefused, match="case MOP-2026-0001 at 'investigation' can only move on to 'concluded'"), \
            casework.unit_of_work() as uow:
        for command, when in commands:  # the third moved case 1 to investigation: the fourth sees it there
            uow.execute(command, when)
    assert state(casework) == before


def test_a_batch_refuses_to_write_a_case_from_a_copy_older_than_its_own(tmp_path: Path) -> None:
    casework, cases, _ = service(tmp_path / "data")
    with casework.unit_of_work() as uow:
        uow.execute(c.RecordCase(cases[0].case_id, "awa"), at(1))
        with pytest.raises(repo.StaleCase):
            uow.cases.update_case(uow.conn, cases[0], cases[0])  # the copy from before the command
