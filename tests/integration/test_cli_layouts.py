"""`hrcase` on either layout, as Settings choose it; production refuses to guess before it touches anything."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from services.cli import cli
from services.cli.kafka import worker
from tests.system.kafka_cluster import fresh_database


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No HRCASE_* setting from outside; the working directory empty, so that a file made anywhere shows."""
    for name in [n for n in os.environ if n.startswith("HRCASE_") and not n.startswith("HRCASE_TEST_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HRCASE_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def hrcase(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def ok(*args: str, stdin: str | None = None) -> str:
    result = hrcase(*args, stdin=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_users_list_in_production_without_a_database_url_names_the_setting_and_makes_no_file(
        env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("HRCASE_ENV", "production")
    env.setenv("HRCASE_IDENTITY_KEY", Fernet.generate_key().decode())
    result = hrcase("users", "list")
    assert result.exit_code != 0
    assert "HRCASE_DATABASE_URL" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_hrcase_command_in_production_without_a_database_url_exits_non_zero(
        env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import subprocess
    import sys

    env.setenv("HRCASE_ENV", "production")
    done = subprocess.run([sys.executable, "-m", "services.cli", "users", "list"], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
                          timeout=60, check=False)
    assert done.returncode != 0
    assert "HRCASE_DATABASE_URL" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_worker_in_production_with_an_sqlite_url_is_refused_before_it_joins_its_group(
        env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("HRCASE_ENV", "production")
    env.setenv("HRCASE_IDENTITY_KEY", Fernet.generate_key().decode())
    env.setenv("HRCASE_DATABASE_URL", "sqlite:///var/casework.sqlite")
    env.setenv("HRCASE_KAFKA_BOOTSTRAP", "127.0.0.1:1")  # nothing listens: a worker that tried would hang there
    for result in (hrcase("worker", "casework"), CliRunner().invoke(worker, ["casework"])):
        assert result.exit_code != 0
        assert "an SQLite URL: set HRCASE_DATABASE_URL" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_worker_in_production_without_an_identity_key_is_refused_naming_it(env: pytest.MonkeyPatch,
                                                                             tmp_path: Path) -> None:
    env.setenv("HRCASE_ENV", "production")
    env.setenv("HRCASE_DATABASE_URL", "postgresql+psycopg://hrcase@127.0.0.1:1/hrcase")
    for result in (hrcase("worker", "sla-monitor"), CliRunner().invoke(worker, ["intake"])):
        assert result.exit_code != 0
        assert "HRCASE_IDENTITY_KEY is not set" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_demo_never_runs_in_production(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("HRCASE_ENV", "production")
    result = hrcase("demo", "--data-dir", str(tmp_path / "demo"))
    assert result.exit_code != 0
    assert "throwaway installation on a development key" in result.output
    assert list(tmp_path.iterdir()) == []


def test_in_production_what_opens_no_database_runs_and_a_publisher_needs_only_the_key(
        env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("HRCASE_ENV", "production")
    assert Fernet(ok("api", "keygen").strip().encode())
    assert "openapi" in ok("api", "spec", "-")
    assert "Usage" in ok("users", "--help")
    sitrep = tmp_path / "empty.jsonl"
    sitrep.write_text("")
    result = hrcase("sitrep", "publish", str(sitrep))
    assert result.exit_code != 0 and "HRCASE_IDENTITY_KEY is not set" in result.output
    assert "HRCASE_DATABASE_URL" not in result.output


@pytest.fixture
def production(env: pytest.MonkeyPatch, postgres_url: str) -> Iterator[str]:
    """The production layout's settings on a database of the test's own (Kafka is not needed here)."""
    with fresh_database(postgres_url) as url:
        env.setenv("HRCASE_ENV", "production")
        env.setenv("HRCASE_IDENTITY_KEY", Fernet.generate_key().decode())
        env.setenv("HRCASE_DATABASE_URL", url)
        yield url


@pytest.mark.postgres
def test_on_production_commands_refuse_a_schema_not_at_this_version_until_db_upgrade(production: str,
                                                                                      tmp_path: Path) -> None:
    result = hrcase("users", "list")
    assert result.exit_code != 0 and "hrcase db upgrade" in result.output
    assert "intake, casework, sla_monitor" in ok("db", "upgrade")
    assert ok("users", "list") == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
def test_on_production_users_passwords_and_tokens_live_in_postgresql(production: str, tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    ok("db", "upgrade")
    ok("users", "add", "awa", "--role", "hro", "--office", "Mopti")
    ok("users", "add", "tl", "--role", "team_leader", "--office", "Mopti")
    ok("users", "alerts", "tl", "--email", "tl@example.org")
    ok("users", "password", "tl", "--stdin", stdin="a long and unusual passphrase 7\n")
    token = ok("users", "token", "create", "awa").splitlines()[0]
    token_id = token.split("_")[1]
    assert "active" in ok("users", "token", "list", "awa")
    assert f"token {token_id} revoked" in ok("users", "token", "revoke", token_id)
    ok("users", "deactivate", "awa")
    assert "(inactive)" in ok("users", "list").splitlines()[0]
    assert "hrcase users reactivate awa" in hrcase("users", "add", "awa", "--role", "hro", "--office", "Mopti").output
    assert "awa: reactivated" in ok("users", "reactivate", "awa")
    assert "(inactive)" not in ok("users", "list")
    engine = create_engine(production)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from casework.users")).scalar() == 2
        assert conn.execute(text("select count(*) from casework.api_tokens")).scalar() == 1
        assert conn.execute(text("select password_hash is not null from casework.web_accounts")).scalar()
    engine.dispose()
    assert ok("case", "list") == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
def test_on_production_what_only_the_embedded_runtime_does_is_refused_with_its_reason(
        production: str, tmp_path: Path) -> None:
    result = hrcase("serve", "--no-api")
    assert result.exit_code != 0
    assert "does not run on the production layout (HRCASE_DATABASE_URL is set)" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
@pytest.mark.parametrize("args", [("export", "out"), ("import", "a.csv", "b.csv")])
def test_on_production_export_and_import_refuse_schemas_not_at_this_version_and_write_nothing(
        production: str, tmp_path: Path, args: tuple[str, ...]) -> None:
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("")
    result = hrcase(*args)
    assert result.exit_code != 0
    assert "schema has no tables yet" in result.output and "hrcase db upgrade" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]


@pytest.mark.postgres
def test_on_production_an_export_waits_for_the_relay_rather_than_write_an_incomplete_history(
        production: str, tmp_path: Path) -> None:
    ok("db", "upgrade")
    ok("users", "add", "tl", "--role", "team_leader", "--office", "Mopti")
    from sqlalchemy import create_engine, text

    engine = create_engine(production)
    with engine.begin() as conn:  # an event committed by casework, not yet on Kafka (no worker runs here)
        conn.execute(text("insert into casework.outbox (topic, key, value, headers) "
                          "values ('case-events', 'c1', '{}', '{}')"))
    engine.dispose()
    result = hrcase("export", str(tmp_path / "out"))
    assert result.exit_code != 0
    assert "events wait to be relayed to Kafka (casework.outbox: 1)" in result.output
    assert "an export must be complete" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.postgres
def test_on_production_a_log_that_cannot_be_read_is_an_error_never_an_empty_success(
        production: str, env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ok("db", "upgrade")
    env.setenv("HRCASE_KAFKA_BOOTSTRAP", "127.0.0.1:1")  # nothing listens there: the client gives up in 30 s
    result = hrcase("report", "--as-of", "2026-12-31", "--no-charts", "--out", str(tmp_path / "report"))
    assert result.exit_code != 0
    assert "cannot read the log from Kafka at 127.0.0.1:1 (HRCASE_KAFKA_BOOTSTRAP)" in result.output
    assert "incidents in situation reports" not in result.output
    assert not (tmp_path / "report").exists()
