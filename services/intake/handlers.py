"""Intake's handler: a raw sitrep record in; IncidentAccepted, nothing (replay) or IncidentRejected out."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from schemas.errors import SchemaError
from schemas.topics import INCIDENTS, INTAKE_REJECTED
from services.intake.adapters import repository
from services.intake.domain.dedup import Accept, Conflict, Facts, Replay, decide, facts_of
from services.intake.domain.incident import DEFAULT_OFFICES, raw_incident_key, validate
from services.messaging.ports import Message, Outgoing
from services.messaging.processing import dead_letter, emit

PRODUCER = "intake"

# Only keys and positions are logged: a record may hold names of victims, witnesses and sources.
log = logging.getLogger(__name__)


def accepted_event_id(key: str) -> str:
    """The same incident is accepted once, ever: its IncidentAccepted id follows from its key alone."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hrcase:incident-accepted:{key}"))


def parse(value: bytes) -> Any:
    """The incident record in a message: a bare IncidentReported record, or one inside an envelope."""
    try:
        data = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SchemaError(f"an incident must be a JSON object, not {type(data).__name__}")
    if "payload" in data and "type" in data:  # an envelope: no bare record has these fields
        if data["type"] != "IncidentReported" or data.get("version", 1) != 1:
            raise SchemaError({"type": [f"expected IncidentReported version 1, got {data['type']!r} "
                                        f"version {data.get('version', 1)!r}"]})
        if not isinstance(data["payload"], dict):
            raise SchemaError({"payload": ["must be a JSON object"]})
        return data["payload"]
    return data


Checked = tuple[str | None, dict[str, Any] | None, Facts | None, SchemaError | None]


class IntakeHandler:
    """Validates, de-duplicates and records one incident, in the processor's transaction."""

    def __init__(self, offices: Collection[str] = DEFAULT_OFFICES):
        self.offices = tuple(offices)
        self._accepted: repository.BatchAccepted | None = None
        self._checked: dict[str, Checked] = {}

    def check(self, message: Message, now: datetime) -> Checked:
        """(raw key, validated record, its facts, or why it is invalid): what a record is, before the database."""
        key: str | None = None
        try:
            raw = parse(message.value)
            key = raw_incident_key(raw)
            record = validate(raw, now, self.offices)
        except SchemaError as exc:
            return key, None, None, exc
        return key, record, facts_of(record), None

    @contextmanager
    def batch(self, conn: Connection, messages: list[Message], now: datetime) -> Iterator[None]:
        """Validate the batch's records, then read what intake holds of their keys, days and places at once."""
        accepted = repository.BatchAccepted()
        for message in messages:
            try:
                self._checked[message.position] = self.check(message, now)
            except Exception:  # a bug in a record's check: its own call raises it, and it is dead-lettered
                continue
        facts = [f for _, _, f, _ in self._checked.values() if f is not None]
        accepted.prefetch(conn, [f.incident_key for f in facts], [(f.occurred_on, f.location) for f in facts])
        self._accepted = accepted
        try:
            yield
            accepted.flush(conn)
        finally:
            self._accepted = None
            self._checked.clear()

    def __call__(self, conn: Connection, message: Message, now: datetime) -> Sequence[Outgoing]:
        checked = self._checked.pop(message.position, None) or self.check(message, now)
        key, record, facts, error = checked
        if error is not None:
            return self._reject(conn, message, error, key, now, "invalid")
        assert record is not None and facts is not None
        key = facts.incident_key
        batch = self._accepted
        if batch is not None:
            decision = decide(facts, batch.accepted(conn, key),
                              batch.same_place_and_day(conn, facts.occurred_on, facts.location))
        else:
            decision = decide(
                facts, repository.accepted(conn, key),
                repository.same_place_and_day(conn, facts.occurred_on, facts.location),
            )
        if isinstance(decision, Replay):
            log.info("incident %s seen before with the same content: nothing to do", key)
            return []
        if isinstance(decision, Conflict):
            error = SchemaError({"incident_key": [decision.reason]})
            return self._reject(conn, message, error, key, now, "conflict")
        assert isinstance(decision, Accept)
        if batch is not None:
            batch.add(facts, record, now)
        else:
            repository.add_accepted(conn, facts, record, now)
        if decision.possible_duplicates:
            log.info("incident %s accepted; likely duplicate of %s", key, ", ".join(decision.possible_duplicates))
        else:
            log.info("incident %s accepted", key)
        payload = {**record, "incident_key": key, "possible_duplicates": list(decision.possible_duplicates)}
        return [emit(INCIDENTS, "IncidentAccepted", occurred_at=record["reported_at"], key=key,
                     producer=PRODUCER, payload=payload, event_id=accepted_event_id(key))]

    def _reject(self, conn: Connection, message: Message, error: SchemaError, key: str | None,
                now: datetime, code: str) -> Sequence[Outgoing]:
        digest = hashlib.sha256(message.value).hexdigest()
        # A replayed report brings the same bytes again: their rejection is already on the dead letter.
        if repository.was_rejected(conn, digest):
            log.info("record %s (%s) was rejected before: not dead-lettered again", message.position, key)
            return []
        repository.add_rejected(conn, digest, key, error.reason, message.position, now)
        log.info("record %s (%s) rejected", message.position, key)
        out = dead_letter(INTAKE_REJECTED, PRODUCER, message, error.reason, error.fields, now,
                          type_="IncidentRejected", incident_key=key)
        # A bounded code for metric labels ("invalid" or "conflict"); the free-text reason must not be a label.
        return [replace(out, headers={**out.headers, "reason_code": code})]
