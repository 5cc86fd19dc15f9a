"""Casework consuming its topics on a real SQLite file: incidents become cases, SLA events become alerts."""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from schemas import encode, new_envelope
from schemas.topics import CASE_EVENTS, CASEWORK_DEAD_LETTER, INCIDENTS, SLA_EVENTS
from services.casework import bootstrap, handlers
from services.casework.adapters import repository as repo
from services.casework.adapters import tables
from services.casework.bootstrap import Casework
from services.casework.domain import commands as c
from services.casework.domain.case import Case
from services.casework.domain.roles import User
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.messaging.sqlite import sqlite_engine
from services.sealing import seal_record
from services.vault import IdentityVault

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)
SECRET = "Aminata Secret-Witness"
VAULT = IdentityVault.generate()
USERS = [User("awa", "hro", "Mopti"), User("garba", "hro", "Gao"), User("gone", "hro", "Mopti", active=False),
         User("tl_mopti", "team_leader", "Mopti"), User("tl_gao", "team_leader", "Gao"),
         User("director", "director", "Bamako")]
_offsets = itertools.count(1)


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


def incident(key: str = "SR-1#1", office: str = "Mopti", reported_at: datetime = T0, event_id: str | None = None,
             **extra: Any) -> Message:
    payload = {
        "incident_key": key, "sitrep_id": "SR-1", "incident_number": 1, "reported_at": reported_at,
        "occurred_at": reported_at - timedelta(days=1), "office": office, "location": "Sevare",
        "violation_types": ["killing"], "perpetrator_category": "armed_group", "victims": {"male_adult": 2},
        "source_type": "direct_witness", "summary": "two men killed at the market", "assignee": None,
        "identities": {"victims": [{"name": "Moussa Victim", "contact": "+223 555"}],
                       "witnesses": [{"name": SECRET}], "sources": []},
    } | extra
    if payload["identities"] is None:
        del payload["identities"]  # a record that named nobody
    payload = seal_record(payload, VAULT)  # as intake hands them on: sealed at the edge (ADR 10)
    out = emit(INCIDENTS, "IncidentAccepted", occurred_at=reported_at, key=key, producer="intake", payload=payload,
               event_id=event_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"test:accepted:{key}")))
    return Message(INCIDENTS, 0, next(_offsets), key, out.value, {"event_id": out.headers["event_id"]})


def sla_event(type_: str, case: Case, clock: str = "recording", recipient_role: str = "team_leader",
              at: datetime = NOW, **extra: Any) -> Message:
    payload = {"case_id": case.case_id, "reference": case.reference, "office": case.office, "stage": case.stage,
               "clock": clock, "level": "breach", "period": 1, "started_at": T0, "due_at": T0 + timedelta(days=4),
               "recipient_role": recipient_role, "assignee": case.assignee, "policy_version": "2026-1"} | extra
    out = emit(SLA_EVENTS, type_, occurred_at=at, key=case.case_id, producer="sla_monitor", payload=payload)
    return Message(SLA_EVENTS, 0, next(_offsets), case.case_id, out.value, {"event_id": out.headers["event_id"]})


def cases(casework: Casework) -> list[Case]:
    return casework.read(lambda conn: repo.list_cases(conn))


def outbox(casework: Casework, topic: str | None = None) -> list[dict[str, Any]]:
    with casework.engine.connect() as conn:
        rows = conn.execute(select(tables.outbox).order_by(tables.outbox.c.id)).all()
    return [json.loads(r.value) for r in rows if topic is None or r.topic == topic]


def raw_rows(casework: Casework, table: Any) -> str:
    with casework.engine.connect() as conn:
        return repr([tuple(r) for r in conn.execute(select(table))])


# Registering cases -------------------------------------------------------------------------------------

