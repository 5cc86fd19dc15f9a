"""Casework handlers: incidents become cases, SLA events become alerts, commands become case events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from schemas import Envelope, decode
from schemas.registry import load_payload
from schemas.sla import schedules_of
from schemas.topics import CASE_EVENTS
from services.casework.adapters import duplicates as pairs
from services.casework.adapters import people_index
from services.casework.adapters import repository as repo
from services.casework.adapters import schedules as schedules_table
from services.casework.adapters.command_batch import CommandBatch
from services.casework.adapters.identity_store import replace_identities
from services.casework.adapters.units import list_units
from services.casework.domain import alerts as alert_rules
from services.casework.domain import commands as c
from services.casework.domain import duplicates, schedules
from services.casework.domain.case import Case, Event, apply, registered
from services.casework.domain.errors import CommandRefused, InvalidValue
from services.casework.domain.identity_corrections import with_identity
from services.casework.domain.reference import case_id_for, reference
from services.casework.domain.units import act_unit_problems
from services.casework.domain.workflow import decide
from services.messaging.ports import Message, Outgoing
from services.messaging.processing import Handle, Handler, decode_ahead, emit
from services.sealing import seal_record
from services.vault import IdentityVault

PRODUCER = "casework"
ALERTING = (*alert_rules.LEVEL_OF, "SlaCleared")  # the SLA events that open, fold into or resolve an alert
DETAIL_FIELDS = ("sitrep_id", "occurred_at", "location", "violation_types", "perpetrator_category", "victims",
                 "source_type", "summary", "place_pcode", "place_free_text", "latitude", "longitude", "people", "acts")
# What CaseRegistered v2 carries of the incident beside v1's: where, and who did what to whom (no identities).
RECORD_FIELDS = ("place_pcode", "place_free_text", "latitude", "longitude", "people", "acts")


class MessageHandler(Handler):
    """The BatchProcessor handler for `incidents` and `sla-events`: reads ahead which of a batch's incidents already
    have a case, and writes the batch's cases, identities, history and alerts at its end."""

    def __init__(self, vault: IdentityVault):
        self.vault = vault

    @contextmanager
    def batch(self, conn: Connection, messages: Sequence[Message], now: datetime) -> Iterator[Handle]:
        batch, decoded = repo.BatchCases(), decode_ahead(messages)
        accepted = (e.payload.get("incident_key") for e in decoded.values() if e.type == "IncidentAccepted")
        batch.prefetch(conn, [key for key in accepted if isinstance(key, str)])
        clocks = (e.payload.get("case_id") for e in decoded.values() if e.type in ALERTING)
        batch.alerts.prefetch(conn, [case_id for case_id in clocks if isinstance(case_id, str)])
        yield lambda message: on_message(conn, message, now, self.vault, batch, decoded.pop(message.position, None))
        batch.flush(conn)


def on_message(conn: Connection, message: Message, now: datetime, vault: IdentityVault, batch: repo.BatchCases,
               envelope: Envelope | None = None) -> Sequence[Outgoing]:
    """Entry point for the consumed topics: accepted incidents and SLA events (`envelope`: read ahead, if it was)."""
    envelope = envelope or decode(message.value)
    raw = envelope.payload
    if envelope.type == "IncidentAccepted":  # one from before identities were sealed at the edge: seal it (ADR 10)
        raw = seal_record(raw, vault)
    payload = load_payload(envelope.type, envelope.version, raw)
    if envelope.type == "IncidentAccepted":
        return register_case(conn, payload, now, vault, batch)
    if envelope.type == "SlaScheduled":
        for schedule in schedules_of(envelope.version, payload, envelope.occurred_at):
            on_schedule(schedule, batch)  # in the monitor's order: a later schedule of a clock replaces an earlier
        return []
    if envelope.type.startswith("Sla"):
        on_sla_event(conn, envelope.event_id, envelope.type, payload, envelope.occurred_at, batch)
        return []
    return []  # other event types on these topics are not casework's business


