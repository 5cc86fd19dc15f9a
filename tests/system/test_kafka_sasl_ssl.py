"""A broker that takes only TLS and SCRAM-SHA-512: the workers' settings get in, no credentials do not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.messaging.kafka_security import KafkaSecurity
from tests.factories import write_sitreps
from tests.ports import free_port
from tests.system.kafka_cluster import REPO, Worker, fresh_database, hrcase, wait_for
from tests.tls import make_certificates

KAFKA_SH = REPO / "deploy" / "kafka" / "kafka.sh"
INCIDENTS = 40
SERVICES = {"intake": "intake", "casework": "casework", "sla-monitor": "sla_monitor"}
USER, PASSWORD = "hrcase-workers", "a-scram-secret-for-the-test"


@dataclass(frozen=True)
class SecureBroker:
    bootstrap: str
    cafile: Path
    env: dict[str, str]  # kafka.sh's settings for this broker


def kafka_sh(broker_env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    result = subprocess.run([str(KAFKA_SH), *args], env=broker_env, input=stdin, capture_output=True, text=True,
                            timeout=240, check=False)
    assert result.returncode == 0, f"kafka.sh {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    """A private broker of deploy/kafka/kafka.sh (its own home and ports) whose only client listener is SASL_SSL."""
    home = tmp_path_factory.mktemp("kafka-sasl-ssl")
    certs = make_certificates(home / "certs")
    port, controller = free_port(), free_port()
    env = {**os.environ, "HRCASE_KAFKA_HOME": str(home / "kafka"), "HRCASE_KAFKA_PORT": str(port),
           "HRCASE_KAFKA_CONTROLLER_PORT": str(controller), "HRCASE_KAFKA_SECURITY": "SASL_SSL",
           "HRCASE_KAFKA_SSL_KEYSTORE": str(certs.broker), "HRCASE_KAFKA_SSL_TRUSTSTORE": str(certs.ca),
           "HRCASE_KAFKA_ADMIN_PASSWORD": "broker-admin-secret", "HRCASE_KAFKA_NUM_PARTITIONS": "1"}
    try:
        kafka_sh(env, "start")
        kafka_sh(env, "scram-user", USER, stdin=PASSWORD + "\n")  # kafka-configs --alter, as an operator would
        yield SecureBroker(f"127.0.0.1:{port}", certs.ca, env)
    finally:
        kafka_sh(env, "stop")
        shutil.rmtree(home / "kafka", ignore_errors=True)


def refused(broker: SecureBroker, security: KafkaSecurity) -> bool:
    try:
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, client_id="hrcase-test-intruder",
                                 request_timeout_ms=5000, bootstrap_timeout_ms=5000, **security.client_options())
    except KafkaError:
        return True
    try:
        admin.list_topics()
    except KafkaError:
        return True
    finally:
        admin.close()
    return False


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(240)
def test_workers_with_tls_and_scram_settings_register_cases_and_a_client_without_credentials_is_refused(
        secure_broker: SecureBroker, postgres_url: str, tmp_path: Path) -> None:
    sitrep = write_sitreps(tmp_path / "sitrep.jsonl", INCIDENTS, datetime.now(UTC) - timedelta(days=10))
    (tmp_path / "kafka-password").write_text(PASSWORD + "\n")
    with fresh_database(postgres_url) as url:
        # The database password from a secret file too, beside a URL that has none.
        parsed = make_url(url)
        (tmp_path / "db-password").write_text((parsed.password or "") + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HRCASE_")}
        env |= {"HRCASE_DATABASE_URL": parsed.set(password=None).render_as_string(hide_password=False),
                "HRCASE_DATABASE_PASSWORD_FILE": str(tmp_path / "db-password"),
                "HRCASE_KAFKA_BOOTSTRAP": secure_broker.bootstrap, "HRCASE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "HRCASE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "HRCASE_KAFKA_SASL_USERNAME": USER,
                "HRCASE_KAFKA_SASL_PASSWORD_FILE": str(tmp_path / "kafka-password"),
                "HRCASE_KAFKA_SSL_CAFILE": str(secure_broker.cafile),
                "HRCASE_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1", "HRCASE_LOG_FORMAT": "json"}

        def cli(*args: str) -> str:
            result = subprocess.run(hrcase(*args), cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                                    check=False)
            assert result.returncode == 0, f"hrcase {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            return result.stdout

        cli("topics", "create")
        workers = [Worker(service, free_port(), {**env, "HRCASE_API_PORT": str(free_port())},
                          tmp_path / f"worker-{service}.log").start()
                   for service in ("intake", "casework", "sla-monitor")]
        engine = create_engine(url)
        try:
            for worker in workers:
                worker.wait_healthy()
            assert f"{INCIDENTS} incident records sent" in cli("sitrep", "publish", str(sitrep))

            def count(table: str) -> int:
                with engine.connect() as conn:
                    try:
                        return int(conn.execute(text(f"select count(*) from casework.{table}")).scalar() or 0)
                    except Exception as exc:
                        if "does not exist" in str(exc):  # casework has not migrated yet
                            return 0
                        raise

            wait_for(lambda: count("cases") == INCIDENTS, 90, f"{INCIDENTS} cases", lambda: f"{count('cases')} cases")
            # Reported ten days ago: the monitor's breaches come back over sla-events as casework's alerts.
            wait_for(lambda: count("alerts") > 0, 60, "alerts from the monitor's breaches")
            assert all(worker.alive for worker in workers)
            for worker in workers:  # what a log collector reads: one JSON object a line, naming the service
                lines = [json.loads(line) for line in worker.log.read_text().splitlines()
                         if line and not line.startswith("=====")]
                assert lines and {line["service"] for line in lines} == {SERVICES[worker.service]}
        except BaseException:
            for worker in workers:
                print(f"----- {worker.log.name} -----\n{worker.tail()}")
            raise
        finally:
            for worker in workers:
                worker.stop()
            engine.dispose()

    ca = str(secure_broker.cafile)
    assert refused(secure_broker, KafkaSecurity()), "a PLAINTEXT client got in"
    assert refused(secure_broker, KafkaSecurity("SSL", cafile=ca)), "a TLS client without SASL got in"
    assert refused(secure_broker, KafkaSecurity("SASL_SSL", username=USER, password="wrong", cafile=ca)), \
        "a client with a wrong password got in"
    assert not refused(secure_broker, KafkaSecurity("SASL_SSL", username=USER, password=PASSWORD, cafile=ca))
