"""`hrcase case amend` and `hrcase case log --at` on both layouts: the embedded files and production's PostgreSQL."""

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
from services.messaging.ports import Message
from services.messaging.processing import emit
from tests.system.kafka_cluster import fresh_database

REPORTED = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def hrcase(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def ok(*args: str) -> str:
    result = hrcase(*args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(params=["embedded", pytest.param("production", marks=pytest.mark.postgres)])
def layout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """An installation of either layout with users and one case at the preliminary stage, recorded two days ago."""
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
    payload = {
        "incident_key": "SR-9#1", "sitrep_id": "SR-9", "incident_number": 1, "reported_at": REPORTED,
        "occurred_at": REPORTED - timedelta(days=1), "office": "Mopti", "location": "Sevare",
        "violation_types": ["killing"], "perpetrator_category": "armed_group", "victims": {"male_adult": 1},
        "source_type": "direct_witness", "summary": "a man killed at the market", "assignee": "awa",
        "identities": installation.casework.vault.seal({}),
    }
    out = emit(INCIDENTS, "IncidentAccepted", occurred_at=REPORTED, key="SR-9#1", producer="intake", payload=payload,
               event_id=str(uuid.uuid4()))
    installation.casework.processor.process(
        [Message(INCIDENTS, 0, 1, "SR-9#1", out.value, {"event_id": out.headers["event_id"]})], REPORTED)
    [line] = ok("case", "list").splitlines()
    ref = line.split()[0]
    ok("case", "record", ref, "--as", "awa", "--at", (REPORTED + timedelta(days=1)).isoformat())
    return ref


def test_an_officer_amends_the_incident_and_the_history_shows_each_field_old_and_new(layout: str) -> None:
    said = ok("case", "amend", layout, "--as", "awa", "--location", "Mopti", "--violation-types", "killing,abduction",
              "--victims", "male_adult=1,female_child=2", "--reason", "the sitrep misspelt the town")
    assert f'{layout} location: "Sevare" -> "Mopti"' in said
    shown = json.loads(ok("case", "show", layout))
    assert (shown["location"], shown["violation_types"]) == ("Mopti", ["killing", "abduction"])
    assert (shown["victims"]["female_child"], shown["victims"]["male_adult"]) == (2, 1)
    last = ok("case", "history", layout).splitlines()[-1]
    assert "IncidentAmended" in last and "awa" in last
    assert 'the sitrep misspelt the town; location: "Sevare" -> "Mopti"' in last
    assert 'violation_types: ["killing"] -> ["killing", "abduction"]' in last


def test_the_report_time_an_unassigned_officer_and_a_no_op_are_refused_with_their_reasons(layout: str) -> None:
    for args, reason in (
            (("--set", f'reported_at="{REPORTED.isoformat()}"', "--as", "awa"), "anchors the recording clock"),
            (("--location", "Mopti", "--as", "bakary"), "only the assigned officer (awa)"),
            (("--location", "Sevare", "--as", "awa"), "changes nothing"),
            (("--violation-types", "teleportation", "--as", "awa"), "violation_types"),
    ):
        result = hrcase("case", "amend", layout, *args, "--reason", "a try")
        assert result.exit_code == 1 and "refused:" in result.output and reason in result.output, result.output
    assert "IncidentAmended" not in ok("case", "history", layout)


def test_an_activity_is_logged_as_of_yesterday_but_not_before_the_case_was_recorded(layout: str) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    said = ok("case", "log", layout, "--as", "awa", "--description", "met the family", "--at", yesterday.isoformat())
    assert f"ActivityLogged: {layout} at {yesterday.isoformat()}" in said
    assert json.loads(ok("case", "show", layout))["stage"] == "preliminary"
    too_early = (REPORTED + timedelta(hours=12)).isoformat()
    result = hrcase("case", "log", layout, "--as", "awa", "--description", "earlier", "--at", too_early)
    assert result.exit_code == 1 and "not before the case's last change" in result.output, result.output
