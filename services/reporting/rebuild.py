"""Services' state rebuilt from a restored log: each service's own processor, at the times it first ran."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection

from schemas import decode
from schemas.registry import load_payload
from schemas.sla import schedules_of
from schemas.topics import CASE_EVENTS, INCIDENTS, SITREP_INCIDENTS, SLA_EVENTS
from services.casework.adapters import duplicates as pairs
from services.casework.adapters import repository as repo
from services.casework.domain.case import Event, apply
from services.casework.domain.roles import User
from services.casework.handlers import store_corrected_identity
from services.embedded import EmbeddedRuntime
from services.messaging.ports import Message, Outgoing, Publisher
from services.messaging.processing import emit
from services.reporting.history.importer import save_users, settle
from services.vault import IdentityVault

CHUNK = 500


class RebuildError(Exception):
    """The rebuilt state disagrees with the events it came from."""


def rebuild(runtime: EmbeddedRuntime, messages: Sequence[Message], users: Sequence[User],
            positions: Mapping[int, tuple[int, int]] | None = None) -> int:
    """Intake and casework re-read their inputs, casework folds its officers' events, sla_monitor replays.

    Intake takes each sitrep record at the time its outcome was recorded (the case's registration, or the
    rejection), so that its rules decide as they did; casework registers each incident at the registration time
    in the log, so references and alerts come out the same. Returns how many cases casework holds. `positions`:
    where each record was on Kafka (an export from Kafka), by its offset in the export; intake reads a situation
    report's record at that position, as first, so that a rejection's dead letter comes out under the same id.
    """
    at = positions or {}
    runtime.casework.write(partial(save_users, users=users))
    envelopes = {m.offset: json.loads(m.value) for m in messages if m.topic != SITREP_INCIDENTS}
    registered: dict[str, datetime] = {}
    references: dict[str, str] = {}
    rejected: dict[tuple[int, int], datetime] = {}
    for env in envelopes.values():
        if env["type"] == "CaseRegistered":
            registered[env["payload"]["incident_key"]] = _time(env["occurred_at"])
            references[env["payload"]["case_id"]] = env["payload"]["reference"]
        elif env["type"] == "IncidentRejected" and env["payload"]["source"].get("topic") == SITREP_INCIDENTS:
            source = env["payload"]["source"]
            rejected[(int(source.get("partition", 0)), int(source["offset"]))] = _time(env["occurred_at"])
    last = max((_time(e["occurred_at"]) for e in envelopes.values()), default=None)
    if last is None:
        return 0
    for lane, now, group in _runs(messages, envelopes, registered, rejected, last, at):
        if lane == "intake":
            runtime.intake.processor.process(group, now)
        elif lane == "casework":
            runtime.casework.processor.process(group, now)
        else:
            runtime.casework.write(partial(_fold, group=group, envelopes=envelopes, vault=runtime.vault))
    _commit(runtime, messages)
    _check(runtime, references)
    with _schedules_not_republished(runtime, messages):
        settle(runtime, last)  # sla_monitor replays every case event (event time), then checks up to the last one
    return len(references)


@contextmanager
def _schedules_not_republished(runtime: EmbeddedRuntime, messages: Sequence[Message]) -> Iterator[None]:
    """While sla_monitor replays, the schedules it publishes again are kept off the log: they are on it already.
    Its SLA events need no such care (the log skips an event id it holds), but its schedules travel in batches
    whose bounds differ from the source's (ADR 16), so a batch of known schedules would be a new record."""
    known = {_schedule_key(s) for m in messages if m.topic == SLA_EVENTS for s in _schedules(m.value)}
    [monitor] = [c for c in runtime.pump.consumers if c.processor is runtime.sla.processor]
    inner = monitor.publisher
    monitor.publisher = _NewSchedulesOnly(inner, known)
    try:
        yield
    finally:
        monitor.publisher = inner


class _NewSchedulesOnly:
    """A publisher that passes each record on, but an SlaScheduled only with the schedules not `known` (none: no
    record); a record that loses some is published again as a new batch of the rest, in their order."""

    def __init__(self, inner: Publisher, known: set[str]):
        self.inner, self.known = inner, known

    def publish(self, records: list[Outgoing]) -> None:
        out = []
        for record in records:
            if record.headers.get("type") != "SlaScheduled":
                out.append(record)
                continue
            envelope = decode(record.value)
            schedules = schedules_of(envelope.version, envelope.payload, envelope.occurred_at)
            new = [s for s in schedules if _schedule_key(s) not in self.known]
            if len(new) == len(schedules):
                out.append(record)
            elif new:
                ids = ",".join(_schedule_key(s) for s in new)
                out.append(emit(SLA_EVENTS, "SlaScheduled", occurred_at=envelope.occurred_at, key=envelope.key,
                                producer=envelope.producer, payload=load_payload("SlaScheduled", 2, {"schedules": new}),
                                event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"hrcase:restored-schedules:{ids}")),
                                version=2, correlation_id=envelope.correlation_id))
        self.inner.publish(out)