def test_an_accepted_incident_becomes_a_reported_case_announced_on_case_events(casework: Casework) -> None:
    casework.processor.process([incident()], NOW)
    [case] = cases(casework)
    assert (case.reference, case.stage, case.office, case.incident_key) == ("MOP-2026-0001", "reported", "Mopti",
                                                                             "SR-1#1")
    assert (case.reported_at, case.registered_at, case.version) == (T0, NOW, 1)
    assert case.details["location"] == "Sevare" and case.details["summary"] == "two men killed at the market"
    [registered] = outbox(casework)
    assert (registered["type"], registered["key"], registered["producer"]) == ("CaseRegistered", case.case_id,
                                                                                "casework")
    assert registered["payload"]["reported_at"] == "2026-03-02T08:00:00+00:00"
    history = casework.read(lambda conn: repo.history(conn, case.case_id))
    assert [(h["type"], h["event_id"], h["actor"]) for h in history] == [
        ("CaseRegistered", registered["event_id"], "system")]


def test_an_incident_delivered_twice_is_one_case_with_one_registration(casework: Casework) -> None:
    message = incident()
    casework.processor.process([message, message], NOW)
    casework.processor.process([message], NOW + timedelta(minutes=5))
    casework.processor.process([incident(event_id="re-emitted-by-intake")], NOW + timedelta(minutes=10))
    assert len(cases(casework)) == 1
    assert [e["type"] for e in outbox(casework)] == ["CaseRegistered"]
    assert len(casework.read(lambda conn: repo.history(conn, cases(casework)[0].case_id))) == 1


def test_references_count_up_per_office_and_per_year_reported(casework: Casework) -> None:
    casework.processor.process([
        incident("SR-1#1"), incident("SR-1#2", office="Gao"), incident("SR-1#3"),
        incident("SR-0#9", reported_at=datetime(2025, 12, 30, tzinfo=UTC)), incident("SR-1#4"),
    ], NOW)
    by_key = {case.incident_key: case.reference for case in cases(casework)}
    assert by_key == {"SR-1#1": "MOP-2026-0001", "SR-1#2": "GAO-2026-0001", "SR-1#3": "MOP-2026-0002",
                      "SR-0#9": "MOP-2025-0001", "SR-1#4": "MOP-2026-0003"}


def test_identities_are_kept_apart_and_never_in_the_case_its_history_or_its_outbox(casework: Casework) -> None:
    casework.processor.process([incident()], NOW)
    [case] = cases(casework)
    kept = casework.vault.open(casework.read(lambda conn: repo.load_identities(conn, case.case_id)))
    assert kept["witnesses"] == [{"name": SECRET}]  # as written: the API fills in what was left out
    assert kept["victims"][0]["name"] == "Moussa Victim"
    for table in (tables.cases, tables.case_history, tables.outbox, tables.alerts, tables.case_identities):
        text = raw_rows(casework, table)
        assert SECRET not in text and "Moussa Victim" not in text and "+223 555" not in text, table.name
    assert "identities" not in json.dumps(handlers.view(case), default=str)


def test_an_incident_without_identities_keeps_an_empty_record_apart(casework: Casework) -> None:
    casework.processor.process([incident(identities={}), incident("SR-1#2")], NOW)
    casework.processor.process([incident("SR-1#3", identities=None)], NOW)  # none at all: not in the payload
    first, second, third = sorted(cases(casework), key=lambda k: k.incident_key)
    assert casework.vault.open(casework.read(lambda conn: repo.load_identities(conn, first.case_id))) == {}
    assert casework.vault.open(casework.read(lambda conn: repo.load_identities(conn, third.case_id))) == {}
    assert casework.vault.open(casework.read(lambda conn: repo.load_identities(conn, second.case_id)))["witnesses"]


def test_the_identities_sealed_at_the_edge_are_stored_as_they_came(casework: Casework) -> None:
    message = incident()
    sealed = json.loads(message.value)["payload"]["identities"]
    casework.processor.process([message], NOW)
    [case] = cases(casework)
    assert casework.read(lambda conn: repo.load_identities(conn, case.case_id)) == sealed


