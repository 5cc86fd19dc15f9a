"""Intake end to end on real SQLite files: example reports through the embedded log, the processor and the outbox."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas import encode, new_envelope
from schemas.topics import INCIDENTS, INTAKE_REJECTED, SITREP_INCIDENTS
from services.intake.bootstrap import build, migrate
from services.messaging.embedded import EmbeddedLog
from services.messaging.ports import Message, Outgoing
from services.messaging.sqlite import sqlite_engine
from services.sealing import open_value, seal_outgoing, sitrep_outgoing
from services.vault import IdentityVault
from sitreps.files import read_sitrep
from tests.leak_scan import identities_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sitreps"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ACCEPTED = {
    "SR-MOP-2026-W44#1", "SR-MOP-2026-W44#2", "SR-MOP-2026-W44#3", "SR-GAO-2026-W44#1", "SR-GAO-2026-W44#2",
    "SR-TBK-2026-W45#1", "SR-TBK-2026-W45#2", "SR-TBK-2026-W45#3", "SR-MOP-2026-W45#1", "SR-MOP-2026-W45#2",
    "SR-BKO-2026-W46#1", "SR-BKO-2026-W46#2", "SR-GAO-2026-W46#1", "SR-GAO-2026-W46#2",
}


class Pipeline:
    """The embedded runtime in miniature: a log, intake on its own database, one consumer group."""

    def __init__(self, tmp_path: Path):
        self.log = EmbeddedLog(sqlite_engine(tmp_path / "log.sqlite"))
        self.engine = sqlite_engine(tmp_path / "intake.sqlite")
        migrate(self.engine)
        self.vault = IdentityVault.generate()
        self.intake = build(self.engine, vault=self.vault)
        self.subscriber = self.log.subscriber("intake", self.intake.processor.topics)

    def publish(self, paths: Iterable[Path], sealed: bool = False) -> None:
        """As an outside producer would, identities in the clear; or `sealed` at the edge, as hrcase's tools do."""
        for path in paths:
            records = [sitrep_outgoing(r) for r in read_sitrep(path)]
            self.log.publish(seal_outgoing(records, self.vault) if sealed else records)

    def run(self, now: datetime = NOW, batch: int = 5) -> None:
        while messages := self.subscriber.poll(batch):
            self.process(messages, now)
            self.subscriber.commit(messages)

    def process(self, messages: list[Message], now: datetime = NOW) -> None:
        self.intake.processor.process(messages, now)
        self.intake.mailboxes.relay(self.engine, self.log)

    def accepted(self) -> list[dict[str, Any]]:
        return [json.loads(m.value) for m in self.log.read_topic(INCIDENTS)]

    def rejected(self) -> list[dict[str, Any]]:
        return [json.loads(m.value) for m in self.log.read_topic(INTAKE_REJECTED)]


def example_files() -> list[Path]:
    # File-name order is week order: the order a demo or an office would send them in.
    return sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".jsonl", ".csv"))


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    return Pipeline(tmp_path)


@pytest.fixture(params=["in the clear", "sealed at the edge"])
def processed(pipeline: Pipeline, request: pytest.FixtureRequest) -> Pipeline:
    pipeline.publish(example_files(), sealed=request.param != "in the clear")
    pipeline.run()
    return pipeline


def test_the_example_reports_give_fourteen_accepted_incidents_and_one_rejection(processed: Pipeline):
    accepted = processed.accepted()
    assert len(processed.log.read_topic(SITREP_INCIDENTS)) == 16
    assert [e["key"] for e in accepted] == [e["payload"]["incident_key"] for e in accepted]
    assert sorted(e["key"] for e in accepted) == sorted(ACCEPTED)
    [rejection] = processed.rejected()
    assert processed.log.read_topic(INTAKE_REJECTED)[0].headers["reason_code"] == "invalid"
    assert rejection["type"] == "IncidentRejected"
    assert rejection["payload"]["incident_key"] == "SR-BKO-2026-W46#3"
    assert rejection["payload"]["reason"].startswith("occurred_at: occurred after it was reported")
    assert rejection["payload"]["source"]["file"] == "2026-W46-bamako.csv"
    assert rejection["payload"]["source"]["line"] == "4"


