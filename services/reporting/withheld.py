"""People withheld from an export: whoever withdrew their consent to sharing leaves no identifying field in it; and
the identities it carries are the corrected ones.

The export is a handover of the case file to another installation: the case events say whose consent was withdrawn
(casework's rule, services.casework.domain.consent), and the incident records that carry those people's sealed
identities are written with their names, date of birth and contact removed, re-sealed, and their open record
marked with the withdrawal (ADR 0017). A person whose identity was corrected (IdentityCorrected, ADR 20) has the
corrected one in the incident records, so the old values leave no trace in the export; a withheld person's
corrections carry an empty identity."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from schemas import json_text
from schemas.topics import CASE_EVENTS
from services.casework.domain import consent
from services.casework.domain.identity_corrections import with_identity
from services.messaging.ports import Message
from services.sealing import FIELD, is_sealed, open_identities, open_value
from services.vault import IdentityVault
from sitreps.key import raw_incident_key


def withdrawals(messages: Iterable[Message]) -> dict[str, dict[str, str]]:
    """incident key -> {person ref: when their consent to sharing was withdrawn}, from the case events as they
    stand at the end of the log (a consent recorded again after a withdrawal shares them again)."""
    keys: dict[str, str] = {}
    details: dict[str, dict[str, Any]] = {}
    for message in messages:
        if message.topic != CASE_EVENTS:
            continue
        kind, payload = message.headers.get("type"), _payload(message.value)
        if payload is None:
            continue
        case_id = str(payload.get("case_id"))
        if kind == "CaseRegistered":
            keys[case_id] = payload["incident_key"]
            details[case_id] = {"people": payload.get("people") or []}
        elif kind == "ConsentRecorded" and case_id in details:
            details[case_id] = consent.recorded(details[case_id], payload["person"], payload["consent"])
        elif kind == "ConsentWithdrawn" and case_id in details:
            details[case_id] = consent.withdrawn(details[case_id], payload["person"], payload["withdrawn"],
                                                 payload.get("partners") or [], payload["withdrawn_at"])
    out: dict[str, dict[str, str]] = {}
    for case_id, held in details.items():
        people = {p["ref"]: p for p in held["people"]}
        refs = consent.withheld(held["people"])
        if refs:
            out[keys[case_id]] = {ref: people[ref]["consent"]["withdrawn_at"] for ref in refs}
    return out


@dataclass(frozen=True)
class Corrections:
    """Identities as last corrected (ADR 20): by incident key, {person ref: identity}; and each case's incident key."""

    by_incident: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    incident_of: dict[str, str] = field(default_factory=dict)


def corrections(messages: Iterable[Message], vault: IdentityVault | None) -> Corrections:
    """Every person's identity as last corrected, from the case events."""
    keys: dict[str, str] = {}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for message in messages:
        if message.topic != CASE_EVENTS:
            continue
        kind, payload = message.headers.get("type"), _payload(message.value)
        if payload is None:
            continue
        if kind == "CaseRegistered":
            keys[str(payload["case_id"])] = payload["incident_key"]
        elif kind == "IdentityCorrected" and str(payload.get("case_id")) in keys:
            if vault is None:
                raise ValueError("the export carries corrected identities: it needs the identity key to open them")
            out.setdefault(keys[str(payload["case_id"])], {})[payload["person"]] = vault.open(payload["identity"])
    return Corrections(out, keys)


def without(message: Message, withheld: Mapping[str, Mapping[str, str]], vault: IdentityVault | None,
            corrected: Corrections | None = None) -> Message:
    """The record with the corrected identities in place of the old, the withheld people's identities removed and
    their consent marked withdrawn; a withheld person's correction with an empty identity; any other record as it
    is."""
    corrected = corrected or Corrections()
    if message.topic == CASE_EVENTS:
        return _correction_withheld(message, withheld, vault, corrected.incident_of) if withheld else message
    if not withheld and not corrected.by_incident:
        return message
    data = _object(message.value, vault)
    record = data.get("payload") if data is not None and "type" in data else data
    if not isinstance(record, dict):
        return message
    key = str(record.get("incident_key") or raw_incident_key(record))
    refs, fixed = withheld.get(key) or {}, corrected.by_incident.get(key) or {}
    if not refs and not fixed:
        return message
    if vault is None:
        raise ValueError("the export withholds people's identities: it needs the identity key to re-seal them")
    for person in record.get("people") or []:
        if isinstance(person, dict) and person.get("ref") in refs:
            person["consent"] = {**(person.get("consent") or {}), "share_with": [], "withdrawn_at": refs[person["ref"]]}
    sealed = record.get(FIELD)
    identities = open_identities(str(sealed), vault) if is_sealed(sealed) else sealed
    if isinstance(identities, dict):
        for ref, identity in fixed.items():
            identities = with_identity(identities, ref, identity)
        identities["people"] = {ref: value for ref, value in (identities.get("people") or {}).items()
                                if ref not in refs}
        record[FIELD] = vault.seal(identities)
    return replace(message, value=json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


def _correction_withheld(message: Message, withheld: Mapping[str, Mapping[str, str]], vault: IdentityVault | None,
                         incident_of: Mapping[str, str]) -> Message:
    """An IdentityCorrected of a withheld person with `{}` sealed as the identity (a replay removes theirs)."""
    if message.headers.get("type") != "IdentityCorrected":
        return message
    data = _object(message.value, None)
    payload = data.get("payload") if data else None
    if not isinstance(payload, dict):
        return message
    if payload.get("person") not in withheld.get(incident_of.get(str(payload.get("case_id")), ""), {}):
        return message
    if vault is None:
        raise ValueError("the export withholds people's identities: it needs the identity key to re-seal them")
    assert data is not None
    payload["identity"] = vault.seal({})
    return replace(message, value=json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


def people_withheld(withheld: Mapping[str, Mapping[str, str]]) -> int:
    return sum(len(refs) for refs in withheld.values())


def _object(value: bytes, vault: IdentityVault | None) -> dict[str, Any] | None:
    try:
        opened = open_value(value, vault) if vault is not None else value
        data = json_text.loads(opened)
    except Exception:
        return None
    return data if isinstance(data, dict) else None


def _payload(value: bytes) -> dict[str, Any] | None:
    data = _object(value, None)
    payload = data.get("payload") if data else None
    return payload if isinstance(payload, dict) else None