def _schedules(value: bytes) -> list[dict[str, Any]]:
    envelope = json.loads(value)
    if envelope.get("type") != "SlaScheduled":
        return []
    return schedules_of(int(envelope["version"]), envelope["payload"], envelope["occurred_at"])


def _schedule_key(schedule: dict[str, Any]) -> str:
    """A schedule as it travels (its JSON form, keys sorted): the same schedule published twice has the same key."""
    return json.dumps({k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in schedule.items()},
                      sort_keys=True)


def _runs(messages: Sequence[Message], envelopes: dict[int, Any], registered: dict[str, datetime],
          rejected: dict[tuple[int, int], datetime], last: datetime,
          at: Mapping[int, tuple[int, int]]) -> Iterator[tuple[str, datetime, list[Message]]]:
    """Consecutive messages for the same service at the same time, in log order, at most CHUNK at once."""
    current: tuple[str, datetime] | None = None
    group: list[Message] = []
    clock = min(registered.values(), default=last)
    for message in messages:
        if message.topic == SITREP_INCIDENTS:
            partition, offset = at.get(message.offset, (message.partition, message.offset))
            clock = registered.get(message.key or "") or rejected.get((partition, offset)) or clock
            lane, now = "intake", clock
            message = replace(message, partition=partition, offset=offset)
        elif message.topic == INCIDENTS:
            key = envelopes[message.offset]["key"]
            lane, now = "casework", registered.get(key, _time(envelopes[message.offset]["occurred_at"]))
        elif message.topic == SLA_EVENTS:
            lane, now = "casework", last  # casework dates an alert by the SLA event, not by `now`
        elif message.topic == CASE_EVENTS:
            lane, now = "fold", last
        else:
            continue  # dead letters and rejections are outputs, already in the log
        if (lane, now) != current or len(group) >= CHUNK:
            if group and current:
                yield current[0], current[1], group
            current, group = (lane, now), []
        group.append(message)
    if group and current:
        yield current[0], current[1], group


def _fold(conn: Connection, group: Sequence[Message], envelopes: dict[int, Any], vault: IdentityVault) -> None:
    """Officers' case events into cases, history and alerts, as casework's command handler left them (a corrected
    identity into the case's identities, through the handler's one function that stores them)."""
    for message in group:
        env = envelopes[message.offset]
        if env["type"] == "CaseRegistered":
            continue  # registration is casework's own reaction to the incident, replayed above
        payload = load_payload(env["type"], env["version"], env["payload"])
        at = _time(env["occurred_at"])
        case = repo.get_case(conn, payload["case_id"])
        if case is None:
            raise RebuildError(f"{env['type']} {env['event_id']} is about case {payload['case_id']}, never registered")
        if env["type"] == "AlertAcknowledged":
            alert = repo.get_alert(conn, payload["alert_id"])
            if alert is not None:
                repo.save_alert(conn, replace(alert, acknowledged_by=payload["actor"], acknowledged_at=at))
        if env["type"] == "IdentityCorrected":
            identities = vault.open(repo.load_identities(conn, case.case_id))
            store_corrected_identity(conn, case.case_id, identities, payload["person"], vault.open(payload["identity"]),
                                     vault)
        if env["type"] in ("DuplicateDismissed", "CaseMerged"):  # the pair as its decision left it (ADR 0022)
            merged = env["type"] == "CaseMerged"
            pairs.decided(conn, payload["pair_id"], "merged" if merged else "distinct",
                          payload["into_case_id"] if merged else None, payload["actor"], at, payload["note"])
            if merged:
                pairs.supersede(conn, payload["case_id"], payload["pair_id"], payload["actor"], at,
                                f"{payload['reference']} merged into {payload['into_reference']}")
        after = apply(case, Event(env["type"], payload, at))
        if after != case:
            repo.update_case(conn, case, after)
        repo.append_history(conn, [{"event_id": env["event_id"], "case_id": env["key"], "type": env["type"],
                                    "occurred_at": at, "actor": env["payload"]["actor"],
                                    "payload": json.dumps(env["payload"], sort_keys=True)}])


def _commit(runtime: EmbeddedRuntime, messages: Sequence[Message]) -> None:
    """Intake and casework have taken their inputs: their consumer groups start after them."""
    last: dict[str, Message] = {}
    for message in messages:
        last[message.topic] = message
    for group, topics in (("intake", (SITREP_INCIDENTS,)), ("casework", (INCIDENTS, SLA_EVENTS))):
        done = [last[t] for t in topics if t in last]
        runtime.log.subscriber(group, topics).commit(done)


def _check(runtime: EmbeddedRuntime, references: dict[str, str]) -> None:
    def read(conn: Connection) -> list[str]:
        wrong = []
        for case_id, reference in references.items():
            case = repo.get_case(conn, case_id)
            if case is None or case.reference != reference:
                wrong.append(f"{reference} ({'missing' if case is None else case.reference})")
        return wrong

    wrong = runtime.casework.read(read)
    if wrong:
        raise RebuildError(f"rebuilt cases differ from the export: {', '.join(wrong[:10])}")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)
