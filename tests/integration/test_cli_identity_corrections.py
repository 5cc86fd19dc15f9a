"""`hrcase case correct-identity` on both layouts; the export carries the corrected identity, still withholds a
person who withdrew, and a restore from it opens the corrected identity (ADR 20)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.casework.adapters import repository as repo
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.reporting.handover import restore
from services.vault import DEV_KEY_FILE
from tests.integration.test_cli_consent import AMINATA, CONSENT, MOUSSA, REPORTED, exported, hrcase, layout, ok
from tests.leak_scan import revealed

__all__ = ["layout"]  # the fixture, shared with the consent tests: one case at concluded, victim p1, witness p2
MOUSSA_NOW = ("Moussa Dialo", "Mousa Diallo", "+223 76 99 99 99")  # p2's names and contact as corrected


def test_a_correction_is_shown_by_its_fields_in_the_history_never_its_values(layout: str) -> None:
    said = ok("case", "correct-identity", layout, "p2", "--as", "awa", "--reason", "spelling from his ID card",
              "--name", MOUSSA_NOW[0], "--name", MOUSSA_NOW[1], "--contact", MOUSSA_NOW[2])
    assert said.strip() == f"{layout} person p2: corrected names, contact"
    history = ok("case", "history", layout)
    assert ("identity of person p2 corrected (fields: names, contact), reason: spelling from his ID card"
            in history)
    assert revealed(history, (*MOUSSA, *MOUSSA_NOW)) == set()
    shown = ok("case", "show", layout)
    assert revealed(shown, (*MOUSSA, *MOUSSA_NOW)) == set()


def test_a_bad_value_or_another_officer_is_refused_naming_the_field(layout: str) -> None:
    bad = hrcase("case", "correct-identity", layout, "p1", "--as", "awa", "--reason", "r", "--date-of-birth", "1990")
    assert bad.exit_code != 0 and "date_of_birth: Not a valid date." in bad.output
    nothing = hrcase("case", "correct-identity", layout, "p1", "--as", "awa", "--reason", "r")
    assert nothing.exit_code != 0 and "give at least one of names, date_of_birth, contact" in nothing.output
    other = hrcase("case", "correct-identity", layout, "p1", "--as", "bakary", "--reason", "r", "--name", "X")
    assert other.exit_code != 0 and "only the assigned officer (awa)" in other.output


def test_the_export_carries_the_corrected_identity_still_withholds_a_withdrawn_person_and_restores(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [n for n in os.environ if n.startswith("HRCASE_") and not n.startswith("HRCASE_TEST_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HRCASE_DATA_DIR", str(tmp_path / "data"))
    ok("db", "upgrade")
    ok("users", "add", "awa", "--role", "hro", "--office", "Mopti")
    consent = {**CONSENT, "obtained_at": CONSENT["obtained_at"].isoformat()}
    record = {"sitrep_id": "SR-9", "incident_number": 1, "reported_at": REPORTED.isoformat(),
              "occurred_at": (REPORTED - timedelta(days=1)).isoformat(), "office": "Mopti", "location": "Sevare",
              "perpetrator_category": "armed_group", "source_type": "direct_witness", "summary": "a woman killed",
              "assignee": "awa",
              "people": [{"ref": "p1", "role": "victim", "consent": consent}, {"ref": "p2", "role": "witness"}],
              "acts": [{"violation_type": "killing", "victims": ["p1"], "perpetrator_category": "armed_group"}],
              "identities": {"people": {
                  "p1": {"names": list(AMINATA[:2]), "date_of_birth": AMINATA[2], "contact": AMINATA[3]},
                  "p2": {"names": [MOUSSA[0]], "contact": MOUSSA[1]}}}}
    (tmp_path / "sr.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    ok("sitrep", "load", str(tmp_path / "sr.jsonl"))
    runtime = EmbeddedRuntime(Settings.from_env(data_dir=os.environ["HRCASE_DATA_DIR"]))
    runtime.run_until_idle(datetime.now(UTC))
    ref = ok("case", "list").split()[0]
    ok("case", "correct-identity", ref, "p2", "--as", "awa", "--reason", "spelling from his ID card",
       "--name", MOUSSA_NOW[0], "--name", MOUSSA_NOW[1], "--contact", MOUSSA_NOW[2])
    ok("case", "correct-identity", ref, "p1", "--as", "awa", "--reason", "she gave her full name",
       "--name", "Aminata Traoré Sidibé")
    ok("case", "consent", ref, "p1", "--as", "awa", "--withdraw", "all")
    assert "1 people withheld" in ok("export", str(tmp_path / "out"))
    lines = [json.loads(line) for line in (tmp_path / "out" / "events.jsonl").read_text().splitlines()]
    corrections = [runtime.vault.open(json.loads(r["value"])["payload"]["identity"])
                   for r in lines if r["headers"].get("type") == "IdentityCorrected"]
    assert len(corrections) == 2 and {} in corrections  # p1's, withheld, carries nothing
    opened = exported(runtime, tmp_path / "out") + json.dumps(corrections, ensure_ascii=False).encode()
    assert revealed(opened, MOUSSA_NOW) == set(MOUSSA_NOW)
    assert revealed(opened, MOUSSA) == set()  # the old spelling and contact are gone from the export
    assert revealed(opened, (*AMINATA, "Aminata Traoré Sidibé")) == set()  # withdrawn: neither old nor corrected
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(tmp_path / "data" / DEV_KEY_FILE, target / DEV_KEY_FILE)
    restored = EmbeddedRuntime(Settings(data_dir=target))
    restore(restored, tmp_path / "out")
    stored = restored.casework.read(lambda conn: repo.load_identities(conn, repo.get_case(conn, ref).case_id))
    assert restored.vault.open(stored)["people"] == {
        "p2": {"names": list(MOUSSA_NOW[:2]), "date_of_birth": None, "contact": MOUSSA_NOW[2]}}
