"""`hrcase people reindex` on the embedded layout: a case loaded from a sitrep with its people is indexed, and the
index rebuilt from the sealed identities after it was emptied (an upgrade, a key rotation)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from services.casework.adapters.tables import person_index
from services.cli import cli
from services.config import Settings
from services.embedded import EmbeddedRuntime

LINE = {"sitrep_id": "SR-P", "incident_number": 1, "reported_at": "2026-03-03T08:00:00+00:00",
        "occurred_at": "2026-03-02T08:00:00+00:00", "office": "Mopti", "location": "Sévaré",
        "violation_types": ["abduction"], "perpetrator_category": "armed_group", "victims": {"female_adult": 1},
        "source_type": "media", "summary": "a woman abducted",
        "people": [{"ref": "p1", "role": "victim", "sex": "female", "age_group": "adult"}],
        "identities": {"people": {"p1": {"names": ["Aminata Traoré", "Aminata Traore"],
                                         "date_of_birth": "1990-05-01"}}}}


def test_reindex_rebuilds_the_index_from_the_sealed_identities(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    for name in [n for n in os.environ if n.startswith("HRCASE_") and not n.startswith("HRCASE_TEST_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HRCASE_DATA_DIR", str(tmp_path / "data"))
    sitrep = tmp_path / "sr.jsonl"
    sitrep.write_text(json.dumps(LINE) + "\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["sitrep", "load", str(sitrep)]).exit_code == 0
    runtime = EmbeddedRuntime(Settings.from_env())
    runtime.run_until_idle(datetime(2026, 3, 4, tzinfo=UTC))
    engine = runtime.casework.engine
    with engine.connect() as conn:
        indexed = sorted(tuple(r) for r in conn.execute(select(person_index)))
    assert [(kind, person) for _, person, _, kind in indexed].count(("token", "p1")) == 2  # aminata, traore
    assert [kind for *_, kind in indexed].count("name_year") == 1  # both spellings normalise alike
    with engine.begin() as conn:
        conn.execute(delete(person_index))

    result = runner.invoke(cli, ["people", "reindex"])
    assert result.exit_code == 0, result.output
    assert result.output == "1 case(s) reindexed: 3 digest(s) of names, no name in the clear\n"
    with engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(select(person_index))) == indexed
        assert "aminata" not in str(conn.execute(select(person_index)).all()).casefold()
