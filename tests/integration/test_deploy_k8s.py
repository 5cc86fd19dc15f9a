"""deploy/k8s: every manifest is valid against the Kubernetes schemas (kubernetes-validate, offline), and the
workers run as their operators expect: a probe per purpose, resources, secrets as files, the SLA policy from a
ConfigMap (more in test_deploy_k8s_rollout.py: replicas, budgets, network policies, the Ingress, migrations)."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from services.config import DEFAULT_PORTS
from services.sla_monitor.adapters import policy_file

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
VERSION = "1.30.0"
PROBES = {"startupProbe": "/health/started", "readinessProbe": "/health/ready", "livenessProbe": "/health/live"}
WORKERS = {"hrcase-intake": "intake", "hrcase-casework": "casework", "hrcase-sla-monitor": "sla_monitor"}


def documents() -> list[tuple[str, dict]]:
    return [(path.name, doc) for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _name, doc in documents() if doc["kind"] == kind}


@pytest.mark.parametrize("name, doc", documents(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_each_manifest_is_valid_against_the_kubernetes_schema(name: str, doc: dict) -> None:
    kubernetes_validate.validate(doc, VERSION, strict=True)


def test_the_validator_refuses_a_misspelt_field() -> None:
    deployment = of_kind("Deployment")["hrcase-intake"]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSION, strict=True)


def test_the_kustomization_lists_every_manifest_but_the_example_secret() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}


def test_each_worker_has_a_probe_per_purpose_requests_resources_and_runs_unprivileged() -> None:
    deployments = of_kind("Deployment")
    assert set(deployments) == set(WORKERS)
    for name, service in WORKERS.items():
        pod = deployments[name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        port = {p["name"]: p["containerPort"] for p in container["ports"]}["metrics"]
        assert port == DEFAULT_PORTS[service]
        for probe, path in PROBES.items():
            assert container[probe]["httpGet"] == {"path": path, "port": "metrics"}, (name, probe)
        # An outage fails readiness within half a minute, while liveness would take longer than that to fail
        # even if it asked the same: a restart is never the first answer.
        ready, live = container["readinessProbe"], container["livenessProbe"]
        assert ready["periodSeconds"] * ready["failureThreshold"] <= 30
        assert live["periodSeconds"] * live["failureThreshold"] >= 60
        assert set(container["resources"]["requests"]) == {"cpu", "memory"}
        assert "memory" in container["resources"]["limits"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["envFrom"] == [{"configMapRef": {"name": "hrcase-settings"}}]  # secrets come as files
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        assert {v["name"]: v.get("configMap", {}).get("name") for v in pod["volumes"]}["sla-policy"] == \
            "hrcase-sla-policy"
        assert mounts["sla-policy"] + "/sla-policy.toml" == of_kind("ConfigMap")["hrcase-settings"]["data"][
            "HRCASE_SLA_POLICY"]
        metrics = of_kind("Service")[f"{name}-metrics"]
        assert metrics["spec"]["clusterIP"] == "None"  # headless: Prometheus finds every replica by DNS


def test_the_secret_holds_the_database_password_and_the_identity_key() -> None:
    secret = of_kind("Secret")["hrcase-secrets"]
    assert set(secret["stringData"]) == {"database-password", "identity-key"}
    assert all("CHANGE-ME" in v for v in secret["stringData"].values())  # an example, never a real value


def test_the_sla_policy_config_map_is_a_valid_policy(tmp_path: Path) -> None:
    text = of_kind("ConfigMap")["hrcase-sla-policy"]["data"]["sla-policy.toml"]
    (tmp_path / "policy.toml").write_text(text)
    assert policy_file.load(tmp_path / "policy.toml") == policy_file.load(None)


def test_prometheus_on_kubernetes_scrapes_the_headless_services_on_the_worker_ports() -> None:
    config = yaml.safe_load((K8S.parent / "prometheus" / "prometheus-kubernetes.yml").read_text())
    found = {sd["names"][0]: sd["port"] for job in config["scrape_configs"] for sd in job["dns_sd_configs"]}
    assert found == {f"{name}-metrics.hrcase.svc.cluster.local": DEFAULT_PORTS[service]
                     for name, service in WORKERS.items()}
