"""Casework's unit of work: a person's command authorised, decided and applied, its events in the outbox at commit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from schemas.topics import SITREP_INCIDENTS
from services.casework.adapters import repository as repo
from services.casework.adapters import tables
from services.casework.bootstrap import Casework
from services.casework.domain import commands as c
from services.casework.domain.case import Case
from services.casework.domain.errors import CommandRefused, NotPermitted
from services.casework.domain.roles import User
from services.messaging.ports import Outgoing
from tests.integration.test_casework_commands import at, case, casework, current, everything, outbox_ids

__all__ = ["case", "casework"]  # fixtures

AWA, TL_GAO = User("awa", "hro", "Mopti"), User("tl_gao", "team_leader", "Gao")


def test_a_units_events_enter_the_outbox_at_its_commit_in_the_order_its_commands_made_them(
        casework: Casework, case: Case) -> None:
    before = outbox_ids(casework)
    with casework.unit_of_work() as uow:
        recorded = uow.execute(c.RecordCase(case.case_id, "awa"), at(1), AWA)
        logged = uow.execute(c.LogActivity(case.reference, "awa", "met the witness"), at(2), AWA)
        # Not even inside the transaction: the outbox and the case are written at the commit.
        assert uow.conn.scalar(select(func.count()).select_from(tables.outbox)) == len(before)
        assert repo.get_case(uow.conn, case.case_id) == case
        seen = uow.case(case.case_id)  # what the unit's next command would see
        assert seen is not None and seen.stage == "preliminary" and seen.last_activity_at == at(2)
    made = [r.headers["event_id"] for r in (*recorded, *logged)]
    assert outbox_ids(casework) == [*before, *made]
    assert current(casework, case.case_id).stage == "preliminary"


def test_a_refusal_for_who_you_are_is_told_apart_from_one_for_where_the_case_is_and_changes_nothing(
        casework: Casework, case: Case) -> None:
    before = everything(casework)
    with pytest.raises(NotPermitted, match="outside your office"), casework.unit_of_work() as uow:
        uow.execute(c.RecordCase(case.case_id, "awa"), at(1), AWA)  # allowed, and rolled back with the rest
        uow.execute(c.AssignCase(case.case_id, "tl_gao", "bakary"), at(1), TL_GAO)
    assert everything(casework) == before
    with pytest.raises(CommandRefused) as refused, casework.unit_of_work() as uow:
        uow.execute(c.AdvanceStage(case.case_id, "awa", "investigation"), at(1), AWA)  # not recorded yet
    assert not isinstance(refused.value, NotPermitted)
    assert everything(casework) == before


def test_submitted_incidents_reach_the_outbox_with_their_identities_sealed(casework: Casework) -> None:
    record = {"sitrep_id": "WEB-1", "incident_number": 1, "identities": {"victims": [{"name": "Aminata Hidden"}]}}
    value = json.dumps(record).encode()
    with casework.unit_of_work() as uow:
        uow.submit_incidents([Outgoing(SITREP_INCIDENTS, "WEB-1#1", value, {"format": "api"})])
    with casework.engine.connect() as conn:
        [(topic, stored)] = conn.execute(select(tables.outbox.c.topic, tables.outbox.c.value)).all()
    assert topic == SITREP_INCIDENTS and b"Aminata" not in stored
    assert casework.vault.open(json.loads(stored)["identities"]) == record["identities"]
