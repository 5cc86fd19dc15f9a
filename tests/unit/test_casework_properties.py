"""Properties of casework that must hold for any sequence of commands or deliveries (hypothesis)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import reduce
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as tally
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, select

from schemas.topics import INCIDENTS
from schemas.vocabulary import CLOSURE_REASONS, DELAY_REASONS, FOLLOW_UP_KINDS, STAGES
from services.casework import bootstrap
from services.casework.adapters import repository as repo
from services.casework.adapters import tables
from services.casework.domain import commands as c
from services.casework.domain.case import Case, Event, apply
from services.casework.domain.errors import CommandRefused
from services.casework.domain.roles import User
from services.casework.domain.workflow import decide
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.messaging.sqlite import sqlite_engine
from services.vault import IdentityVault

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SEALED = IdentityVault.generate().seal({"victims": [{"name": "Secret Person"}]})  # as the edge seals them
USERS = {u.username: u for u in [
    User("awa", "hro", "Mopti"), User("bakary", "hro", "Mopti"), User("garba", "hro", "Gao"),
    User("tl_mopti", "team_leader", "Mopti"), User("tl_gao", "team_leader", "Gao"),
    User("director", "director", "Bamako"), User("deputy", "director", "Gao"),
    User("auditor", "auditor", "Bamako"), User("admin", "admin", "Mopti"),
]}
NAMES = sorted(USERS)

# Commands of every kind, by anyone, with valid and invalid arguments mixed. Half the time the kind is one that
# fits the case's stage and half the time the actor is one who could give it, so that runs get past `reported`
# and often reach closure, reopening and closure again, while every other combination is still tried.
text = st.sampled_from(["a note", "a note", "a note", "", "  "])
ARGUMENTS: dict[type, tuple[st.SearchStrategy[Any], ...]] = {
    c.RecordCase: (),
    c.AssignCase: (st.sampled_from([*NAMES, "ghost"]),),
    c.LogActivity: (text,),
    c.AdvanceStage: (st.sampled_from(STAGES),),
    c.JustifyDelay: (st.sampled_from([*DELAY_REASONS, "bored"]),
                     st.integers(-2, 40).map(lambda days: T0 + timedelta(days=days))),  # T0 stands for now
    c.ReviewCase: (),
    c.RequestClosure: (st.sampled_from(CLOSURE_REASONS), text),
    c.ApproveClosure: (),
    c.RejectClosure: (text,),
    c.RecordFollowUp: (st.sampled_from(FOLLOW_UP_KINDS),),
    c.ReopenCase: (text,),
}
LIKELY_ACTORS = {c.ApproveClosure: ["director", "deputy"], c.RejectClosure: ["director", "deputy"],
                 c.ReopenCase: ["director", "deputy"], c.AssignCase: ["tl_mopti"], c.ReviewCase: ["tl_mopti"]}
FITTING = {
    "reported": [c.RecordCase, c.AssignCase],
    "preliminary": [c.AdvanceStage, c.RequestClosure, c.LogActivity, c.JustifyDelay, c.ReviewCase],
    "investigation": [c.AdvanceStage, c.RequestClosure, c.LogActivity, c.AssignCase],
    "concluded": [c.RequestClosure, c.RecordFollowUp, c.LogActivity],
    "closure_requested": [c.ApproveClosure, c.RejectClosure, c.RecordFollowUp, c.ReviewCase],
    "closed": [c.ReopenCase, c.RecordFollowUp, c.AssignCase],
}


def command_of(kind: type) -> st.SearchStrategy[c.Command]:
    likely = LIKELY_ACTORS.get(kind, ["awa", "tl_mopti", "director", "deputy"])
    actor = st.one_of(st.sampled_from(likely), st.sampled_from(NAMES))
    return st.builds(kind, st.just("case-1"), actor, *ARGUMENTS[kind])


COMMANDS = {kind: command_of(kind) for kind in ARGUMENTS}
# Built once: building strategies at every draw is slow.
COMMAND_FOR = {stage: st.one_of(st.sampled_from(fitting), st.sampled_from(list(COMMANDS))).flatmap(COMMANDS.__getitem__)
               for stage, fitting in FITTING.items()}


def fresh_case(assignee: str | None) -> Case:
    return Case(case_id="case-1", reference="MOP-2026-0001", incident_key="SR-1#1", office="Mopti",
                stage="reported", reported_at=T0, registered_at=T0, assignee=assignee, version=1)


def run(assignee: str | None, data: st.DataObject) -> tuple[Case, list[tuple[Case, Event]]]:
    """Play up to 60 drawn commands on one case; returns the final case and each event with the case before it."""
    case, accepted, now = fresh_case(assignee), [], T0
    for _ in range(data.draw(st.integers(0, 60), label="steps")):
        cmd = data.draw(COMMAND_FOR[case.stage])
        now += timedelta(hours=7)
        if isinstance(cmd, c.JustifyDelay):  # drawn relative to T0, played relative to now
            cmd = c.JustifyDelay(cmd.case_id, cmd.actor, cmd.reason, cmd.until - T0 + now)
        target = USERS.get(cmd.assignee) if isinstance(cmd, c.AssignCase) else None
        try:
            events = decide(case, cmd, USERS[cmd.actor], now, target)
        except CommandRefused as refusal:
            assert str(refusal), "a refusal always gives a reason"
            continue
        for event in events:
            accepted.append((case, event))
            case = apply(case, event)
    return case, accepted


@settings(max_examples=500, deadline=None)
@given(assignee=st.sampled_from([None, "awa", "bakary"]), data=st.data())
def test_no_sequence_of_commands_closes_a_case_without_a_director_other_than_the_proposer(
        assignee: str | None, data: st.DataObject) -> None:
    final, accepted = run(assignee, data)
    proposer: str | None = None
    for before, event in accepted:
        if event.type == "ClosureRequested":
            proposer = event.payload["actor"]
        if event.payload["stage"] == "closed" and before.stage != "closed":
            approver = event.payload["actor"]
            assert event.type == "ClosureApproved", "only an approval closes a case"
            assert USERS[approver].role == "director", f"{approver} is not a director"
            assert proposer is not None and approver != proposer, "four eyes: the proposer never approves"
            assert event.payload["proposer"] == proposer
    tally(f"ends {final.stage}")
    tally(f"closed {sum(e.type == 'ClosureApproved' for _, e in accepted)} time(s)")
    if final.stage == "closed":
        assert final.approved_by is not None and final.closure is not None
        assert USERS[final.approved_by].role == "director"
        assert final.approved_by != final.closure["proposer"]


@settings(max_examples=150, deadline=None)
@given(assignee=st.sampled_from([None, "awa"]), data=st.data())
def test_folding_the_same_events_always_gives_the_same_case_as_the_live_run(
        assignee: str | None, data: st.DataObject) -> None:
    live, accepted = run(assignee, data)
    events = [event for _, event in accepted]
    once = reduce(apply, events, fresh_case(assignee))
    again = reduce(apply, events, fresh_case(assignee))
    assert once == again == live
    assert live.version == 1 + len(events)


# At the adapter level: the casework BatchProcessor on a SQLite file -------------------------------------

@pytest.fixture(scope="module")
def migrated_template() -> Iterator[Path]:
    """One migrated database file, copied for each example (migrating each time would be slow)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.sqlite"
        engine = sqlite_engine(path)
        bootstrap.migrate(engine)
        engine.dispose()  # the last connection to close checkpoints the WAL into the file
        yield path