def register_case(conn: Connection, incident: dict[str, Any], now: datetime, vault: IdentityVault,
                  batch: repo.BatchCases) -> list[Outgoing]:
    """A case for an accepted incident; its rows are written with the batch's (`BatchCases`)."""
    key = incident["incident_key"]
    if batch.case_exists_for(conn, key):
        return []  # the same incident arriving again is the same case
    assignee = _initial_assignee(conn, incident, batch)
    year = incident["reported_at"].year
    case_id = case_id_for(key)
    event = Event("CaseRegistered", {
        "case_id": case_id,
        "reference": reference(incident["office"], year, batch.next_reference_number(conn, incident["office"], year)),
        "office": incident["office"], "stage": "reported", "actor": "system", "assignee": assignee,
        "incident_key": key, "sitrep_id": incident["sitrep_id"], "reported_at": incident["reported_at"],
        "occurred_at": incident["occurred_at"], "location": incident["location"],
        "violation_types": incident["violation_types"], "perpetrator_category": incident["perpetrator_category"],
        "victims": incident["victims"], "possible_duplicates": incident.get("possible_duplicates", []),
        **{name: incident.get(name) for name in RECORD_FIELDS},
    }, now)
    out = [_emit(event, event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"hrcase:registered:{key}")))]
    details = {k: v for k, v in out[0].read_payload().items() if k in DETAIL_FIELDS}
    details["summary"] = incident["summary"]
    # Intake cannot check casework's list of units: an act naming one not on it is kept, and flagged for the officer.
    named = [act for act in details.get("acts") or [] if act.get("perpetrator_unit")]
    unknown = act_unit_problems(details.get("acts") or [], batch.units(conn)) if named else []
    if unknown:
        details["perpetrator_unit_unknown"] = [problem for _, problem in unknown]
    details["source_type"] = incident["source_type"]
    case = registered(event, details)
    batch.insert_case(case)
    sealed = incident.get("identities")
    batch.save_identities(case.case_id, sealed or vault.seal({}))  # sealed at the edge (ADR 10)
    if sealed:  # opened once, here, for the blind index of people (ADR 23): digests only, no name
        batch.index_people(people_index.sealed_rows(vault, case.case_id, sealed))
    batch.append_history(_history_rows([event], out))
    if case.possible_duplicates:
        batch.alerts.add(alert_rules.duplicate_alert(
            f"dup-{case.case_id}", {**event.payload, "possible_duplicates": list(case.possible_duplicates)}, now))
    return out


def _initial_assignee(conn: Connection, incident: dict[str, Any], batch: repo.BatchCases) -> str | None:
    """The sitrep may name the officer; only an active HRO of that office can hold the case."""
    name = incident.get("assignee")
    user = batch.get_user(conn, name) if name else None
    if user and user.active and user.role == "hro" and user.office == incident["office"]:
        return user.username
    return None


def on_sla_event(conn: Connection, event_id: str, type_: str, payload: dict[str, Any], at: datetime,
                 batch: repo.BatchCases) -> None:
    """A warning, breach or escalation opens its clock's alert or is folded into it (one per case and clock), a
    clearing resolves it (the monitor clears every clock that crossed something when it stops or starts over):
    written at the batch's end."""
    if type_ == "SlaCleared":
        batch.alerts.resolve(conn, payload["case_id"], payload["clock"], at, payload.get("reason") or "cleared")
        return
    batch.alerts.on_sla_event(conn, event_id, type_, payload, at)


def on_schedule(payload: Mapping[str, Any], batch: repo.BatchCases) -> None:
    """Keep the monitor's latest schedule of the clock (what lists show and sort by): written at the batch's end."""
    batch.schedules.add(schedules.from_event(payload))


def execute(conn: Connection, command: c.Command, now: datetime, store: CommandBatch,
            vault: IdentityVault | None = None) -> list[Outgoing]:
    """Run one officer's command in the caller's transaction, its cases read and written through a unit of work's
    `store`; refusals raise CommandRefused and change nothing. Only `unit_of_work.UnitOfWork` calls it. `vault`:
    for a command on identities (CorrectIdentity), which the handler opens and seals again."""
    actor = store.get_user(conn, command.actor)
    if actor is None:
        raise CommandRefused(f"unknown user {command.actor!r}")
    if isinstance(command, c.AcknowledgeAlert):
        return _acknowledge(conn, command, actor, now, store)
    case = store.get_case(conn, command.case_id)
    if case is None:
        raise CommandRefused(f"no case {command.case_id!r}")
    assignee = store.get_user(conn, command.assignee) if isinstance(command, c.AssignCase) else None
    if isinstance(command, c.AmendIncident) and isinstance((command.changes.get("acts") or {}).get("new"), list):
        for field, problem in act_unit_problems(command.changes["acts"]["new"], list_units(conn),
                                                case.details.get("acts") or []):
            raise InvalidValue(field, problem)
    identities: dict[str, Any] | None = None
    if isinstance(command, c.CorrectIdentity):
        if vault is None:
            raise CommandRefused("correcting an identity needs the identity key (HRCASE_IDENTITY_KEY)")
        identities = vault.open(repo.load_identities(conn, case.case_id))
        command = replace(command, current=(identities.get("people") or {}).get(command.person))
    events = decide(case, command, actor, now, assignee, _stall_due(conn, command, case.case_id))
    if identities is not None:
        assert vault is not None
        events = [_identity_stored(conn, case.case_id, identities, e, vault) for e in events]
    after = case
    for event in events:
        after = apply(after, event)
    store.update_case(conn, case, after)
    return record_events(conn, events, store)


def _identity_stored(conn: Connection, case_id: str, identities: dict[str, Any], event: Event,
                     vault: IdentityVault) -> Event:
    """A correction's event with the corrected identity sealed (it left the rule in the clear), once the case's
    identities are stored with it."""
    identity = event.payload["identity"]
    store_corrected_identity(conn, case_id, identities, event.payload["person"], identity, vault)
    return replace(event, payload={**event.payload, "identity": vault.seal(identity)})


