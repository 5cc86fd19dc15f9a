"""`hrcase vocabulary` and `hrcase units` on both layouts: an admin adds a term and intake accepts it; units are kept
in casework's database, embedded or PostgreSQL, and refused with the field named."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from reference.vocabularies import dump, shipped
from schemas import vocabulary
from services.cli import cli
from services.config import Settings
from services.embedded import EmbeddedRuntime
from tests.system.kafka_cluster import fresh_database

LINE = {"sitrep_id": "SR-V", "incident_number": 1, "reported_at": "2026-03-03T08:00:00+00:00",
        "occurred_at": "2026-03-02T08:00:00+00:00", "office": "Mopti", "location": "Sévaré",
        "violation_types": ["denial_of_humanitarian_access"], "perpetrator_category": "armed_group",
        "victims": {"unknown": 1}, "source_type": "media", "summary": "a convoy turned back"}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    for name in [n for n in os.environ if n.startswith("HRCASE_") and not n.startswith("HRCASE_TEST_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HRCASE_DATA_DIR", str(tmp_path / "data"))
    yield monkeypatch
    vocabulary.use(shipped)


@pytest.fixture(params=["embedded", pytest.param("postgresql", marks=pytest.mark.postgres)])
def layout(request: pytest.FixtureRequest, env: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "embedded":
        yield "embedded"
        return
    with fresh_database(request.getfixturevalue("postgres_url")) as url:
        env.setenv("HRCASE_ENV", "production")
        env.setenv("HRCASE_IDENTITY_KEY", Fernet.generate_key().decode())
        env.setenv("HRCASE_DATABASE_URL", url)
        ok("db", "upgrade")
        yield "postgresql"


def hrcase(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def ok(*args: str) -> str:
    result = hrcase(*args)
    assert result.exit_code == 0, result.output
    return result.output


def refused(*args: str) -> str:
    result = hrcase(*args)
    assert result.exit_code != 0, result.output
    return result.output


def test_vocabulary_list_shows_codes_huridocs_codes_and_both_labels(env: pytest.MonkeyPatch) -> None:
    out = ok("vocabulary", "list", "violation_types")
    assert out.splitlines()[0] == "violation_types, version 1 (the shipped vocabularies)"
    assert "abduction                    030104000000 (exact)     Abduction / Enlèvement  [added in 1]" in out
    assert "attack_on_civilians          -" in out
    assert "Journalist or associated media personnel / Journaliste" in ok("vocabulary", "list",
                                                                          "occupation_categories")
    assert "'colours' is not one of 'violation_types'" in refused("vocabulary", "list", "colours")


def test_adding_a_term_needs_the_file_setting_and_names_it(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = refused("vocabulary", "add", "violation_types", "looting", "--en", "Looting", "--fr", "Pillage")
    assert "set HRCASE_VOCABULARIES" in out
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("layout", ["embedded", pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)
def test_an_added_violation_type_is_accepted_by_intake_and_a_retired_code_is_never_reused(
        layout: str, env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "etc" / "vocabularies.json"
    env.setenv("HRCASE_VOCABULARIES", str(path))
    assert "violation_types.denial_of_humanitarian_access: added in version 2" in ok(
        "vocabulary", "add", "violation_types", "denial_of_humanitarian_access", "--en", "Denial of humanitarian "
        "access", "--fr", "Refus d'accès humanitaire", "--huridocs", "020100000000", "--match", "related")
    assert "violation_types.other: retired in version 3" in ok("vocabulary", "retire", "violation_types", "other")
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 3
    listed = ok("vocabulary", "list", "violation_types")
    assert f"violation_types, version 3 ({path})" in listed
    assert "denial_of_humanitarian_access 020100000000 (related)" in listed and "[retired]" in listed
    assert "the code is taken (codes are never reused)" in refused(
        "vocabulary", "add", "violation_types", "other", "--en", "Other", "--fr", "Autre")
    assert "already retired" in refused("vocabulary", "retire", "violation_types", "other")
    assert "has no term 'nope'" in refused("vocabulary", "retire", "violation_types", "nope")
    assert "--fr" in refused("vocabulary", "add", "violation_types", "looting", "--en", "Looting")
    if layout == "embedded":  # the same file on the embedded runtime: the incident of the new type becomes a case
        sitrep = tmp_path / "sr.jsonl"
        sitrep.write_text(json.dumps(LINE) + "\n", encoding="utf-8")
        ok("sitrep", "load", str(sitrep))
        runtime = EmbeddedRuntime(Settings.from_env())
        runtime.run_until_idle(datetime(2026, 3, 4, tzinfo=UTC))
        assert "MOP-2026-0001" in ok("case", "list") and ok("rejected") == ""


def test_every_command_refuses_to_start_on_a_file_that_renumbers_a_term(env: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    data = dump(shipped())
    data["version"] = 2
    data["vocabularies"]["source_types"]["terms"] = data["vocabularies"]["source_types"]["terms"][1:]
    path = tmp_path / "vocabularies.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    env.setenv("HRCASE_VOCABULARIES", str(path))
    out = refused("users", "list")
    assert f"vocabulary file {path}: source_types.victim: a code cannot be removed; retire it" in out
    assert not (tmp_path / "data").exists()


def test_units_are_added_listed_and_retired_in_casework_s_database(layout: str) -> None:
    assert "no unit yet" in ok("units", "list")
    assert "fama-33rci: 33e RCP (state_armed_forces; receives UN support) added" in ok(
        "units", "add", "fama-33rci", "--name", "33e RCP", "--category", "state_armed_forces", "--un-supported")
    ok("units", "add", "katiba-macina", "--name", "Katiba Macina", "--category", "armed_group", "--not-un-supported")
    assert ok("units", "list").splitlines() == [
        "katiba-macina            armed_group            -                    Katiba Macina",
        "fama-33rci               state_armed_forces     UN-supported         33e RCP"]
    assert "katiba-macina: Katiba Macina retired" in ok("units", "retire", "katiba-macina")
    assert "katiba-macina" not in ok("units", "list")
    assert "UN-supported" in ok("units", "list", "--all") and "- retired" in ok("units", "list", "--all")
    assert "code: 'katiba-macina' is taken by 'Katiba Macina' (retired: codes are never reused)" in refused(
        "units", "add", "katiba-macina", "--name", "K", "--category", "armed_group", "--not-un-supported")
    assert "perpetrator_category: 'militia' is not one of" in refused(
        "units", "add", "x", "--name", "X", "--category", "militia", "--not-un-supported")
    assert "code: no unit 'nope'" in refused("units", "retire", "nope")
    assert "already retired" in refused("units", "retire", "katiba-macina")