def incident_message(offset: int, key: str, office: str, assignee: str | None, day: int, variant: int) -> Message:
    reported = T0 + timedelta(days=day)
    out = emit(INCIDENTS, "IncidentAccepted", occurred_at=reported, key=key, producer="intake",
               event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"test:{key}:{variant}")), payload={
                   "incident_key": key, "sitrep_id": "SR-1", "incident_number": offset + 1, "reported_at": reported,
                   "occurred_at": reported - timedelta(days=1), "office": office, "location": "Sevare",
                   "violation_types": ["killing"], "perpetrator_category": "armed_group",
                   "victims": {"male_adult": 1}, "source_type": "ngo", "summary": "an incident",
                   "assignee": assignee, "identities": SEALED,
                   "possible_duplicates": ["SR-0#1"] if variant else []})
    return Message(INCIDENTS, 0, offset, key, out.value, {"event_id": out.headers["event_id"]})


deliveries = st.lists(st.tuples(
    st.sampled_from(["SR-1#1", "SR-1#2", "SR-1#3", "SR-2#1"]), st.sampled_from(["Mopti", "Gao"]),
    st.sampled_from([None, "awa", "garba", "tl_mopti", "ghost"]), st.integers(0, 400), st.integers(0, 1),
    st.booleans(),  # a malformed record instead of an incident
), min_size=1, max_size=12)


def save_users(conn: Connection) -> None:
    for user in USERS.values():
        repo.save_user(conn, user)


def snapshot(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in (tables.cases, tables.case_history, tables.case_identities, tables.office_sequences,
                          tables.alerts, tables.outbox, tables.inbox)}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=deliveries)
def test_processing_the_same_incidents_twice_leaves_cases_history_and_outbox_as_after_once(
        migrated_template: Path, batch: list[tuple[str, str, str | None, int, int, bool]]) -> None:
    messages = [Message(INCIDENTS, 0, i, None, b"{not json", {}) if broken
                else incident_message(i, key, office, assignee, day, variant)
                for i, (key, office, assignee, day, variant, broken) in enumerate(batch)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "casework.sqlite"
        shutil.copy(migrated_template, path)
        engine = sqlite_engine(path)
        casework = bootstrap.build(engine)
        casework.write(save_users)
        casework.processor.process(messages, T0 + timedelta(days=500))
        after_once = snapshot(engine)
        casework.processor.process(messages, T0 + timedelta(days=501))
        casework.processor.process(list(reversed(messages)), T0 + timedelta(days=502))
        assert snapshot(engine) == after_once
        keys = {key for key, *_, broken in batch if not broken}
        assert len(after_once["cases"]) == len(keys), "one case per incident"
        engine.dispose()
