"""The case-actions file: each row checked by its schema, the whole history by the workflow, before any import."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from marshmallow import ValidationError

from schemas.topics import SITREP_INCIDENTS
from services.casework import legacy
from services.casework.domain import commands as c
from services.casework.domain.case import Case, apply
from services.casework.domain.errors import CommandRefused
from services.casework.domain.roles import User
from services.casework.domain.workflow import decide
from services.messaging.ports import Outgoing
from services.reporting.history.plan import PAGE, Context, Errors, check
from services.reporting.history.rows import ActionRowSchema, RowError, _RowLoader, read_actions
from services.reporting.history.staging import Staging
from services.sla_monitor.domain.clocks import CaseEvent, apply_event
from services.sla_monitor.domain.policy import Policy
from sitreps.key import incident_key

HEADER = "sitrep_id,incident_number,at,action,actor,actor_role,actor_office,assignee,stage,reason,until,kind,note\n"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CTX = Context(offices=("Bamako", "Mopti"), users={}, existing_keys=(), now=NOW)


def sitrep(number: int, assignee: str = "hro1") -> Outgoing:
    record = {"sitrep_id": "SR-1", "incident_number": number, "reported_at": "2024-03-01T16:00:00+00:00",
              "occurred_at": "2024-02-28T10:00:00+00:00", "office": "Mopti", "location": "Koro",
              "violation_types": ["killing"], "perpetrator_category": "armed_group", "victims": {"male_adult": 1},
              "source_type": "ngo", "summary": "s", "assignee": assignee}
    return Outgoing(SITREP_INCIDENTS, incident_key("SR-1", number), json.dumps(record).encode(),
                    {"line": str(number + 1)})


def test_rows_are_loaded_with_their_line_numbers_and_what_each_action_needs() -> None:
    rows, errors = read_actions((HEADER + "SR-1,1,2024-03-02T10:00,record,hro1,hro,,,,,,,\n\n"
                                 "SR-1,1,2024-03-03,delay,hro1,hro,,,,holiday,,,\n"
                                 "SR-1,1,not a date,activity,hro1,hro,,,,,,,x\n").encode(), "cases.csv")
    assert [(line, row["action"], row["at"]) for line, row in rows] == [
        (2, "record", datetime(2024, 3, 2, 10, tzinfo=UTC))]
    assert [str(e) for e in errors] == [
        "cases.csv line 4: reason: must be one of access_constraints, security, awaiting_information, other for "
        "action 'delay' | until: required for action 'delay'",
        "cases.csv line 5: at: not an ISO 8601 date or time: 'not a date'",
    ]


def test_a_file_without_the_columns_is_refused_at_its_header() -> None:
    _, errors = read_actions(b"sitrep,when\n", "cases.csv")
    assert str(errors[0]).startswith("cases.csv line 1: missing column 'sitrep_id'; missing column 'incident_number'")


def test_the_whole_history_goes_through_the_workflow_and_users_come_from_the_rows() -> None:
    rows, _ = read_actions((HEADER + "SR-1,1,2024-03-02T10:00,record,hro1,hro,,,,,,,\n"
                                     "SR-1,2,2024-03-02T10:00,record,hro1,hro,,,,,,,\n"
                                     "SR-1,2,2024-03-03T10:00,assign,tl1,team_leader,,hro2,,,,,\n"
                                     "SR-1,1,2024-03-04T10:00,approve_closure,boss,director,,,,,,,\n"
                                     "SR-1,1,2024-03-05T10:00,activity,hro1,team_leader,,,,,,,x\n").encode(),
                           "cases.csv")
    plan, errors = check([sitrep(1), sitrep(2, assignee="")], rows, "incidents.csv", "cases.csv", CTX)
    assert [str(e) for e in errors] == [
        "cases.csv line 3: record refused: only the assigned officer (nobody yet) or a Team Leader of Mopti may update "
        "case SR-1#2 (later rows of SR-1#2 not checked)",
        "cases.csv line 5: approve_closure refused: cannot approve the closure of case SR-1#1 at stage 'preliminary' "
        "(allowed at: closure_requested) (later rows of SR-1#1 not checked)",
        "cases.csv line 6: hro1 is team_leader of Mopti here but hro of Mopti at line 2",
    ]
    assert {(u.username, u.role, u.office) for u in plan.users} >= {("boss", "director", "Bamako")}


def test_a_history_cannot_repeat_an_incident_or_bring_one_already_here() -> None:
    ctx = Context(offices=CTX.offices, users={}, existing_keys={"SR-1#2"}, now=NOW)
    _, errors = check([sitrep(1), sitrep(1), sitrep(2)], [], "incidents.csv", "cases.csv", ctx)
    assert [str(e) for e in errors] == ["incidents.csv line 2: incident SR-1#1 already given at line 2",
                                        "incidents.csv line 3: incident SR-1#2 is already in this installation"]


def case_at(stage: str) -> Case:
    at = datetime(2024, 3, 1, tzinfo=UTC)
    return Case("c1", "MOP-2024-0001", "SR-1#1", "Mopti", stage, at, at, assignee="hro1")


def test_the_workflow_never_accepts_a_closure_without_approval() -> None:
    closure = legacy.RecordHistoricalClosure("c1", "tl1", reason="concluded", note="", source="old.csv")
    with pytest.raises(CommandRefused, match="unknown command RecordHistoricalClosure"):
        decide(case_at("concluded"), closure, User("tl1", "team_leader", "Mopti"), NOW)


def test_a_historical_closure_closes_the_case_with_nobody_approving_and_stops_every_clock() -> None:
    closure = legacy.RecordHistoricalClosure("c1", "tl1", reason="concluded", note="old", source="old.csv")
    [event] = legacy.decide(case_at("investigation"), closure, User("tl1", "team_leader", "Mopti"), NOW)
    assert (event.type, event.payload["stage"], event.payload["previous_stage"]) == (
        "CaseClosedWithoutApproval", "closed", "investigation")
    closed = apply(case_at("investigation"), event)
    assert (closed.stage, closed.closed_at, closed.approved_by) == ("closed", NOW, None)
    with pytest.raises(CommandRefused, match="at stage 'reported'"):
        legacy.decide(case_at("reported"), closure, User("tl1", "team_leader", "Mopti"), NOW)
    recorded = CaseEvent("CaseRecorded", datetime(2024, 3, 2, tzinfo=UTC), {
        "case_id": "c1", "reference": "r", "office": "Mopti", "stage": "preliminary", "assignee": "hro1",
        "reported_at": datetime(2024, 3, 1, tzinfo=UTC)})
    clocks, _, _ = apply_event({}, recorded, Policy())
    assert any(clock.running for clock in clocks.values())
    clocks, _, _ = apply_event(clocks, CaseEvent(event.type, NOW, event.payload), Policy())
    assert not any(clock.running for clock in clocks.values())


def test_reopening_after_a_historical_closure_is_the_directors_as_for_any_closed_case() -> None:
    reopened = decide(case_at("closed"), c.ReopenCase("c1", "boss", reason="new facts"),
                      User("boss", "director", "Bamako"), NOW)
    assert reopened[0].payload["stage"] == "investigation"


def test_a_history_with_very_many_errors_lists_the_first_ones_in_file_order_and_counts_the_rest() -> None:
    errors = Errors("incidents.csv", keep=3)
    for line in (9, 4, 7, 2, 8):
        errors.add(RowError("cases.csv", line, f"bad {line}"))
    errors.add(RowError("incidents.csv", 30, "bad incident"))
    assert [str(e) for e in errors.listed()] == [
        "incidents.csv line 30: bad incident", "cases.csv line 2: bad 2", "cases.csv line 4: bad 4"]
    assert errors.total == 6


def test_rows_are_checked_and_staged_page_by_page_whatever_the_size_of_the_history() -> None:
    lines = [f"SR-1,1,2024-03-02T{10 + n // 3600}:{n // 60 % 60:02d}:{n % 60:02d},activity,hro1,hro,,,,,,,work {n}\n"
             for n in range(PAGE * 2 + 1)]
    rows, _ = read_actions((HEADER + "SR-1,1,2024-03-02T09:00,record,hro1,hro,,,,,,,\n" + "".join(lines)).encode(),
                           "cases.csv")
    plan, errors = check([sitrep(1)], rows, "incidents.csv", "cases.csv", CTX)
    assert errors == [] and (plan.incidents, plan.actions) == (1, PAGE * 2 + 2)
    assert plan.staging is not None
    staged = [a.line for page in plan.staging.action_pages() for a in page]
    assert staged == list(range(2, PAGE * 2 + 4))


@pytest.mark.parametrize("cells", [
    {}, {"incident_number": "007"}, {"incident_number": "0"}, {"incident_number": "100001"},
    {"incident_number": "1_000"}, {"incident_number": "+3"}, {"incident_number": "٣"}, {"incident_number": "x"},
    {"incident_number": "9" * 5000},
    {"at": "2024-03-01"}, {"at": "2024-03-01T10:00:00+05:00"}, {"at": "2024-02-30"}, {"sitrep_id": "S" * 65},
    {"action": "delay", "reason": "security", "until": "2024-04-01"}, {"action": "delay", "reason": "holiday"},
    {"action": "advance", "stage": "concluded"}, {"action": "advance", "stage": "closed"},
    {"action": "follow_up", "kind": "advocacy"}, {"action": "follow_up", "kind": "lunch"}, {"actor_role": "boss"},
    {"actor_office": "M"}, {"note": "n" * 4001}, {"until": "soon"}, {"actor": ""}, {"stray": "x"},
])
def test_the_plain_row_loader_gives_marshmallows_answer_for_every_row(cells: dict[str, str]) -> None:
    record = {"sitrep_id": "SR-1", "incident_number": "1", "at": "2024-03-02T10:00", "action": "record",
              "actor": "hro1", "actor_role": "hro", **cells}
    record = {k: v for k, v in record.items() if v}
    schema = ActionRowSchema()

    def answer(load: Callable[[dict[str, str]], dict[str, Any]]) -> object:
        try:
            return list(load(dict(record)).items())  # the same values, in the same order
        except ValidationError as exc:
            return exc.normalized_messages()

    assert answer(_RowLoader(schema).load) == answer(schema.load)


def test_a_staged_row_reads_back_as_it_was_loaded_in_either_order() -> None:
    text = (HEADER + "SR-1,1,2024-03-02T10:00+02:00,delay,hro1,hro,Mopti,,,security,2024-04-01,,wait\n"
                     "SR-1,1,2024-03-01,assign,tl1,team_leader,,hro1,,,,,\n")
    rows, errors = read_actions(text.encode(), "cases.csv")
    staging = Staging()
    staging.add_actions(rows, ["SR-1#1", "SR-1#1"])
    staging.index()
    by_time = [(a.line, a.row) for page in staging.action_pages() for a in page]
    assert errors == [] and by_time == sorted(rows, key=lambda r: r[1]["at"])
    assert [(a.line, a.row) for a in staging.actions_by_case()] == by_time
    assert [list(row) for _, row in by_time] == [list(row) for _, row in rows]  # the same keys in the same order
