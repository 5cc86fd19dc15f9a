"""Intake and sealed identities on real SQLite files: repeats seen through the ciphertext, nothing kept in the clear."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import insert

from schemas.topics import SITREP_INCIDENTS
from services.config import DEFAULT_OFFICES
from services.intake import handlers
from services.intake.adapters.tables import accepted_incidents
from services.intake.domain.dedup import facts_of
from services.intake.domain.incident import content_hash_in_clear
from services.messaging.ports import Outgoing
from services.sealing import open_value, seal_outgoing
from services.vault import IdentityVault
from sitreps.key import incident_key
from sitreps.validation import validate
from tests.factories import incident
from tests.integration.test_intake_pipeline import Pipeline

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
VICTIM, WITNESS, SOURCE = "Kadidiatou Sangaré-Bathily", "Issiaka Ouologuem-Tapily", "Djénéba Coulibaly-Ongoïba"
NAMES = (VICTIM, WITNESS, SOURCE, "+223 7612 3456")
PEOPLE = {"victims": [{"name": VICTIM, "contact": "+223 7612 3456"}], "witnesses": [{"name": WITNESS}],
          "sources": [{"name": SOURCE}]}


def sitrep_record(number: int = 1, **changes: Any) -> Outgoing:
    data = incident("SR-MOP-2026-W47", number, datetime(2026, 11, 19, 16, tzinfo=UTC), "Mopti",
                    identities=PEOPLE) | changes
    value = json.dumps(data, ensure_ascii=False).encode()
    return Outgoing(SITREP_INCIDENTS, incident_key("SR-MOP-2026-W47", number), value,
                    {"file": "w47.jsonl", "line": str(number)})


def revealed(*blobs: bytes) -> list[str]:
    """Names found in the bytes, as written or as JSON escapes them (é -> \\u00e9)."""
    return [n for n in NAMES for b in blobs if n.encode() in b or json.dumps(n)[1:-1].encode() in b]


def intake_files(folder: Path) -> bytes:
    """Every byte of intake's database, its write-ahead log included."""
    return b"".join(p.read_bytes() for p in sorted(folder.glob("intake.sqlite*")))


def originals(pipeline: Pipeline) -> list[bytes]:
    return [base64.b64decode(r["payload"]["original"]) for r in pipeline.rejected()]


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    return Pipeline(tmp_path)


def test_the_same_incident_sealed_twice_with_different_ciphertexts_is_one_incident(pipeline: Pipeline) -> None:
    first, second = seal_outgoing([sitrep_record(), sitrep_record()], pipeline.vault)
    assert first.value != second.value
    pipeline.log.publish([first])
    pipeline.run(NOW)
    pipeline.log.publish([second, sitrep_record()])  # sealed again, then as an outside producer sends it
    pipeline.run(NOW)
    assert [e["key"] for e in pipeline.accepted()] == ["SR-MOP-2026-W47#1"]
    assert pipeline.rejected() == []


def test_other_identities_under_the_same_key_are_a_conflict_not_a_repeat(pipeline: Pipeline) -> None:
    other = {**PEOPLE, "witnesses": [{"name": "Someone Else"}]}
    pipeline.log.publish(seal_outgoing([sitrep_record(), sitrep_record(identities=other)], pipeline.vault))
    pipeline.run(NOW)
    [conflict] = pipeline.rejected()
    assert conflict["payload"]["reason"].startswith("incident_key: conflicts with incident already accepted")


def test_a_record_in_the_clear_is_sealed_before_anything_is_stored_or_emitted(pipeline: Pipeline,
                                                                             tmp_path: Path) -> None:
    pipeline.log.publish([sitrep_record()])  # an outside producer writing to sitrep-incidents
    pipeline.run(NOW)
    [accepted] = pipeline.accepted()
    sealed = accepted["payload"]["identities"]
    assert sealed.startswith("fernet:") and pipeline.vault.open(sealed) == PEOPLE
    outputs = b"".join(m.value for m in pipeline.log.read_topic("incidents"))
    pipeline.engine.dispose()
    assert revealed(outputs) == []
    assert revealed(intake_files(tmp_path)) == []  # the outside producer's record is only in its own input