def test_the_read_queries_count_accepted_incidents_by_office(processed: Pipeline):
    assert processed.intake.accepted_by_office() == {"Bamako": 2, "Gao": 4, "Mopti": 5, "Timbuktu": 3}
    assert processed.intake.accepted_count() == 14
    assert processed.intake.rejected_count() == 1


def test_an_incident_repeated_in_a_later_report_is_accepted_once(processed: Pipeline):
    copies = [m for m in processed.log.read_topic(SITREP_INCIDENTS) if m.key == "SR-MOP-2026-W44#2"]
    assert [m.headers["file"] for m in copies] == ["2026-W44-mopti.jsonl", "2026-W45-mopti.jsonl"]
    assert [e["key"] for e in processed.accepted()].count("SR-MOP-2026-W44#2") == 1


def test_a_likely_duplicate_from_another_report_carries_the_earlier_incident_key(processed: Pipeline):
    flagged = {e["key"]: e["payload"]["possible_duplicates"] for e in processed.accepted()
               if e["payload"]["possible_duplicates"]}
    assert flagged == {"SR-TBK-2026-W45#2": ["SR-MOP-2026-W44#3"]}


def test_accepted_events_are_enveloped_with_an_id_that_follows_from_the_incident_key(processed: Pipeline):
    event = next(e for e in processed.accepted() if e["key"] == "SR-GAO-2026-W44#2")
    assert event["event_id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, "hrcase:incident-accepted:SR-GAO-2026-W44#2"))
    assert (event["type"], event["producer"]) == ("IncidentAccepted", "intake")
    assert event["occurred_at"] == event["payload"]["reported_at"] == "2026-10-30T16:00:00+00:00"
    assert event["payload"]["victims"]["unknown"] == 40


def test_processing_the_same_reports_again_emits_nothing_new(processed: Pipeline):
    before = (processed.accepted(), processed.rejected())
    processed.publish(example_files())  # in the clear, then sealed again (other ciphertexts): the same records
    processed.publish(example_files(), sealed=True)
    processed.run()
    assert (processed.accepted(), processed.rejected()) == before
    assert processed.intake.rejected_count() == 1


def test_redelivering_the_same_batch_emits_nothing_twice(pipeline: Pipeline):
    pipeline.publish(example_files())
    messages = pipeline.subscriber.poll(100)
    pipeline.process(messages)
    pipeline.process(messages)  # as after a crash between processing and committing the offsets
    assert len(pipeline.accepted()) == 14
    assert len(pipeline.rejected()) == 1


def test_a_line_that_is_not_json_is_dead_lettered_with_its_original_bytes_and_reason(pipeline: Pipeline,
                                                                                      tmp_path: Path):
    bad = b'{"sitrep_id": "SR-MOP-2026-W47", "incident_number": 1, oops'
    path = tmp_path / "2026-W47-mopti.jsonl"
    path.write_bytes(b"\n" + bad + b"\n")
    pipeline.publish([path])
    pipeline.run()
    [rejection] = pipeline.rejected()
    payload = rejection["payload"]
    # Bytes that are not a JSON object may hold names anywhere: kept sealed whole (ADR 10).
    assert base64.b64decode(payload["original"]).startswith(b"fernet:")
    assert open_value(base64.b64decode(payload["original"]), pipeline.vault) == bad
    assert payload["reason"].startswith("not JSON: ")
    assert payload["incident_key"] is None
    assert rejection["key"] == "2026-W47-mopti.jsonl:2"
    assert {k: payload["source"][k] for k in ("file", "line", "format")} == {
        "file": "2026-W47-mopti.jsonl", "line": "2", "format": "jsonl"}
    assert pipeline.accepted() == []


def test_a_changed_version_under_an_accepted_key_is_dead_lettered_and_the_first_is_kept(processed: Pipeline,
                                                                                      tmp_path: Path):
    original = (EXAMPLES / "2026-W44-mopti.jsonl").read_bytes().splitlines()[0]
    changed = json.loads(original) | {"summary": "Three men were detained; one was released the next day."}
    path = tmp_path / "2026-W44-mopti-corrected.jsonl"
    path.write_text(json.dumps(changed) + "\n")
    processed.publish([path])
    processed.run()
    [record] = [m for m in processed.log.read_topic(INTAKE_REJECTED) if m.key == "SR-MOP-2026-W44#1"]
    assert record.headers["reason_code"] == "conflict"
    conflict = processed.rejected()[-1]["payload"]
    assert conflict["incident_key"] == "SR-MOP-2026-W44#1"
    assert conflict["reason"] == (
        "incident_key: conflicts with incident already accepted under this key; the first version is kept"
    )
    [kept] = [e for e in processed.accepted() if e["key"] == "SR-MOP-2026-W44#1"]
    assert kept["payload"]["summary"] == json.loads(original)["summary"]


def test_an_incident_inside_an_envelope_is_unwrapped_and_accepted(pipeline: Pipeline):
    record = json.loads((EXAMPLES / "2026-W46-gao.jsonl").read_bytes().splitlines()[0])
    envelope = new_envelope("IncidentReported", 1, occurred_at=NOW, key="SR-GAO-2026-W46#1", producer="api",
                            payload=record, event_id="e-1")
    pipeline.log.publish([Outgoing(SITREP_INCIDENTS, "SR-GAO-2026-W46#1", encode(envelope), {"event_id": "e-1"})])
    pipeline.run()
    assert [e["key"] for e in pipeline.accepted()] == ["SR-GAO-2026-W46#1"]


def test_an_envelope_of_another_event_type_is_rejected_naming_the_type(pipeline: Pipeline):
    envelope = new_envelope("CaseRecorded", 1, occurred_at=NOW, key="c-1", producer="api", payload={})
    pipeline.log.publish([Outgoing(SITREP_INCIDENTS, "c-1", encode(envelope))])
    pipeline.run()
    [rejection] = pipeline.rejected()
    assert rejection["payload"]["reason"] == \
        "type: expected IncidentReported version 1 or 2, got 'CaseRecorded' version 1"


def test_a_report_rejected_for_being_early_is_accepted_when_replayed_after_its_time(pipeline: Pipeline):
    pipeline.publish([EXAMPLES / "2026-W46-gao.jsonl"])
    pipeline.run(now=datetime(2026, 11, 12, tzinfo=UTC))
    assert len(pipeline.rejected()) == 2
    pipeline.publish([EXAMPLES / "2026-W46-gao.jsonl"])
    pipeline.run()
    assert sorted(e["key"] for e in pipeline.accepted()) == ["SR-GAO-2026-W46#1", "SR-GAO-2026-W46#2"]


def test_identities_never_reach_the_logs_or_the_rejection_reasons(pipeline: Pipeline,
                                                                   caplog: pytest.LogCaptureFixture):
    names = identity_names(example_files())
    assert len(names) > 20
    with caplog.at_level(logging.DEBUG):
        pipeline.publish(example_files())
        pipeline.run()
    said = caplog.text + json.dumps([e["payload"]["reason"] for e in pipeline.rejected()], ensure_ascii=False)
    assert "SR-MOP-2026-W44#1" in caplog.text
    assert [n for n in names if n in said] == []


def identity_names(paths: Iterable[Path]) -> set[str]:
    names: set[str] = set()
    for path in paths:
        for record in read_sitrep(path):
            names.update(identities_of(json.loads(record.value)))
    return names
