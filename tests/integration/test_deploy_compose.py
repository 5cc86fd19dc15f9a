"""deploy/compose: the compose file is valid against the Compose Specification's schema, brings up every part, and
agrees with the Prometheus scrape configuration, the Grafana provisioning and the workers' ports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from jsonschema import validators

from services.config import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose" / "compose.yaml"
SCHEMA = ROOT / "tests" / "data" / "compose-spec" / "compose-spec.json"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose())]
    assert errors == []


def test_the_schema_check_would_catch_a_mistake() -> None:
    schema = json.loads(SCHEMA.read_text())
    broken = compose()
    broken["services"]["intake"]["healthcheck"]["retry"] = 3
    broken["services"]["casework"]["restart_policy"] = "always"
    messages = " ".join(e.message for e in validators.validator_for(schema)(schema).iter_errors(broken))
    assert "'retry'" in messages and "'restart_policy'" in messages


def test_it_brings_up_kafka_postgres_the_three_workers_prometheus_and_grafana() -> None:
    services = compose()["services"]
    assert set(services) == {"kafka", "postgres", "topics", "db-upgrade", "intake", "casework", "sla-monitor",
                             "prometheus", "grafana"}
    for name, port in (("intake", 6061), ("casework", 6062), ("sla-monitor", 6063)):
        worker = services[name]
        assert worker["command"] == ["worker", name]
        assert f"127.0.0.1:{port}/health" in " ".join(worker["healthcheck"]["test"])
        assert worker["depends_on"]["topics"]["condition"] == "service_completed_successfully"
        assert worker["depends_on"]["db-upgrade"]["condition"] == "service_completed_successfully"
        assert worker["environment"]["HRCASE_MIGRATE"] == "no"
        assert worker["environment"]["HRCASE_ENV"] == "production"
        assert worker["environment"]["HRCASE_WEB_BIND"] == "0.0.0.0"
        assert worker["configs"][0]["target"] == worker["environment"]["HRCASE_SLA_POLICY"]
    assert DEFAULT_PORTS == {"intake": 6061, "casework": 6062, "sla_monitor": 6063}


def test_prometheus_scrapes_the_workers_by_their_compose_names_and_ports() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] if job["job_name"].startswith("hrcase-")
               for group in job["static_configs"] for t in group["targets"]}
    assert targets == {"intake:6061", "casework:6062", "sla-monitor:6063"}
    assert "../prometheus:/etc/prometheus:ro" in compose()["services"]["prometheus"]["volumes"]


def test_grafana_mounts_the_provisioning_and_the_dashboard_where_the_provisioning_looks() -> None:
    grafana = compose()["services"]["grafana"]
    provider = yaml.safe_load((ROOT / "deploy/grafana/provisioning/dashboards/hrcase.yml").read_text())
    mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in grafana["volumes"] if v.startswith(".."))
    assert mounts["../grafana/dashboards"] == provider["providers"][0]["options"]["path"]
    assert mounts["../grafana/provisioning"] == "/etc/grafana/provisioning"
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (ROOT / "deploy/grafana/dashboards" / Path(home).name).exists()


def test_every_path_it_names_exists_and_every_secret_it_needs_is_in_the_example_env() -> None:
    doc = compose()
    here = COMPOSE.parent
    paths = [doc["configs"]["sla-policy"]["file"]]
    paths += [v.split(":")[0] for s in doc["services"].values() for v in s.get("volumes", []) if v.startswith("..")]
    for path in paths:
        assert (here / path).exists(), path
    assert (here / doc["services"]["topics"]["build"]["context"] / "Dockerfile").exists()
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text()))
    assert required == {"HRCASE_DB_PASSWORD", "HRCASE_IDENTITY_KEY", "GRAFANA_ADMIN_PASSWORD"}
    example = (here / "env.example").read_text()
    assert all(re.search(rf"^{name}=", example, re.M) for name in required)


def test_ports_are_published_on_loopback_only() -> None:
    published = [p for s in compose()["services"].values() for p in s.get("ports", [])]
    assert published
    assert all(p.startswith("127.0.0.1:") for p in published)


def test_the_host_reaches_kafka_on_a_listener_of_its_own_published_on_loopback() -> None:
    kafka = compose()["services"]["kafka"]
    env = kafka["environment"]
    listeners = dict(item.split("://") for item in env["KAFKA_LISTENERS"].split(","))
    advertised = dict(item.split("://") for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(advertised) <= set(listeners) <= set(protocols)
    assert advertised["PLAINTEXT"] == compose()["services"]["topics"]["environment"]["HRCASE_KAFKA_BOOTSTRAP"]
    host, port = advertised["HOST"].rsplit(":", 1)
    assert host == "127.0.0.1" and listeners["HOST"] == f":{port}"
    assert f"127.0.0.1:{port}:{port}" in kafka["ports"]
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "PLAINTEXT"


def test_every_long_running_service_and_every_one_shot_has_a_memory_and_cpu_limit() -> None:
    for name, service in compose()["services"].items():
        limits = service["deploy"]["resources"]["limits"]
        assert {"cpus", "memory"} <= set(limits), name


def test_migrations_run_once_before_the_workers_and_never_at_their_start() -> None:
    services = compose()["services"]
    assert services["db-upgrade"]["command"] == ["db", "upgrade"]
    assert services["db-upgrade"]["environment"]["HRCASE_DATABASE_URL"] == services["intake"]["environment"][
        "HRCASE_DATABASE_URL"]
    assert services["db-upgrade"]["depends_on"]["postgres"]["condition"] == "service_healthy"