def test_an_accepted_incident_from_before_identities_were_sealed_is_sealed_by_casework(casework: Casework) -> None:
    payload = json.loads(incident().value)["payload"]
    payload["identities"] = {"victims": [{"name": "Moussa Victim", "contact": None}], "witnesses": [{"name": SECRET}]}
    old = new_envelope("IncidentAccepted", 1, occurred_at=T0, key="SR-1#1", producer="intake", payload=payload)
    casework.processor.process([Message(INCIDENTS, 0, next(_offsets), "SR-1#1", encode(old),
                                        {"event_id": old.event_id})], NOW)
    [case] = cases(casework)
    stored = casework.read(lambda conn: repo.load_identities(conn, case.case_id))
    assert stored.startswith("fernet:") and SECRET not in stored
    assert casework.vault.open(stored)["witnesses"] == [{"name": SECRET}]
    assert outbox(casework, CASEWORK_DEAD_LETTER) == []


@pytest.mark.parametrize(("named", "assignee"), [
    ("awa", "awa"),  # an active HRO of Mopti
    ("garba", None),  # an HRO of another office
    ("gone", None),  # a deactivated HRO
    ("tl_mopti", None),  # not an HRO
    ("nobody", None),  # no such user
    (None, None),
])
def test_a_case_starts_assigned_only_to_an_active_officer_of_its_office(casework: Casework, named: str | None,
                                                                        assignee: str | None) -> None:
    casework.processor.process([incident(assignee=named)], NOW)
    [case] = cases(casework)
    assert case.assignee == assignee
    assert outbox(casework)[0]["payload"]["assignee"] == assignee


def test_a_likely_duplicate_opens_a_review_alert_for_the_team_leaders_of_the_office(casework: Casework) -> None:
    casework.processor.process([incident(possible_duplicates=["SR-0#3"])], NOW)
    [case] = cases(casework)
    assert case.possible_duplicates == ("SR-0#3",)
    [alert] = casework.read(lambda conn: repo.inbox_for(conn, USERS[3]))
    assert (alert.kind, alert.reference, alert.opened_at) == ("possible_duplicate", "MOP-2026-0001", NOW)
    assert "SR-0#3" in alert.message
    assert casework.read(lambda conn: repo.inbox_for(conn, USERS[4])) == []  # not Gao's


# SLA events and alerts -----------------------------------------------------------------------------------

def registered_case(casework: Casework, **extra: Any) -> Case:
    casework.processor.process([incident(**extra)], NOW)
    return cases(casework)[0]


def test_an_sla_breach_opens_an_alert_for_the_team_leaders_of_the_office(casework: Casework) -> None:
    case = registered_case(casework)
    breached_at = T0 + timedelta(days=4)
    casework.processor.process([sla_event("SlaBreached", case, at=breached_at)], breached_at)
    [alert] = casework.read(lambda conn: repo.inbox_for(conn, USERS[3]))
    assert (alert.case_id, alert.kind, alert.level, alert.recipient_role) == (case.case_id, "recording", "breach",
                                                                             "team_leader")
    assert (alert.opened_at, alert.due_at) == (breached_at, T0 + timedelta(days=4))
    assert alert.message.startswith("Overdue: case MOP-2026-0001 (Mopti) not recorded")
    assert outbox(casework, CASE_EVENTS) == outbox(casework)  # alerts are not published as case events


def test_an_escalation_reaches_every_director_and_no_team_leader(casework: Casework) -> None:
    case = registered_case(casework)
    casework.processor.process([sla_event("SlaEscalated", case, recipient_role="director")], NOW)
    assert [a.level for a in casework.read(lambda conn: repo.inbox_for(conn, USERS[5]))] == ["escalation"]
    assert casework.read(lambda conn: repo.inbox_for(conn, USERS[3])) == []


