"""Version-1 incident and case events (issue 20's records before people and acts) replay into the code that writes
version 2: the same cases from a version-1 log, the same figures from a version-1 export."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from schemas.envelope import encode, new_envelope
from schemas.registry import dump_payload
from schemas.topics import CASE_EVENTS, INCIDENTS
from services.casework.adapters import repository as repo
from services.cli import cli
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.messaging.ports import Outgoing
from services.messaging.processing import emit
from services.vault import IdentityVault
from sitreps.key import incident_key

DATA = Path(__file__).resolve().parents[1] / "data"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
VAULT = IdentityVault.generate()


def accepted(number: int) -> dict[str, Any]:
    """An accepted incident as intake wrote it before version 2 (no people, acts, P-code or coordinates)."""
    return {
        "incident_key": incident_key("SR-1", number), "sitrep_id": "SR-1", "incident_number": number,
        "reported_at": T0 + timedelta(hours=number), "occurred_at": T0 - timedelta(days=1), "office": "Mopti",
        "location": "Konna", "violation_types": ["abduction"], "perpetrator_category": "unidentified",
        "victims": {"female_adult": 1}, "source_type": "ngo", "summary": f"a woman abducted on the road ({number})",
        "assignee": "awa", "identities": VAULT.seal({"victims": [{"name": "Awa Invented-Name"}]}),
    }


def version_1(number: int) -> Outgoing:
    """The envelope exactly as the code before version 2 wrote it: type, version 1, the v1 payload."""
    payload = accepted(number)
    envelope = new_envelope("IncidentAccepted", 1, occurred_at=payload["reported_at"], key=payload["incident_key"],
                            producer="intake", payload=dump_payload("IncidentAccepted", 1, payload),
                            event_id=f"v1-{number}")
    return Outgoing(INCIDENTS, payload["incident_key"], encode(envelope), {"event_id": envelope.event_id})


def version_2(number: int) -> Outgoing:
    payload = accepted(number)
    return emit(INCIDENTS, "IncidentAccepted", occurred_at=payload["reported_at"], key=payload["incident_key"],
                producer="intake", payload=payload, event_id=f"v1-{number}")


def cases_from(folder: Path, records: list[Outgoing]) -> tuple[list[Any], list[dict[str, Any]]]:
    runtime = EmbeddedRuntime(Settings(data_dir=folder), vault=VAULT)
    runtime.log.publish(records)
    runtime.run_until_idle(T0 + timedelta(days=10))
    cases = runtime.casework.read(lambda conn: repo.list_cases(conn, limit=100))
    events = [json.loads(m.value) for m in runtime.log.read_topic(CASE_EVENTS)]
    return sorted(cases, key=lambda c: c.reference), events


def test_a_version_1_log_replays_into_the_cases_version_2_makes(tmp_path: Path) -> None:
    old, _ = cases_from(tmp_path / "v1", [version_1(n) for n in (1, 2, 3)])
    new, events = cases_from(tmp_path / "v2", [version_2(n) for n in (1, 2, 3)])
    assert [c.reference for c in old] == ["MOP-2026-0001", "MOP-2026-0002", "MOP-2026-0003"]
    assert old == new  # the same cases, stages, clocks and details, whichever version the log holds
    # Read as version 2: no people, no acts, and the place not yet looked up (intake did not then).
    assert {k: old[0].details[k] for k in ("people", "acts", "place_pcode", "latitude")} == \
        {"people": [], "acts": [], "place_pcode": None, "latitude": None}
    registered = [e for e in events if e["type"] == "CaseRegistered"]
    assert [e["version"] for e in registered] == [2, 2, 2]


def test_a_version_1_export_restores_and_reports_the_figures_it_reported_then(tmp_path: Path) -> None:
    """tests/data/export-v1 is `hrcase demo` then `hrcase export` by the code before version 2; export-v1-report
    is what `hrcase report --as-of 2026-12-31` made of it then."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    shutil.copy(DATA / "export-v1" / "identity.key", data / "identity.key")
    (data / "identity.key").chmod(0o600)

    def hrcase(*args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--data-dir", str(data)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "restored 230 records, 12 users and 14 cases" in hrcase("import", "--events", str(DATA / "export-v1"))
    hrcase("report", "--as-of", "2026-12-31", "--out", str(tmp_path / "report"), "--no-charts")
    expected = sorted((DATA / "export-v1-report").glob("*.csv"))
    assert len(expected) == 17
    for table in expected:
        assert (tmp_path / "report" / table.name).read_text() == table.read_text(), table.name
    listing = hrcase("case", "list")
    assert "MOP-2026-0001" in listing and "BAM-2026-0002" in listing
