"""Both runtimes serve the API: `hrcase serve` (an incident submitted over HTTP becomes a case), the casework worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.api_channels import free_port

REPO = Path(__file__).resolve().parents[2]


def hrcase(*args: str) -> list[str]:
    return [sys.executable, "-m", "services.cli", *args]


def request(method: str, url: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for(check: Any, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds}s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    data = str(tmp_path / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRCASE_")}
    run = {"cwd": REPO, "env": env, "check": True, "capture_output": True, "text": True, "timeout": 60}
    subprocess.run(hrcase("users", "add", "--data-dir", data, "awa", "--role", "hro", "--office", "Mopti"), **run)
    token = subprocess.run(hrcase("users", "token", "create", "--data-dir", data, "awa"), **run).stdout.strip()
    port = free_port()
    process = subprocess.Popen(hrcase("serve", "--data-dir", data, "--api-port", str(port), "--interval", "0.1"),
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: request("GET", f"{url}/health")[0] == 200)
        yield url, token
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, process.stdout.read() if process.stdout else ""


def test_hrcase_serve_turns_an_incident_submitted_over_http_into_a_case_through_intake(
        served: tuple[str, str]) -> None:
    url, token = served
    reported = datetime.now(UTC) - timedelta(hours=2)
    incident = {"sitrep_id": "API-7", "incident_number": 3, "reported_at": reported.isoformat(),
                "occurred_at": (reported - timedelta(days=1)).isoformat(), "office": "Mopti", "location": "Sevare",
                "violation_types": ["injury"], "perpetrator_category": "armed_group", "victims": {"male_adult": 1},
                "source_type": "victim", "summary": "a man wounded at a checkpoint",
                "identities": {"victims": [{"name": "Invented Person-Seven"}]}}
    assert request("POST", f"{url}/incidents", token, incident) == (
        202, {"incident_key": "API-7#3", "status": "queued", "topic": "sitrep-incidents"})
    # The case is listed once casework registers it, and shows its recording clock once the monitor's schedule for
    # it has come back to casework (an instant later, or a few under load): wait for both, as a user would see them.
    listing = wait_for(lambda: [c for c in request("GET", f"{url}/cases", token)[1]["items"]
                                if c["sla_state"] != "none"])
    [case] = listing
    assert (case["office"], case["stage"], case["assignee"], case["sla_state"]) == ("Mopti", "reported", "awa",
                                                                                    "on_track")
    status, detail = request("GET", f"{url}/cases/{case['reference']}", token)
    assert detail["identities"]["victims"] == [{"name": "Invented Person-Seven", "contact": None}]
    status, done = request("POST", f"{url}/cases/{case['reference']}/record", token, {"note": "over HTTP"})
    assert (status, done["case"]["stage"]) == (200, "preliminary")
    # The same incident told differently: intake refuses it as a conflict, as it would a sitrep line.
    conflicting = {**incident, "summary": "a different story under the same number"}
    assert request("POST", f"{url}/incidents", token, conflicting)[0] == 202
    time.sleep(1)
    assert request("GET", f"{url}/cases", token)[1]["total"] == 1


def test_the_casework_worker_serves_the_api_beside_its_pipeline(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from services.casework import worker
    from services.config import Settings
    from services.metrics import Metrics

    port = free_port()
    monkeypatch.setenv("HRCASE_API_PORT", str(port))
    monkeypatch.delenv("HRCASE_IDENTITY_KEY", raising=False)
    spec = worker.spec(Settings.from_env(data_dir=tmp_path), Metrics())
    assert spec.service == "casework"
    assert wait_for(lambda: request("GET", f"http://127.0.0.1:{port}/health")) == (
        200, {"status": "ok", "service": "casework-api"})
    assert request("GET", f"http://127.0.0.1:{port}/cases")[0] == 401
    monkeypatch.setenv("HRCASE_ENV", "production")
    with pytest.raises(RuntimeError, match="HRCASE_IDENTITY_KEY is not set"):
        worker.spec(Settings.from_env(data_dir=tmp_path), Metrics())
