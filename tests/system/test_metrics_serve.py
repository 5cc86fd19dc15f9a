"""`hrcase serve --metrics-port`: /metrics over HTTP tells what happened, and a killed and restarted process
serves the same gauges (read from the databases) with its counters started again."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.utils import floatToGoString

from services.metrics import DAY
from tests.factories import incident
from tests.ports import free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
GAUGES = ("hrcase_open_cases", "hrcase_closures_pending", "hrcase_alerts_unacknowledged", "hrcase_sla_open_breaches",
          "hrcase_sla_clocks_running", "hrcase_outbox_backlog", "hrcase_consumer_lag",
          "hrcase_open_case_oldest_activity_timestamp_seconds")


def hrcase(*args: str) -> list[str]:
    return [sys.executable, "-m", "services.cli", *args]


def scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        page = response.read().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(page) for s in family.samples}


def total(samples: Samples, name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


def wait_for(port: int, condition: Callable[[Samples], bool], what: str, timeout: float = 120) -> Samples:
    deadline, last = time.monotonic() + timeout, "no page yet"
    while time.monotonic() < deadline:
        try:
            samples = scrape(port)
        except OSError as exc:  # not listening yet
            last = str(exc)
        else:
            if condition(samples):
                return samples
            last = f"{total(samples, 'hrcase_sla_events_total')} SLA events"
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} ({last})")


def serve(data: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(hrcase("serve", "--data-dir", str(data), "--metrics-port", str(port), "--no-api",
                                   "--interval", "0.1"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def settled(samples: Samples) -> bool:
    return (total(samples, "hrcase_consumer_lag") == 0 and total(samples, "hrcase_outbox_backlog") == 0
            and total(samples, "hrcase_sla_open_breaches", clock="recording") > 0)


def test_serve_metrics_match_the_run_and_gauges_survive_a_kill(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    reported = datetime.now(UTC) - timedelta(days=10)
    rows = [incident("SR-MOP-2026-W01", n, reported, "Mopti", location=f"Village M{n}") for n in range(1, 8)]
    rows += [incident("SR-GAO-2026-W01", n, reported, "Gao", location=f"Village G{n}") for n in range(1, 6)]
    rows.append(incident("SR-GAO-2026-W01", 9, reported, "Gao", occurred_at=datetime.now(UTC).isoformat()))
    sitrep = tmp_path / "sitrep.jsonl"
    sitrep.write_text("".join(json.dumps(r) + "\n" for r in rows))
    subprocess.run(hrcase("users", "add", "--data-dir", str(data), "tl.mopti", "--role", "team_leader",
                          "--office", "Mopti"), check=True, capture_output=True, timeout=60)
    subprocess.run(hrcase("sitrep", "load", "--data-dir", str(data), str(sitrep)), check=True, capture_output=True,
                   timeout=60)

    worker = serve(data, port)
    try:
        # Ten days after the report: every incident warned, breached and escalated for recording.
        wait_for(port, lambda s: settled(s) and total(s, "hrcase_sla_events_total", level="escalation") == 12,
                 "every recording escalation")
        with sqlite3.connect(data / "casework.sqlite") as conn:
            refs = [r for (r,) in conn.execute("select reference from cases where office='Mopti' order by reference")]
        for ref in refs[:3]:
            subprocess.run(hrcase("case", "record", "--data-dir", str(data), "--as", "tl.mopti", ref), check=True,
                           capture_output=True, timeout=60)
        m = wait_for(port, lambda s: settled(s) and total(s, "hrcase_sla_events_total", level="cleared") == 3,
                     "three recordings cleared")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    assert total(m, "hrcase_incidents_received_total") == 13
    assert total(m, "hrcase_incidents_accepted_total", office="Mopti") == 7
    assert total(m, "hrcase_incidents_accepted_total", office="Gao") == 5
    assert total(m, "hrcase_incidents_rejected_total", reason="invalid") == 1
    assert total(m, "hrcase_dead_letters_total") == 1
    assert total(m, "hrcase_cases_registered_total") == 12
    assert {lvl: total(m, "hrcase_sla_events_total", clock="recording", level=lvl)
            for lvl in ("warning", "breach", "escalation", "cleared")} == {
        "warning": 12, "breach": 12, "escalation": 12, "cleared": 3}
    assert total(m, "hrcase_sla_open_breaches", clock="recording", office="Mopti") == 4
    assert total(m, "hrcase_sla_open_breaches", clock="recording", office="Gao") == 5
    assert total(m, "hrcase_open_cases", office="Mopti", stage="preliminary") == 3
    assert total(m, "hrcase_open_cases", office="Mopti", stage="reported") == 4
    assert total(m, "hrcase_open_cases", office="Gao", stage="reported") == 5
    # Recorded ten days after the report: past the 8-day bucket, inside the 14-day one.
    assert total(m, "hrcase_recording_delay_seconds_count") == 3
    assert total(m, "hrcase_recording_delay_seconds_bucket", le=floatToGoString(8 * DAY)) == 0
    assert total(m, "hrcase_recording_delay_seconds_bucket", le=floatToGoString(14 * DAY)) == 3
    # One alert per case and clock (ADR 0015): the nine unrecorded cases each hold one, at escalation (its warning
    # and breach folded into it); the three recorded cases' alerts resolved.
    assert total(m, "hrcase_alerts_unacknowledged") == 9
    assert total(m, "hrcase_event_processing_seconds_count", service="intake", type="raw") == 13

    worker = serve(data, port)
    try:
        again = wait_for(port, settled, "the restarted process's first page")
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, worker.stderr.read().decode() if worker.stderr else ""
    for name in GAUGES:
        before = {k: v for k, v in m.items() if k[0] == name}
        assert before, name
        assert before == {k: v for k, v in again.items() if k[0] == name}, name
    assert total(again, "hrcase_incidents_received_total") == 0
    assert total(again, "hrcase_sla_events_total") == 0
    assert total(again, "hrcase_recording_delay_seconds_count") == 0
