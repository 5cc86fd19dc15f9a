"""Intake's handler: a raw sitrep record in; IncidentAccepted, nothing (replay) or IncidentRejected out."""

from __future__ import annotations

import hashlib
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
from services.config import DEFAULT_OFFICES
from services.intake.adapters import repository
from services.intake.domain.dedup import Accept, Conflict, Facts, Replay, decide, facts_of
from services.intake.domain.incident import content_hash, content_hash_in_clear, identities_text, load_identities
from services.messaging.ports import Message, Outgoing
from services.messaging.processing import Handle, Handler, dead_letter, emit
from services.sealing import open_identities, open_record, open_value, plain_form, seal_record, seal_value
from services.vault import IdentityVault
from sitreps.key import raw_incident_key
from sitreps.parser import parse
from sitreps.validation import located, validate

PRODUCER = "intake"

# Only keys and positions are logged: a record may hold names of victims, witnesses and sources.
log = logging.getLogger(__name__)


def accepted_event_id(key: str) -> str:
    """The same incident is accepted once, ever: its IncidentAccepted id follows from its key alone."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hrcase:incident-accepted:{key}"))


Checked = tuple[str | None, dict[str, Any] | None, Facts | None, SchemaError | None]


class IntakeHandler(Handler):
    """Validates, de-duplicates and records one incident, in the processor's transaction.

    It holds the identity key: it opens sealed identities to validate them, seals those an outside producer sent
    in the clear, and never lets them out in the clear, not even in a dead letter (ADR 10).
    """

    def __init__(self, offices: Collection[str] = DEFAULT_OFFICES, vault: IdentityVault | None = None):
        self.offices = tuple(offices)
        self.vault = vault or IdentityVault.generate()

    def check(self, message: Message, now: datetime) -> Checked:
        """(raw key, validated record, its facts, or why it is invalid): what a record is, before the database."""
        key: str | None = None
        try:
            raw = parse(open_value(message.value, self.vault))
            key = raw_incident_key(raw)
            record = validate(open_record(raw, self.vault), now, self.offices)
        except SchemaError as exc:
            return key, None, None, exc
        facts = facts_of(record, self.vault.digests(identities_text(record["identities"]))[0])
        # What goes on: identities as sealed at the edge (or sealed here), absent if the record had none.
        sealed = seal_record(raw, self.vault).get("identities")
        return key, {**record, "identities": sealed} if sealed else _without_identities(record), facts, None

    def kept(self, message: Message) -> Message:
        """What a dead letter keeps of a record: its bytes, the identities sealed (the processor's dead letters)."""
        return replace(message, value=seal_value(message.value, self.vault))

    def _also_same(self, record: dict[str, Any]) -> list[str]:
        """The record's content hashes under the older identity keys, and as hashed before identities were sealed."""
        sealed = record.get("identities")
        plain = {**record, "identities": load_identities(open_identities(sealed, self.vault)) if sealed else {}}
        older = self.vault.digests(identities_text(plain["identities"]))[1:]
        return [*(content_hash(plain, digest) for digest in older), content_hash_in_clear(plain)]

    @contextmanager
    def batch(self, conn: Connection, messages: Sequence[Message], now: datetime) -> Iterator[Handle]:
        """Validate the batch's records, then read what intake holds of their keys, days and places at once."""
        accepted, checked = repository.BatchAccepted(), dict[str, Checked]()
        for message in messages:
            try:
                checked[message.position] = self.check(message, now)
            except Exception:  # a bug in a record's check: its own call raises it, and it is dead-lettered
                continue
        facts = [f for _, _, f, _ in checked.values() if f is not None]
        accepted.prefetch(conn, [f.incident_key for f in facts], [(f.occurred_on, f.location) for f in facts])
        yield lambda message: self.take(conn, message, now, accepted, checked.pop(message.position, None))
        accepted.flush(conn)

    def take(self, conn: Connection, message: Message, now: datetime, batch: repository.BatchAccepted,
             checked: Checked | None = None) -> Sequence[Outgoing]:
        """One record of the batch (`checked`: as the batch's read-ahead checked it, if it could)."""
        key, record, facts, error = checked or self.check(message, now)
        if error is not None:
            return self._reject(conn, message, error, key, now, "invalid")
        assert record is not None and facts is not None
        key = facts.incident_key
        decision = decide(facts, batch.accepted(conn, key),
                          batch.same_place_and_day(conn, facts.occurred_on, facts.location),
                          lambda: self._also_same(record))
        if isinstance(decision, Replay):
            log.debug("incident %s seen before with the same content: nothing to do", key)
            return []
        if isinstance(decision, Conflict):
            error = SchemaError({"incident_key": [decision.reason]})
            return self._reject(conn, message, error, key, now, "conflict")
        assert isinstance(decision, Accept)
        batch.add(facts, record, now)
        if decision.possible_duplicates:
            log.info("incident %s accepted; likely duplicate of %s", key, ", ".join(decision.possible_duplicates))
        else:
            log.debug("incident %s accepted", key)  # every incident: at INFO, 5,000 lines a second under load
        # Placed in the gazetteer only now: the content hashed is what was written, the P-code follows from it.
        payload = {**located(record), "incident_key": key, "possible_duplicates": list(decision.possible_duplicates)}
        return [emit(INCIDENTS, "IncidentAccepted", occurred_at=record["reported_at"], key=key,
                     producer=PRODUCER, payload=payload, event_id=accepted_event_id(key))]

    def _reject(self, conn: Connection, message: Message, error: SchemaError, key: str | None,
                now: datetime, code: str) -> Sequence[Outgoing]:
        # A replayed report brings the same record again: its rejection is already on the dead letter. Sealed
        # identities differ each time they are sealed: a record holding them is known by a keyed digest instead.
        plain = plain_form(message.value, self.vault)
        digests = [hashlib.sha256(message.value).hexdigest()] if plain is None else self.vault.digests(plain)
        if any(repository.was_rejected(conn, digest) for digest in digests):
            log.info("record %s (%s) was rejected before: not dead-lettered again", message.position, key)
            return []
        repository.add_rejected(conn, digests[0], key, error.reason, message.position, now)
        log.info("record %s (%s) rejected", message.position, key)
        out = dead_letter(INTAKE_REJECTED, PRODUCER, self.kept(message), error.reason, error.fields, now,
                          type_="IncidentRejected", incident_key=key)
        # A bounded code for metric labels ("invalid" or "conflict"); the free-text reason must not be a label.
        return [replace(out, headers={**out.headers, "reason_code": code})]


def _without_identities(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "identities"}
