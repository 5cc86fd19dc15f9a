"""Officers' commands through Casework.execute on a real SQLite file: a case's whole life, and refusals."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from schemas.registry import latest_version, load_payload
from schemas.topics import CASE_EVENTS, INCIDENTS, SLA_EVENTS
from services.casework import bootstrap
from services.casework.adapters import repository as repo
from services.casework.adapters import tables
from services.casework.bootstrap import Casework
from services.casework.domain import commands as c
from services.casework.domain.case import Case, Event, apply, registered
from services.casework.domain.errors import CommandRefused
from services.casework.domain.roles import User
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.messaging.sqlite import sqlite_engine
from services.vault import IdentityVault

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
VAULT = IdentityVault.generate()
USERS = [User("awa", "hro", "Mopti"), User("bakary", "hro", "Mopti"), User("tl_mopti", "team_leader", "Mopti"),
         User("tl_gao", "team_leader", "Gao"), User("director", "director", "Bamako"),
         User("deputy", "director", "Bamako"), User("auditor", "auditor", "Bamako"),
         User("gone", "director", "Bamako", active=False)]


def save_users(conn: Connection) -> None:
    for user in USERS:
        repo.save_user(conn, user)


@pytest.fixture
def casework(tmp_path: Path) -> Iterator[Casework]:
    engine = sqlite_engine(tmp_path / "casework.sqlite")
    bootstrap.migrate(engine)
    service = bootstrap.build(engine, vault=VAULT)
    service.write(save_users)
    yield service
    engine.dispose()


def incident(key: str, offset: int, assignee: str | None = "awa") -> Message:
    payload = {
        "incident_key": key, "sitrep_id": "SR-1", "incident_number": offset, "reported_at": T0,
        "occurred_at": T0 - timedelta(days=1), "office": "Mopti", "location": "Konna",
        "violation_types": ["abduction"], "perpetrator_category": "unidentified", "victims": {"female_adult": 1},
        "source_type": "ngo", "summary": "a woman abducted on the road", "assignee": assignee,
        "identities": VAULT.seal({"victims": [{"name": "Fatoumata Hidden"}]}),  # sealed at the edge (ADR 10)
    }
    out = emit(INCIDENTS, "IncidentAccepted", occurred_at=T0, key=key, producer="intake", payload=payload,
               event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"test:{key}")))
    return Message(INCIDENTS, 0, offset, key, out.value, {"event_id": out.headers["event_id"]})


@pytest.fixture
def case(casework: Casework) -> Case:
    casework.processor.process([incident("SR-1#1", 1)], T0 + timedelta(hours=1))
    found = casework.read(lambda conn: repo.get_case(conn, "MOP-2026-0001"))
    assert found is not None
    return found


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def current(casework: Casework, case_id: str) -> Case:
    found = casework.read(lambda conn: repo.get_case(conn, case_id))
    assert found is not None
    return found


def history(casework: Casework, case_id: str) -> list[dict[str, Any]]:
    return casework.read(lambda conn: repo.history(conn, case_id))


def outbox_ids(casework: Casework) -> list[str]:
    with casework.engine.connect() as conn:
        return [json.loads(v)["event_id"] for v in conn.scalars(select(tables.outbox.c.value)
                                                                 .order_by(tables.outbox.c.id))]


def everything(casework: Casework) -> dict[str, list[tuple[Any, ...]]]:
    with casework.engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(select(t))] for t in tables.metadata.sorted_tables}


def fold(rows: list[dict[str, Any]], details: dict[str, Any]) -> Case:
    """The case rebuilt from nothing but its history, as any replay would."""
    # The history keeps each payload as emitted, without its version: the latest reads every earlier one.
    events = [Event(r["type"], load_payload(r["type"], latest_version(r["type"]), r["payload"]), r["occurred_at"])
              for r in rows]
    start = registered(events[0], details)
    result = start
    for event in events[1:]:
        result = apply(result, event)
    return result


def test_a_case_lives_through_its_whole_journey_and_its_history_lists_every_step(casework: Casework,
                                                                                 case: Case) -> None:
    cid = case.case_id
    run: Callable[[c.Command, datetime], list[dict]] = casework.execute
    emitted = [
        *run(c.RecordCase(cid, "awa", "from sitrep SR-1"), at(1)),
        *run(c.AdvanceStage(cid, "awa", "investigation", "witnesses found"), at(3)),
        *run(c.JustifyDelay(cid, "awa", "access_constraints", at(20), "road to Konna closed"), at(5)),
        *run(c.ReviewCase(cid, "tl_mopti", "keep going"), at(21)),
        *run(c.AdvanceStage(cid, "tl_mopti", "concluded"), at(40)),
        *run(c.RequestClosure(cid, "director", "concluded", "findings shared with the prosecutor"), at(45)),
    ]
    with pytest.raises(CommandRefused, match=r"another Director or Deputy Director must approve it \(four eyes\)"):
        casework.execute(c.ApproveClosure(cid, "director"), at(46))
    emitted += [
        *run(c.ApproveClosure(cid, "deputy", "agreed"), at(47)),
        *run(c.RecordFollowUp(cid, "awa", "handover_national_authorities", "file handed over"), at(50)),
        *run(c.ReopenCase(cid, "director", "a second victim came forward"), at(80)),
    ]
    rows = history(casework, cid)
    assert [(r["type"], r["actor"], r["payload"]["stage"]) for r in rows] == [
        ("CaseRegistered", "system", "reported"),
        ("CaseRecorded", "awa", "preliminary"),
        ("StageChanged", "awa", "investigation"),
        ("DelayJustified", "awa", "investigation"),
        ("CaseReviewed", "tl_mopti", "investigation"),
        ("StageChanged", "tl_mopti", "concluded"),
        ("ClosureRequested", "director", "closure_requested"),
        ("ClosureApproved", "deputy", "closed"),
        ("FollowUpRecorded", "awa", "closed"),
        ("CaseReopened", "director", "investigation"),
    ]
    assert [r["occurred_at"] for r in rows][1:] == [at(d) for d in (1, 3, 5, 21, 40, 45, 47, 50, 80)]
    assert [r["event_id"] for r in rows] == outbox_ids(casework)  # every change is published, in order
    assert [e["event_id"] for e in emitted] == [r["event_id"] for r in rows[1:]]
    assert {e["key"] for e in emitted} == {cid} and {e["producer"] for e in emitted} == {"casework"}
    assert rows[7]["payload"]["proposer"] == "director"
    final = current(casework, cid)
    assert (final.stage, final.closure, final.closed_at, final.follow_ups, final.version) == (
        "investigation", None, None, ("handover_national_authorities",), 10)
    assert final == fold(rows, final.details)


def test_a_command_may_name_the_case_by_its_reference(casework: Casework, case: Case) -> None:
    [event] = casework.execute(c.RecordCase("MOP-2026-0001", "awa"), at(1))
    assert (event["type"], event["key"]) == ("CaseRecorded", case.case_id)
    assert current(casework, case.case_id).stage == "preliminary"


def test_a_rejected_closure_sends_the_case_back_and_a_new_proposal_can_then_be_approved(casework: Casework,
                                                                                         case: Case) -> None:
    cid = case.case_id
    casework.execute(c.RecordCase(cid, "awa"), at(1))
    casework.execute(c.RequestClosure(cid, "awa", "unsubstantiated", "no second source"), at(2))
    casework.execute(c.RejectClosure(cid, "director", "call the NGO again"), at(3))
    assert (current(casework, cid).stage, current(casework, cid).closure) == ("preliminary", None)
    casework.execute(c.RequestClosure(cid, "director", "duplicate", "same as GAO-2026-0004"), at(4))
    casework.execute(c.ApproveClosure(cid, "deputy"), at(5))
    assert current(casework, cid).approved_by == "deputy"
    assert [r["type"] for r in history(casework, cid)][-2:] == ["ClosureRequested", "ClosureApproved"]


def test_assigning_a_case_hands_it_to_the_new_officer_alone(casework: Casework, case: Case) -> None:
    cid = case.case_id
    [event] = casework.execute(c.AssignCase(cid, "tl_mopti", "bakary"), at(1))
    assert (event["payload"]["assignee"], event["payload"]["previous_assignee"]) == ("bakary", "awa")
    with pytest.raises(CommandRefused, match=r"only the assigned officer \(bakary\)"):
        casework.execute(c.RecordCase(cid, "awa"), at(2))
    casework.execute(c.RecordCase(cid, "bakary"), at(2))


REFUSED = [
    (lambda cid: c.RecordCase(cid, "bakary"), r"only the assigned officer \(awa\) or a Team Leader of Mopti"),
    (lambda cid: c.RecordCase(cid, "tl_gao"), "only the assigned officer"),
    (lambda cid: c.RecordCase(cid, "auditor"), "only the assigned officer"),
    (lambda cid: c.RecordCase(cid, "nobody"), "unknown user 'nobody'"),
    (lambda cid: c.RecordCase("MOP-2026-9999", "awa"), "no case 'MOP-2026-9999'"),
    (lambda cid: c.AdvanceStage(cid, "awa", "investigation"), "cannot advance case MOP-2026-0001 at stage 'reported'"),
    (lambda cid: c.ApproveClosure(cid, "director"), "cannot approve the closure"),
    (lambda cid: c.ReopenCase(cid, "gone", "x"), "user gone is deactivated"),
    (lambda cid: c.AssignCase(cid, "tl_mopti", "tl_gao"), "tl_gao is not a Human Rights Officer of Mopti"),
    (lambda cid: c.AssignCase(cid, "tl_mopti", "ghost"), "no active user named 'ghost'"),
    (lambda cid: c.AcknowledgeAlert(cid, "tl_mopti", "no-such-alert"), "no alert 'no-such-alert'"),
]


@pytest.mark.parametrize(("make", "reason"), REFUSED, ids=[r for _, r in REFUSED])
def test_a_refused_command_leaves_the_database_and_the_outbox_exactly_as_they_were(
        casework: Casework, case: Case, make: Callable[[str], c.Command], reason: str) -> None:
    before = everything(casework)
    with pytest.raises(CommandRefused, match=reason):
        casework.execute(make(case.case_id), at(1))
    assert everything(casework) == before


def test_a_refused_self_approval_late_in_the_life_of_a_case_changes_nothing(casework: Casework, case: Case) -> None:
    cid = case.case_id
    casework.execute(c.RecordCase(cid, "awa"), at(1))
    casework.execute(c.RequestClosure(cid, "deputy", "merged", "merged into MOP-2026-0002"), at(2))
    before = everything(casework)
    for command in (c.ApproveClosure(cid, "deputy"), c.RejectClosure(cid, "deputy", "changed my mind"),
                    c.ApproveClosure(cid, "tl_mopti"), c.LogActivity(cid, "awa", "x" * 5000)):
        with pytest.raises(CommandRefused):
            casework.execute(command, at(3))
    assert everything(casework) == before


# Acknowledging alerts ------------------------------------------------------------------------------------

def breach(case: Case, recipient_role: str = "team_leader") -> Message:
    payload = {"case_id": case.case_id, "reference": case.reference, "office": case.office, "stage": case.stage,
               "clock": "recording", "level": "breach", "period": 1, "started_at": T0, "due_at": at(4),
               "recipient_role": recipient_role, "assignee": case.assignee, "policy_version": "2026-1"}
    out = emit(SLA_EVENTS, "SlaBreached", occurred_at=at(4), key=case.case_id, producer="sla_monitor",
               payload=payload)
    return Message(SLA_EVENTS, 0, 2, case.case_id, out.value, {"event_id": out.headers["event_id"]})


def test_acknowledging_an_alert_closes_it_and_is_recorded_in_the_case_history(casework: Casework,
                                                                               case: Case) -> None:
    message = breach(case)
    casework.processor.process([message], at(4))
    alert_id = message.headers["event_id"]
    [event] = casework.execute(c.AcknowledgeAlert(case.case_id, "tl_mopti", alert_id, "calling awa"), at(4.5))
    assert (event["type"], event["payload"]["alert_id"], event["payload"]["note"]) == (
        "AlertAcknowledged", alert_id, "calling awa")
    alert = casework.read(lambda conn: repo.get_alert(conn, alert_id))
    assert alert is not None and (alert.acknowledged_by, alert.acknowledged_at) == ("tl_mopti", at(4.5))
    assert casework.read(lambda conn: repo.inbox_for(conn, USERS[2])) == []
    rows = history(casework, case.case_id)
    assert [r["type"] for r in rows] == ["CaseRegistered", "AlertAcknowledged"]
    assert current(casework, case.case_id) == fold(rows, case.details)  # an acknowledgement is not case state


@pytest.mark.parametrize(("actor", "reason"), [
    ("tl_gao", "addressed to a Team Leader of Mopti, not to tl_gao"),
    ("awa", "addressed to a Team Leader of Mopti, not to awa"),
    ("director", "addressed to a Team Leader of Mopti, not to director"),
])
def test_an_alert_is_acknowledged_only_by_someone_it_is_addressed_to(casework: Casework, case: Case, actor: str,
                                                                     reason: str) -> None:
    message = breach(case)
    casework.processor.process([message], at(4))
    before = everything(casework)
    with pytest.raises(CommandRefused, match=reason):
        casework.execute(c.AcknowledgeAlert(case.case_id, actor, message.headers["event_id"]), at(5))
    assert everything(casework) == before


def test_a_deactivated_director_cannot_acknowledge_an_escalation(casework: Casework, case: Case) -> None:
    message = breach(case, recipient_role="director")
    casework.processor.process([message], at(4))
    before = everything(casework)
    with pytest.raises(CommandRefused, match="user gone is deactivated"):
        casework.execute(c.AcknowledgeAlert(case.case_id, "gone", message.headers["event_id"]), at(5))
    assert everything(casework) == before
    casework.execute(c.AcknowledgeAlert(case.case_id, "director", message.headers["event_id"]), at(5))


def test_acknowledging_an_alert_about_a_case_casework_does_not_hold_is_refused_not_a_crash(
        casework: Casework, case: Case) -> None:
    stranger = replace(case, case_id="not-here", reference="GAO-2026-0042")
    message = breach(stranger)
    casework.processor.process([message], at(4))
    before = everything(casework)
    with pytest.raises(CommandRefused, match="about case GAO-2026-0042, which casework does not hold"):
        casework.execute(c.AcknowledgeAlert("not-here", "tl_mopti", message.headers["event_id"]), at(5))
    assert everything(casework) == before


def test_every_event_execute_returns_is_a_valid_case_event_on_case_events(casework: Casework, case: Case) -> None:
    with casework.engine.connect() as conn:
        topics_before = list(conn.scalars(select(tables.outbox.c.topic)))
    casework.execute(c.RecordCase(case.case_id, "awa"), at(1))
    casework.execute(c.LogActivity(case.case_id, "awa", "visited Konna"), at(2))
    with casework.engine.connect() as conn:
        rows = conn.execute(select(tables.outbox).order_by(tables.outbox.c.id)).all()
    assert [r.topic for r in rows] == [*topics_before, CASE_EVENTS, CASE_EVENTS]
    for row in rows:
        envelope = json.loads(row.value)
        load_payload(envelope["type"], envelope["version"], envelope["payload"])
        assert json.loads(row.headers) == {"event_id": envelope["event_id"], "type": envelope["type"],
                                           "correlation_id": envelope["correlation_id"]}


def test_a_stale_copy_of_a_case_cannot_overwrite_a_newer_one(casework: Casework, case: Case) -> None:
    casework.execute(c.RecordCase(case.case_id, "awa"), at(1))
    recorded = current(casework, case.case_id)
    with pytest.raises(repo.StaleCase):
        casework.write(lambda conn: repo.update_case(conn, case, replace(recorded, version=case.version + 1)))
    assert current(casework, case.case_id) == recorded
