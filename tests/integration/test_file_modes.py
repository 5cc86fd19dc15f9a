"""Every folder and file hrcase makes for case data is its account's alone (0700, 0600), whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.private_files import private_file
from services.reporting.adapters.log_source import read_log
from services.reporting.adapters.output import write_report
from services.reporting.domain.model import Scope, end_of
from services.reporting.handover import export
from services.reporting.history.importer import settle
from services.reporting.whatif import make_report
from services.sealing import sitrep_outgoing
from services.sla_monitor.bootstrap import load_policy
from services.vault import DEV_KEY_FILE
from sitreps.files import read_sitrep

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def careless_umask() -> Iterator[None]:
    """The most permissive umask: what hrcase makes must be private by its own doing, not by the operator's."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_embedded_data_folder_its_databases_and_its_key_are_private(tmp_path: Path, careless_umask: None) -> None:
    data = tmp_path / "var" / "hrcase"
    runtime = EmbeddedRuntime(Settings(data_dir=data))
    runtime.submit(map(sitrep_outgoing, read_sitrep(ROOT / "examples" / "sitreps" / "2026-W46-bamako.csv")))
    settle(runtime, datetime(2026, 11, 14, tzinfo=UTC))
    assert mode(data) == 0o700
    made = sorted(p.name for p in data.iterdir() if p.is_file())
    assert {"casework.sqlite", "casework.sqlite-wal", "log.sqlite", DEV_KEY_FILE} <= set(made)
    assert {name: mode(data / name) for name in made} == {name: 0o600 for name in made}

    exported = tmp_path / "handover"
    export(runtime, exported)
    assert mode(exported) == 0o700
    assert {p.name: mode(p) for p in exported.iterdir()} == {p.name: 0o600 for p in exported.iterdir()}

    scope = Scope(as_of=end_of(date(2026, 12, 31)))
    written = write_report(make_report(read_log(runtime.log), scope, load_policy(None)), tmp_path / "report")
    assert mode(tmp_path / "report") == 0o700 and len(written) > 3
    assert {p.name: mode(p) for p in written} == {p.name: 0o600 for p in written}


def test_a_database_left_readable_by_an_earlier_version_is_made_private_when_opened(tmp_path: Path) -> None:
    old = tmp_path / "casework.sqlite"
    old.write_bytes(b"")
    old.chmod(0o644)
    private_file(old)
    assert mode(old) == 0o600
