"""Deploying in steps: `hrcase db upgrade` migrates every schema before a rollout, workers told HRCASE_MIGRATE=no
check instead of migrating (a later version's expanded schema is fine, an older one is refused), and `hrcase topics
create` sets min.insync.replicas from the settings."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from sqlalchemy import text

from schemas.topics import TopicSpec
from services.cli import cli
from services.config import Settings
from services.messaging import migrate as migrations
from services.messaging.kafka import create_topics
from services.messaging.sqlite import sqlite_engine
from tests.system.kafka_cluster import fresh_database

CASEWORK = "services.casework"


def test_a_worker_that_may_not_migrate_refuses_older_tables_and_runs_on_a_later_versions(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "casework.sqlite")
    with pytest.raises(RuntimeError, match=r"do not exist yet: run `hrcase db upgrade`.*HRCASE_MIGRATE=no"):
        migrations.prepare(engine, CASEWORK, None, migrate=False)
    migrations.prepare(engine, CASEWORK, None, migrate=True)
    assert migrations.behind(engine, CASEWORK) is None
    with engine.begin() as conn:
        head = conn.execute(text("select version_num from alembic_version")).scalar_one()
        conn.execute(text("update alembic_version set version_num = '9777f2fd961d'"))  # the revision before
    assert head != "9777f2fd961d"
    with pytest.raises(RuntimeError, match=f"at revision 9777f2fd961d, this version needs {head}"):
        migrations.prepare(engine, CASEWORK, None, migrate=False)
    with engine.begin() as conn:  # a later version has expanded the schema: this one runs beside it
        conn.execute(text("update alembic_version set version_num = 'f0f0f0f0f0f0'"))
    migrations.prepare(engine, CASEWORK, None, migrate=False)


@pytest.mark.postgres
def test_db_upgrade_migrates_every_schema_and_db_check_says_when_it_is_needed(
        postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fresh_database(postgres_url) as url:
        monkeypatch.setenv("HRCASE_DATABASE_URL", url)
        runner = CliRunner()
        before = runner.invoke(cli, ["db", "check", "--data-dir", str(tmp_path)])
        assert before.exit_code == 1
        assert before.output.count("run `hrcase db upgrade`") == 3, before.output
        upgraded = runner.invoke(cli, ["db", "upgrade", "--data-dir", str(tmp_path)])
        assert upgraded.exit_code == 0, upgraded.output
        assert upgraded.output.splitlines() == [
            "schemas intake, casework, sla_monitor of HRCASE_DATABASE_URL are at the current version"]
        after = runner.invoke(cli, ["db", "check", "--data-dir", str(tmp_path)])
        assert after.exit_code == 0, after.output
        assert not list(tmp_path.iterdir()), "nothing was written to the embedded data dir"
        engine, _schema = Settings(database_url=url).database("intake")
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from intake.inbox")).scalar_one() == 0
        engine.dispose()


@pytest.mark.kafka
def test_topics_get_min_insync_replicas_and_a_value_above_the_replication_is_refused(kafka_bootstrap: str) -> None:
    name = f"test-min-isr-{uuid.uuid4().hex[:10]}"
    spec = TopicSpec(name, "a test", 1, -1)
    with pytest.raises(ValueError, match=r"min\.insync\.replicas 2 exceeds the replication factor 1"):
        create_topics(kafka_bootstrap, [spec], replication=1, min_insync=2)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="hrcase-test-min-isr")
    try:
        create_topics(kafka_bootstrap, [spec], replication=1, min_insync=1)
        create_topics(kafka_bootstrap, [spec], replication=1, min_insync=1)  # again: the settings applied anew
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])["topic"][name]
        assert (configs["min.insync.replicas"]["value"], configs["retention.ms"]["value"]) == ("1", "-1")
    finally:
        admin.delete_topics([name])
        admin.close()


def test_hrcase_worker_that_may_not_migrate_says_what_to_run_without_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRCASE_MIGRATE", "no")
    monkeypatch.delenv("HRCASE_DATABASE_URL", raising=False)
    monkeypatch.delenv("HRCASE_ENV", raising=False)
    monkeypatch.setenv("HRCASE_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["worker", "intake"])
    assert result.exit_code == 1, result.output
    assert "Error: intake's tables" in result.output
    assert "do not exist yet: run `hrcase db upgrade` (HRCASE_MIGRATE=no: workers do not migrate)" in result.output
    assert isinstance(result.exception, SystemExit)  # a refusal, not an uncaught error