def test_a_redelivered_sla_event_opens_no_second_alert(casework: Casework) -> None:
    case = registered_case(casework)
    warning = sla_event("SlaWarning", case)
    casework.processor.process([warning, warning], NOW)
    casework.processor.process([warning], NOW + timedelta(hours=1))
    assert len(casework.read(lambda conn: repo.list_alerts(conn, open_only=False))) == 1


def test_a_cleared_clock_resolves_its_open_alerts_and_leaves_other_clocks_alone(casework: Casework) -> None:
    case = registered_case(casework)
    casework.processor.process([sla_event("SlaWarning", case), sla_event("SlaBreached", case),
                                sla_event("SlaBreached", case, clock="review", stage="reported")], NOW)
    cleared_at = NOW + timedelta(days=1)
    casework.processor.process([sla_event("SlaCleared", case, level="cleared", reason="case recorded",
                                          at=cleared_at)], cleared_at)
    alerts = casework.read(lambda conn: repo.list_alerts(conn, open_only=False))
    # One alert per case and clock (ADR 0015): the breach raised the warning's alert; the clear resolves it whole.
    assert sorted((a.kind, a.level, a.reminders, a.resolved_at, a.resolution) for a in alerts) == [
        ("recording", "breach", 2, cleared_at, "case recorded"), ("review", "breach", 1, None, "")]
    assert [a.kind for a in casework.read(lambda conn: repo.inbox_for(conn, USERS[3]))] == ["review"]


def test_a_breach_raises_its_clocks_warning_alert_in_its_batch_or_from_an_earlier_one(casework: Casework) -> None:
    casework.processor.process([incident(), incident("SR-1#2", incident_number=2)], NOW)
    first, second = cases(casework)
    casework.processor.process([sla_event("SlaWarning", first)], NOW)  # open before the breach's batch
    breached_at = NOW + timedelta(days=1)
    casework.processor.process([sla_event("SlaWarning", second), sla_event("SlaBreached", second, at=breached_at),
                                sla_event("SlaBreached", first, at=breached_at),
                                sla_event("SlaWarning", first, clock="review", stage="reported")], breached_at)
    alerts = casework.read(lambda conn: repo.list_alerts(conn, open_only=False))
    # Nothing overdue reads "due soon" (issue 19): the warning's alert is now the breach's, one card per clock.
    assert sorted((a.reference, a.kind, a.level, a.reminders, a.resolved_at) for a in alerts) == sorted([
        (first.reference, "recording", "breach", 2, None), (first.reference, "review", "warning", 1, None),
        (second.reference, "recording", "breach", 2, None)])


def test_five_breaches_of_a_clock_are_one_alert_and_one_acknowledgement_takes_them_all_in_hand(
        casework: Casework) -> None:
    case = registered_case(casework, assignee="awa")
    breaches = [sla_event("SlaBreached", case, clock="stall", period=n, at=NOW + timedelta(days=30 * n))
                for n in range(1, 6)]
    casework.processor.process(breaches[:3], NOW)
    casework.processor.process(breaches[3:], NOW + timedelta(days=150))
    [alert] = casework.read(lambda conn: repo.inbox_for(conn, USERS[3]))
    assert (alert.level, alert.reminders, alert.period) == ("breach", 5, 5)
    # Acknowledged by the id of its last reminder (a link in an e-mail, say): the one alert holding it.
    casework.execute(c.AcknowledgeAlert(case.case_id, "tl_mopti", breaches[-1].headers["event_id"], "on it"), NOW)
    assert casework.read(lambda conn: repo.inbox_for(conn, USERS[3])) == []
    [taken] = casework.read(lambda conn: repo.list_alerts(conn, open_only=False))
    assert (taken.alert_id, taken.acknowledged_by, taken.reminders) == (alert.alert_id, "tl_mopti", 5)


