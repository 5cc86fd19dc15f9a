"""`hrcase api serve`: the casework API and web pages in a process of their own, which migrates nothing and runs
nothing of the pipeline, so that operators can run several behind a load balancer."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def hrcase(*args: str) -> list[str]:
    return [sys.executable, "-m", "services.cli", *args]


def started(process: subprocess.Popen[str]) -> str:
    """The URL the process says it serves on (its first line)."""
    line = process.stdout.readline() if process.stdout else ""
    assert line.startswith("casework API at http://"), line + (process.stderr.read() if process.stderr else "")
    return line.split()[3]


def rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"select count(*) from {table}").fetchone()[0])


@pytest.mark.timeout(300)
def test_two_api_processes_serve_one_database_and_neither_touches_the_pipeline(tmp_path: Path) -> None:
    data = tmp_path / "data"
    refused = subprocess.run(hrcase("api", "serve", "--data-dir", str(data), "--port", "0"), capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 1 and "hrcase db upgrade" in refused.stderr  # a reader never migrates
    subprocess.run(hrcase("db", "upgrade", "--data-dir", str(data)), check=True, timeout=300, capture_output=True)
    before = {p.name: p.stat().st_size for p in data.glob("*.sqlite") if p.name != "casework.sqlite"}
    servers = [subprocess.Popen(hrcase("api", "serve", "--data-dir", str(data), "--port", "0"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        urls = [started(server) for server in servers]
        assert len(set(urls)) == 2
        for url in urls:
            with urllib.request.urlopen(f"{url}/health", timeout=30) as answer:
                assert answer.status == 200 and b"casework-api" in answer.read()
            with urllib.request.urlopen(f"{url}/web/login", timeout=30) as answer:
                assert answer.status == 200 and b"Sign in" in answer.read()
        time.sleep(1.0)  # anything a pipeline would do on its own, given a moment
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            out, _ = server.communicate(timeout=60)
            assert server.returncode == 0 and "stopped" in out
    finally:
        for server in servers:
            if server.poll() is None:
                server.kill()
    casework = data / "casework.sqlite"
    assert rows(casework, "inbox") == rows(casework, "outbox") == rows(casework, "cases") == 0
    assert {p.name: p.stat().st_size for p in data.glob("*.sqlite") if p.name != "casework.sqlite"} == before
