"""`hrcase case consent` on both layouts, and what a withdrawn consent stops: a handover, the export's identities."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from schemas.topics import INCIDENTS
from services.cli import cli
from services.cli.layout import open_installation
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.sealing import plain_form
from tests.leak_scan import revealed
from tests.system.kafka_cluster import fresh_database

REPORTED = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
AMINATA = ("Aminata Traoré", "Aminata Traore", "1990-04-02", "+223 70 11 22 33")  # p1, the victim who withdraws
MOUSSA = ("Moussa Diallo", "+223 76 44 55 66")  # p2, the witness who does not
CONSENT = {"recorded": True, "contact": True, "share_with": ["CNDH"], "referral": True, "obtained_by": "awa",
           "obtained_at": REPORTED - timedelta(hours=2)}


def hrcase(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def ok(*args: str) -> str:
    result = hrcase(*args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(params=["embedded", pytest.param("production", marks=pytest.mark.postgres)])
def layout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """An installation of either layout with one case at `concluded`, its victim p1 and witness p2 consenting to
    sharing with the CNDH."""
    for name in [n for n in os.environ if n.startswith("HRCASE_") and not n.startswith("HRCASE_TEST_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HRCASE_DATA_DIR", str(tmp_path / "data"))
    if request.param == "production":
        with fresh_database(request.getfixturevalue("postgres_url")) as url:
            monkeypatch.setenv("HRCASE_ENV", "production")
            monkeypatch.setenv("HRCASE_IDENTITY_KEY", Fernet.generate_key().decode())
            monkeypatch.setenv("HRCASE_DATABASE_URL", url)
            yield populated()
    else:
        yield populated()


def populated() -> str:
    ok("db", "upgrade")
    ok("users", "add", "awa", "--role", "hro", "--office", "Mopti")
    ok("users", "add", "bakary", "--role", "hro", "--office", "Mopti")
    installation = open_installation(Settings.from_env(data_dir=os.environ["HRCASE_DATA_DIR"]))
    people = [{"ref": "p1", "role": "victim", "sex": "female", "age_group": "adult", "consent": CONSENT},
              {"ref": "p2", "role": "witness", "sex": "male", "age_group": "adult", "consent": CONSENT}]
    identities = {"people": {"p1": {"names": list(AMINATA[:2]), "date_of_birth": AMINATA[2], "contact": AMINATA[3]},
                             "p2": {"names": [MOUSSA[0]], "contact": MOUSSA[1]}}}
    payload = {
        "incident_key": "SR-9#1", "sitrep_id": "SR-9", "incident_number": 1, "reported_at": REPORTED,
        "occurred_at": REPORTED - timedelta(days=1), "office": "Mopti", "location": "Sevare",
        "violation_types": ["killing"], "perpetrator_category": "armed_group", "victims": {"female_adult": 1},
        "source_type": "direct_witness", "summary": "a woman killed at the market", "assignee": "awa",
        "people": people, "acts": [{"violation_type": "killing", "victims": ["p1"],  # a unit casework does not know
                                    "perpetrator_category": "armed_group", "perpetrator_unit": "ghost-unit"}],
        "identities": installation.casework.vault.seal(identities),
    }
    out = emit(INCIDENTS, "IncidentAccepted", occurred_at=REPORTED, key="SR-9#1", producer="intake", payload=payload,
               event_id=str(uuid.uuid4()))
    installation.casework.processor.process(
        [Message(INCIDENTS, 0, 1, "SR-9#1", out.value, {"event_id": out.headers["event_id"]})], REPORTED)
    [line] = ok("case", "list").splitlines()
    ref = line.split()[0]
    ok("case", "record", ref, "--as", "awa", "--at", (REPORTED + timedelta(hours=1)).isoformat())
    for hours, stage in ((2, "investigation"), (3, "concluded")):
        when = (REPORTED + timedelta(hours=hours)).isoformat()
        ok("case", "advance", ref, "--as", "awa", "--stage", stage, "--at", when)
    return ref


def consent_of(ref: str, person: str) -> dict:
    shown = json.loads(ok("case", "show", ref))
    return next(p["consent"] for p in shown["people"] if p["ref"] == person)


def test_a_withdrawal_is_on_the_person_and_in_the_history_and_stops_a_later_handover(layout: str) -> None:
    said = ok("case", "follow-up", layout, "--as", "awa", "--kind", "handover_national_authorities",
              "--partner", "CNDH")
    assert "FollowUpRecorded" in said
    ok("case", "consent", layout, "p1", "--as", "awa", "--withdraw", "share_with", "--withdraw", "referral",
       "--note", "she fears reprisals")
    withdrawn = consent_of(layout, "p1")
    assert withdrawn["share_with"] == [] and withdrawn["referral"] is False and withdrawn["withdrawn_at"]
    assert withdrawn["recorded"] is True and consent_of(layout, "p2")["share_with"] == ["CNDH"]
    assert "ConsentWithdrawn" in ok("case", "history", layout)
    refused = hrcase("case", "follow-up", layout, "--as", "awa", "--kind", "handover_national_authorities",
                     "--partner", "CNDH")
    assert refused.exit_code != 0
    assert "p1 (victim) has not consented to sharing with CNDH (withdrawn)" in refused.output
    assert "p2" not in refused.output
    referral = hrcase("case", "follow-up", layout, "--as", "awa", "--kind", "referral_to_services")
    assert referral.exit_code != 0 and "p1 (victim) has not consented to referral" in referral.output
    unnamed = hrcase("case", "follow-up", layout, "--as", "awa", "--kind", "handover_national_authorities")
    assert unnamed.exit_code != 0 and "partner" in unnamed.output
    # Consent obtained again: the handover goes ahead.
    ok("case", "consent", layout, "p1", "--as", "awa", "--recorded", "--partner", "CNDH", "--referral")
    assert consent_of(layout, "p1")["withdrawn_at"] is None
    assert "FollowUpRecorded" in ok("case", "follow-up", layout, "--as", "awa", "--kind",
                                    "handover_national_authorities", "--partner", "cndh")


def test_an_act_naming_an_unknown_unit_registers_its_case_flagged(layout: str) -> None:
    shown = json.loads(ok("case", "show", layout))
    assert shown["acts"][0]["perpetrator_unit"] == "ghost-unit"
    assert shown["perpetrator_unit_unknown"] == [
        "acts.0.perpetrator_unit: 'ghost-unit' is not a unit on the admin's list (`GET /units`)"]


def test_consent_of_someone_not_on_the_case_or_by_another_officer_is_refused(layout: str) -> None:
    unknown = hrcase("case", "consent", layout, "p9", "--as", "awa", "--withdraw", "all")
    assert unknown.exit_code != 0 and "person: case" in unknown.output and "p9" in unknown.output
    other = hrcase("case", "consent", layout, "p1", "--as", "bakary", "--withdraw", "all")
    assert other.exit_code != 0 and "only the assigned officer (awa)" in other.output


def test_the_export_after_a_withdrawal_holds_no_identifying_field_of_that_person(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [n for n in os.environ if n.startswith("HRCASE_") and not n.startswith("HRCASE_TEST_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HRCASE_DATA_DIR", str(tmp_path / "data"))
    ok("db", "upgrade")
    ok("users", "add", "awa", "--role", "hro", "--office", "Mopti")
    people = [{"ref": "p1", "role": "victim", "sex": "female", "age_group": "adult",
               "consent": {**CONSENT, "obtained_at": CONSENT["obtained_at"].isoformat()}},
              {"ref": "p2", "role": "witness", "sex": "male", "age_group": "adult"}]
    record = {"sitrep_id": "SR-9", "incident_number": 1, "reported_at": REPORTED.isoformat(),
              "occurred_at": (REPORTED - timedelta(days=1)).isoformat(), "office": "Mopti", "location": "Sevare",
              "perpetrator_category": "armed_group", "source_type": "direct_witness", "summary": "a woman killed",
              "assignee": "awa", "people": people,
              "acts": [{"violation_type": "killing", "victims": ["p1"], "perpetrator_category": "armed_group"}],
              "identities": {"people": {
                  "p1": {"names": list(AMINATA[:2]), "date_of_birth": AMINATA[2], "contact": AMINATA[3]},
                  "p2": {"names": [MOUSSA[0]], "contact": MOUSSA[1]}}}}
    (tmp_path / "sr.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    ok("sitrep", "load", str(tmp_path / "sr.jsonl"))
    runtime = EmbeddedRuntime(Settings.from_env(data_dir=os.environ["HRCASE_DATA_DIR"]))
    runtime.run_until_idle(datetime.now(UTC))
    ref = ok("case", "list").split()[0]
    before = exported(runtime, tmp_path / "before")
    assert revealed(before, AMINATA) == set(AMINATA) and revealed(before, MOUSSA) == set(MOUSSA)
    ok("case", "consent", ref, "p1", "--as", "awa", "--withdraw", "all")
    said = ok("export", str(tmp_path / "out"))
    assert "1 people withheld" in said
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["people_withheld"] == 1
    after = exported(runtime, tmp_path / "out")
    assert revealed(after, AMINATA) == set()
    assert revealed(after, MOUSSA) == set(MOUSSA)  # the others' identities are kept, sealed
    marked = {p["ref"]: bool((p.get("consent") or {}).get("withdrawn_at"))
              for line in (tmp_path / "out" / "events.jsonl").read_text().splitlines()
              if json.loads(line)["headers"].get("type") == "IncidentAccepted"
              for p in json.loads(json.loads(line)["value"])["payload"]["people"]}
    assert marked == {"p1": True, "p2": False}


def exported(runtime: EmbeddedRuntime, folder: Path) -> bytes:
    """Every byte of an export's files, and every record with its identities opened (sealed, they hide names)."""
    if not folder.exists():
        ok("export", str(folder))
    files = b"".join(p.read_bytes() for p in sorted(folder.iterdir()))
    opened = [plain_form(json.loads(line)["value"].encode(), runtime.vault) or b""
              for line in (folder / "events.jsonl").read_bytes().splitlines()]
    return files + b"\n".join(opened)