def test_an_escalation_after_an_acknowledgement_opens_the_alert_again_for_everyone_it_reached(
        casework: Casework) -> None:
    case = registered_case(casework)
    breach = sla_event("SlaBreached", case)
    casework.processor.process([breach], NOW)
    casework.execute(c.AcknowledgeAlert(case.case_id, "tl_mopti", breach.headers["event_id"], "on it"), NOW)
    later = NOW + timedelta(days=4)
    casework.processor.process([sla_event("SlaEscalated", case, recipient_role="director", at=later)], later)
    [leaders] = casework.read(lambda conn: repo.inbox_for(conn, USERS[3]))
    [directors] = casework.read(lambda conn: repo.inbox_for(conn, USERS[5]))
    assert leaders == directors
    assert (leaders.level, leaders.reminders, leaders.is_open, leaders.acknowledged_by) == ("escalation", 2, True, None)


def test_an_acknowledged_alert_is_resolved_when_its_clock_clears_keeping_who_took_it_in_hand(
        casework: Casework) -> None:
    case = registered_case(casework)
    breach = sla_event("SlaBreached", case)
    casework.processor.process([breach], NOW)
    casework.execute(c.AcknowledgeAlert(case.case_id, "tl_mopti", breach.headers["event_id"], "on it"), NOW)
    casework.processor.process([sla_event("SlaCleared", case, level="cleared", reason="recorded")], NOW)
    [alert] = casework.read(lambda conn: repo.list_alerts(conn, open_only=False))
    # Resolved, so that the clock's next episode opens an alert of its own rather than reopening this one.
    assert (alert.acknowledged_by, alert.resolved_at, alert.resolution) == ("tl_mopti", NOW, "recorded")


# What cannot be processed --------------------------------------------------------------------------------

def test_a_malformed_message_is_dead_lettered_with_its_reason_and_the_worker_carries_on(casework: Casework) -> None:
    not_json = Message(INCIDENTS, 0, next(_offsets), "k", b"{not json", {})
    bad = json.loads(incident("SR-9#9").value)
    del bad["payload"]["office"]
    missing_office = Message(INCIDENTS, 0, next(_offsets), "SR-9#9", json.dumps(bad).encode(),
                             {"event_id": "bad-incident"})
    casework.processor.process([not_json, missing_office, incident("SR-1#1")], NOW)
    assert [case.incident_key for case in cases(casework)] == ["SR-1#1"]
    dead = outbox(casework, CASEWORK_DEAD_LETTER)
    assert [d["type"] for d in dead] == ["MessageDeadLettered", "MessageDeadLettered"]
    assert dead[0]["payload"]["reason"].startswith("not JSON")
    assert base64.b64decode(dead[0]["payload"]["original"]) == b"{not json"
    assert dead[0]["payload"]["source"] == {"topic": INCIDENTS, "partition": 0, "offset": not_json.offset}
    assert dead[1]["payload"]["reason"] == "office: Missing data for required field."
    assert dead[1]["payload"]["fields_in_error"] == {"office": ["Missing data for required field."]}
    assert [e["type"] for e in outbox(casework, CASE_EVENTS)] == ["CaseRegistered"]


def test_a_dead_lettered_message_delivered_again_is_not_dead_lettered_twice(casework: Casework) -> None:
    not_json = Message(INCIDENTS, 0, next(_offsets), "k", b"\xff\xfe", {})
    casework.processor.process([not_json], NOW)
    casework.processor.process([not_json], NOW + timedelta(minutes=1))
    assert len(outbox(casework, CASEWORK_DEAD_LETTER)) == 1


def test_an_event_of_an_unknown_type_is_dead_lettered_rather_than_lost(casework: Casework) -> None:
    envelope = json.loads(incident().value) | {"type": "IncidentTeleported"}
    message = Message(INCIDENTS, 0, next(_offsets), "SR-1#1", json.dumps(envelope).encode(), {"event_id": "odd"})
    casework.processor.process([message], NOW)
    [dead] = outbox(casework, CASEWORK_DEAD_LETTER)
    assert "unknown event type 'IncidentTeleported'" in dead["payload"]["reason"]
    assert cases(casework) == []