def store_corrected_identity(conn: Connection, case_id: str, identities: dict[str, Any], person: str,
                             identity: dict[str, Any], vault: IdentityVault) -> None:
    """The one place a case's identities are written again after registration: a live correction, and its replay
    when a log is restored (services.reporting.rebuild). Old values are not kept (ADR 20); the blind index of
    people (ADR 23) follows in the same transaction, so a corrected name is found and the old one no longer is."""
    corrected = with_identity(identities, person, identity)
    replace_identities(conn, case_id, vault.seal(corrected))
    people_index.index_case(conn, vault, case_id, corrected)


def decide_duplicate(conn: Connection, command: c.DecideDuplicate, now: datetime,
                     store: CommandBatch) -> list[Outgoing]:
    """A decision on a likely duplicate pair (ADR 0022): events on both cases, and the pair marked decided, in the
    caller's transaction. Only `unit_of_work.UnitOfWork` calls it, after the role policy."""
    actor = store.get_user(conn, command.actor)
    if actor is None:
        raise CommandRefused(f"unknown user {command.actor!r}")
    if not actor.active:
        raise CommandRefused(f"user {actor.username} is deactivated")
    pair = pairs.get(conn, command.pair_id)
    if pair is None:
        raise CommandRefused(f"no pair {command.pair_id!r}")
    first, second = store.get_case(conn, pair["first_case_id"]), store.get_case(conn, pair["second_case_id"])
    if first is None or second is None:
        raise CommandRefused(f"pair {command.pair_id!r} names a case casework does not hold")
    events = duplicates.decide(pair, first, second, command.decision, command.survivor, command.note, actor, now)
    by_id = {first.case_id: first, second.case_id: second}
    for event in events:
        before = by_id[event.payload["case_id"]]
        after = apply(before, event)
        if after is not before:
            store.update_case(conn, before, after)
            by_id[after.case_id] = after
    survivor = next((e.payload["case_id"] for e in events if e.type == "DuplicateAbsorbed"), None)
    status = "merged" if survivor else "distinct"
    if not pairs.decided(conn, command.pair_id, status, survivor, actor.username, now, command.note.strip()):
        raise CommandRefused("this pair was decided meanwhile")
    for event in events:
        if event.type == "CaseMerged":
            pairs.supersede(conn, event.payload["case_id"], command.pair_id, actor.username, now,
                            f"{event.payload['reference']} merged into {event.payload['into_reference']}")
    return record_events(conn, events, store)


def _stall_due(conn: Connection, command: c.Command, case_id: str) -> datetime | None:
    """For an activity dated in the past: when the case's stall clock falls due, as the monitor last scheduled it."""
    if not isinstance(command, c.LogActivity) or command.at is None:
        return None
    running = [s for s in schedules_table.for_cases(conn, [case_id])[case_id] if s.clock == "stall" and s.running]
    return running[0].due_at if running else None


def _acknowledge(conn: Connection, command: c.AcknowledgeAlert, actor: Any, now: datetime,
                 store: CommandBatch) -> list[Outgoing]:
    alert = repo.get_alert(conn, command.alert_id)
    if alert is None:
        raise CommandRefused(f"no alert {command.alert_id!r}")
    acknowledged = alert_rules.acknowledge(alert, actor, now)
    case = store.get_case(conn, alert.case_id)
    if case is None:  # an SLA event for a case this database never had: say so rather than crash
        raise CommandRefused(f"alert {alert.alert_id!r} is about case {alert.reference}, which casework does not hold")
    repo.save_alert(conn, acknowledged)
    event = Event("AlertAcknowledged", {**case.common(actor.username), "alert_id": alert.alert_id,
                                        "note": command.note}, now)
    return record_events(conn, [event], store)


def _emit(event: Event, event_id: str | None = None) -> Outgoing:
    p = event.payload
    return emit(CASE_EVENTS, event.type, occurred_at=event.occurred_at, key=p["case_id"], producer=PRODUCER,
                payload=p, event_id=event_id)


def record_events(conn: Connection, events: Sequence[Event], store: CommandBatch) -> list[Outgoing]:
    """A case's events emitted and added to its history, in the caller's transaction."""
    out = [_emit(e) for e in events]
    store.append_history(conn, _history_rows(events, out))
    return out


def _history_rows(events: Sequence[Event], out: Sequence[Outgoing]) -> list[dict[str, Any]]:
    """One history row per emitted event: the payload as it went out (its JSON form), who did it, and when."""
    rows = []
    for event, record in zip(events, out, strict=True):
        payload = record.read_payload()
        rows.append({"event_id": record.headers["event_id"], "case_id": record.key, "type": event.type,
                     "occurred_at": event.occurred_at, "actor": payload["actor"],
                     "payload": orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()})
    return rows


def view(case: Case) -> dict[str, Any]:
    """What a case looks like to the people allowed to see it (identities are never part of it)."""
    return {"case_id": case.case_id, "reference": case.reference, "office": case.office, "stage": case.stage,
            "assignee": case.assignee, "reported_at": case.reported_at, "recorded_at": case.recorded_at,
            "closure": case.closure, "delay": case.delay, "follow_ups": list(case.follow_ups),
            "possible_duplicates": list(case.possible_duplicates), **case.details}
