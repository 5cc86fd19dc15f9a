"""`hrcase schemas export`: JSON Schema files that validate the events hrcase really emits."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from schemas.registry import EVENT_TYPES
from services.cli import cli


def test_schemas_export_writes_one_file_per_event_type_and_version_plus_the_envelope(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["schemas", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted([f"{t}.v{v}.json" for t, v in EVENT_TYPES] + ["envelope.v1.json"])


def test_every_event_the_demo_emits_validates_against_its_exported_json_schema(tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["schemas", "export", str(tmp_path / "out")])
    data = tmp_path / "demo"
    subprocess.run([sys.executable, "-m", "services.cli", "demo", "--data-dir", str(data)], check=True,
                   capture_output=True, timeout=120)
    with sqlite3.connect(data / "log.sqlite") as conn:
        rows = conn.execute("select value from log_records where topic != 'sitrep-incidents'")
        values = [json.loads(v) for (v,) in rows]
    envelope_schema = json.loads((tmp_path / "out" / "envelope.v1.json").read_text())
    seen = set()
    for event in values:
        jsonschema.validate(event, envelope_schema)
        payload_schema = json.loads((tmp_path / "out" / f"{event['type']}.v{event['version']}.json").read_text())
        jsonschema.validate(event["payload"], payload_schema)
        seen.add(event["type"])
    assert {"IncidentAccepted", "IncidentRejected", "CaseRegistered", "ClosureApproved", "SlaBreached",
            "SlaScheduled"} <= seen


def test_an_exported_schema_rejects_an_unknown_field_and_a_wrong_type(tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["schemas", "export", str(tmp_path / "out")])
    schema = json.loads((tmp_path / "out" / "SlaBreached.v1.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert any("additional" in e.message.lower() for e in validator.iter_errors({"surprise": 1}))
    assert any(e.path and e.path[0] == "period" for e in validator.iter_errors({"period": "three"}))