def test_an_invalid_record_is_dead_lettered_with_its_identities_sealed_and_once_whatever_its_ciphertext(
        pipeline: Pipeline, tmp_path: Path) -> None:
    bad = sitrep_record(office="Atlantis")
    pipeline.log.publish([bad])
    pipeline.run(NOW)
    pipeline.log.publish(seal_outgoing([bad, bad], pipeline.vault))  # the same record, sealed twice
    pipeline.run(NOW)
    [rejection] = pipeline.rejected()
    assert rejection["payload"]["reason"].startswith("office: unknown office 'Atlantis'")
    [original] = originals(pipeline)
    assert revealed(original) == []
    kept = json.loads(original)
    assert {k: v for k, v in kept.items() if k != "identities"} == {
        k: v for k, v in json.loads(bad.value).items() if k != "identities"}  # all else as it came
    assert pipeline.vault.open(kept["identities"]) == PEOPLE
    assert pipeline.intake.rejected_count() == 1
    pipeline.engine.dispose()
    assert revealed(intake_files(tmp_path)) == []


def test_a_damaged_line_naming_someone_is_dead_lettered_sealed_whole(pipeline: Pipeline, tmp_path: Path) -> None:
    damaged = f'{{"sitrep_id": "SR-MOP-2026-W47", "identities": {{"victims": [{{"name": "{VICTIM}"'.encode()
    path = tmp_path / "w47.jsonl"
    path.write_bytes(damaged + b"\n")
    pipeline.publish([path], sealed=True)
    pipeline.publish([path])
    pipeline.run(NOW)
    [rejection] = pipeline.rejected()
    assert rejection["payload"]["reason"].startswith("not JSON")
    [original] = originals(pipeline)
    assert revealed(original) == [] and open_value(original, pipeline.vault) == damaged
    assert revealed(b"".join(m.value for m in pipeline.log.read_topic("intake-rejected"))) == []


def test_identities_sealed_with_a_key_intake_does_not_hold_are_refused_and_kept_as_they_came(
        pipeline: Pipeline) -> None:
    [foreign] = seal_outgoing([sitrep_record()], IdentityVault.generate())
    pipeline.log.publish([foreign])
    pipeline.run(NOW)
    [rejection] = pipeline.rejected()
    assert rejection["payload"]["fields_in_error"] == {
        "identities": ["sealed with a key this installation does not hold (or altered): ask for the record again"]}
    assert originals(pipeline) == [foreign.value]


def test_an_incident_accepted_under_a_key_since_rotated_or_before_identities_were_sealed_repeats_as_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    pipeline = Pipeline(tmp_path)
    pipeline.intake.processor.handler.vault = IdentityVault(old)  # type: ignore[attr-defined]
    pipeline.log.publish([sitrep_record(1)])
    pipeline.run(NOW)
    # Incident 2 was accepted by a version before ADR 10: its content hash has the identities in the clear.
    record = validate(json.loads(sitrep_record(2).value), NOW, DEFAULT_OFFICES)
    row = facts_of(record, "unused")
    with pipeline.engine.begin() as conn:
        conn.execute(insert(accepted_incidents), {
            "incident_key": row.incident_key, "content_hash": content_hash_in_clear(record),
            "sitrep_id": row.sitrep_id, "incident_number": 2, "office": "Mopti", "occurred_on": row.occurred_on,
            "location": row.location, "violation_types": ";".join(sorted(row.violation_types)),
            "reported_at": record["reported_at"], "accepted_at": NOW})
    rotated = IdentityVault(f"{new},{old}")
    pipeline.intake.processor.handler.vault = rotated  # type: ignore[attr-defined]
    pipeline.log.publish(seal_outgoing([sitrep_record(1), sitrep_record(2)], rotated))
    pipeline.run(NOW)
    assert [e["key"] for e in pipeline.accepted()] == ["SR-MOP-2026-W47#1"]
    assert pipeline.rejected() == []
    pipeline.log.publish(seal_outgoing([sitrep_record(2, summary="Changed.")], rotated))
    pipeline.run(NOW)
    assert [r["payload"]["incident_key"] for r in pipeline.rejected()] == ["SR-MOP-2026-W47#2"]


def test_a_record_that_breaks_intake_is_dead_lettered_by_the_processor_with_its_identities_sealed(
        pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(handlers, "facts_of", broken)
    pipeline.log.publish([sitrep_record()])  # in the clear: the processor, not intake, writes this dead letter
    pipeline.run(NOW)
    [rejection] = pipeline.rejected()
    assert rejection["payload"]["reason"] == "unexpected error: RuntimeError"
    [original] = originals(pipeline)
    assert revealed(original) == [] and pipeline.vault.open(json.loads(original)["identities"]) == PEOPLE
