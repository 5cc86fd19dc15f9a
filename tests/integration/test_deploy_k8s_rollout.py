"""deploy/k8s deploys as a production service should: two or more replicas of each worker with a disruption budget
below them and anti-affinity, resources for every container, secrets as files, migrations by a Job the workers wait
for, an Ingress with TLS to the API, and network policies that allow exactly what each pod needs."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from services.config import DEFAULT_API_PORT, DEFAULT_PORTS
from tests.integration.test_deploy_k8s import WORKERS, of_kind

SETTINGS = of_kind("ConfigMap")["hrcase-settings"]["data"]


def pods() -> dict[str, dict[str, Any]]:
    """Every pod template (the Deployments' and the Jobs'), by its workload's name."""
    return {name: doc["spec"]["template"] for kind in ("Deployment", "Job") for name, doc in of_kind(kind).items()}


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return pod["spec"].get("initContainers", []) + pod["spec"]["containers"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels, matchExpressions with In/NotIn/Exists) against a pod's labels."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if (op == "In" and labels.get(key) not in values) or (op == "NotIn" and labels.get(key) in values) \
                or (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


def test_intake_casework_and_sla_monitor_run_two_replicas_spread_over_nodes_with_a_budget_below_them() -> None:
    budgets = of_kind("PodDisruptionBudget")
    for name, deployment in of_kind("Deployment").items():
        replicas = deployment["spec"]["replicas"]
        assert replicas >= 2, name
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selects(deployment["spec"]["selector"], labels)
        (budget,) = [b for b in budgets.values() if selects(b["spec"]["selector"], labels)]
        assert 1 <= budget["spec"]["minAvailable"] < replicas, name  # a drain can proceed, never to zero
        (term,) = deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
            "preferredDuringSchedulingIgnoredDuringExecution"]
        assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
        assert selects(term["podAffinityTerm"]["labelSelector"], labels), name
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_every_container_requests_cpu_and_memory_caps_memory_and_runs_unprivileged_read_only() -> None:
    for name, pod in pods().items():
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True, name
        assert pod["spec"]["automountServiceAccountToken"] is False, name
        for container in containers(pod):
            where = f"{name}/{container['name']}"
            assert set(container["resources"]["requests"]) == {"cpu", "memory"}, where
            assert "memory" in container["resources"]["limits"], where
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, where
            assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}, where


def test_secrets_reach_every_pod_as_files_named_by_the_settings_and_never_as_variables() -> None:
    secret = of_kind("Secret")["hrcase-secrets"]
    files = {k: PurePosixPath(v) for k, v in SETTINGS.items() if k.endswith("_FILE")}
    assert set(files) >= {"HRCASE_IDENTITY_KEY_FILE", "HRCASE_DATABASE_PASSWORD_FILE"}
    assert {path.name for path in files.values()} <= set(secret["stringData"])
    assert make_url(SETTINGS["HRCASE_DATABASE_URL"]).password is None  # the password is only in the file
    for name, pod in pods().items():
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        for container in containers(pod):
            assert all("secretRef" not in ref for ref in container.get("envFrom", [])), name
            assert all("valueFrom" not in var for var in container.get("env", [])), name
            mounts = {PurePosixPath(m["mountPath"]): volumes[m["name"]] for m in container["volumeMounts"]}
            for setting, path in files.items():
                volume = mounts.get(path.parent)
                assert volume and volume["secret"]["secretName"] == "hrcase-secrets", (name, container["name"],
                                                                                       setting)


def test_migrations_run_as_a_job_and_workers_wait_for_it_instead_of_migrating() -> None:
    assert SETTINGS["HRCASE_MIGRATE"] == "no"
    job = of_kind("Job")["hrcase-db-upgrade"]["spec"]["template"]["spec"]
    assert job["containers"][0]["args"] == ["db", "upgrade"]
    for name in WORKERS:
        (init,) = of_kind("Deployment")[name]["spec"]["template"]["spec"]["initContainers"]
        assert init["args"][:2] == ["db", "check"] and "--wait" in init["args"], name
        assert init["envFrom"] == [{"configMapRef": {"name": "hrcase-settings"}}]


def test_topics_get_their_replication_and_min_insync_replicas_from_the_settings() -> None:
    replication = int(SETTINGS["HRCASE_KAFKA_REPLICATION_FACTOR"])
    assert 1 <= int(SETTINGS["HRCASE_KAFKA_MIN_INSYNC_REPLICAS"]) < replication  # one broker may be down
    job = of_kind("Job")["hrcase-topics-create"]["spec"]["template"]["spec"]["containers"][0]
    assert job["args"] == ["topics", "create"]
    assert job["envFrom"] == [{"configMapRef": {"name": "hrcase-settings"}}]


def test_services_select_their_workers_and_the_ingress_serves_the_api_over_tls() -> None:
    deployments = of_kind("Deployment")
    services = of_kind("Service")
    for service in services.values():
        selector = {"matchLabels": service["spec"]["selector"]}
        targets = [d for d in deployments.values() if selects(selector, d["spec"]["template"]["metadata"]["labels"])]
        assert len(targets) == 1, service["metadata"]["name"]
        ports = {p["name"]: p["containerPort"] for c in targets[0]["spec"]["template"]["spec"]["containers"]
                 for p in c["ports"]}
        for port in service["spec"]["ports"]:
            assert ports[port["targetPort"]] == port["port"], service["metadata"]["name"]
    (ingress,) = of_kind("Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    assert any(rule["host"] in tls["hosts"] and tls["secretName"] for tls in ingress["spec"]["tls"])
    (path,) = rule["http"]["paths"]
    backend = path["backend"]["service"]
    assert path["path"] == "/" and path["pathType"] == "Prefix"  # the API, /web and its static files
    api = services[backend["name"]]
    (port,) = [p for p in api["spec"]["ports"] if p["name"] == backend["port"]["name"]]
    assert port["port"] == DEFAULT_API_PORT


def allowed(direction: str, labels: dict[str, str]) -> set[tuple[str, str, object]]:
    """(peer namespace or "*", protocol, port) that the namespace's policies let a pod with `labels` reach (egress)
    or be reached from (ingress)."""
    policy_type, key, peers = ("Egress", "egress", "to") if direction == "egress" else ("Ingress", "ingress", "from")
    out: set[tuple[str, str, object]] = set()
    for policy in of_kind("NetworkPolicy").values():
        spec = policy["spec"]
        if policy_type not in spec["policyTypes"] or not selects(spec["podSelector"], labels):
            continue
        for rule in spec.get(key, []):
            namespaces = [p.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name",
                                                                                     "*") for p in rule.get(peers, [])]
            for namespace in namespaces or ["*"]:
                out |= {(namespace, p.get("protocol", "TCP"), p["port"]) for p in rule["ports"]}
    return out


def test_network_policies_deny_by_default_and_allow_what_each_pod_needs() -> None:
    deny = of_kind("NetworkPolicy")["hrcase-default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    kafka = urlsplit("//" + SETTINGS["HRCASE_KAFKA_BOOTSTRAP"].split(",")[0])
    database = make_url(SETTINGS["HRCASE_DATABASE_URL"])
    dns = {("kube-system", "UDP", 53), ("kube-system", "TCP", 53)}
    broker = ("kafka", "TCP", kafka.port)
    assert (kafka.hostname or "").split(".")[1] == "kafka"  # the namespace the policy names is the bootstrap's
    postgres = ("postgres", "TCP", database.port)
    assert (database.host or "").split(".")[1] == "postgres"
    for name, pod in pods().items():
        labels = pod["metadata"]["labels"]
        egress = allowed("egress", labels)
        assert dns | {broker} <= egress, name
        assert (postgres in egress) == (name != "hrcase-topics-create"), name  # only what uses the database
    for name, service in WORKERS.items():
        labels = of_kind("Deployment")[name]["spec"]["template"]["metadata"]["labels"]
        ingress = allowed("ingress", labels)
        assert ("monitoring", "TCP", "metrics") in ingress, name
        assert (("ingress-nginx", "TCP", "api") in ingress) == (service == "casework"), name
        container = of_kind("Deployment")[name]["spec"]["template"]["spec"]["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == DEFAULT_PORTS[service]
        assert {p for _ns, _proto, p in ingress} <= set(ports), name  # named ports that the container has
    casework = of_kind("Deployment")["hrcase-casework"]["spec"]["template"]["metadata"]["labels"]
    assert {("*", "TCP", 587), ("*", "TCP", 443)} <= allowed("egress", casework)  # alert e-mails and webhooks
    assert not {p for _ns, _proto, p in allowed("egress", of_kind("Deployment")["hrcase-intake"]["spec"][
        "template"]["metadata"]["labels"])} & {25, 443, 465, 587}


def test_prometheus_sees_a_worker_that_is_not_ready_since_that_is_when_its_metrics_matter() -> None:
    metrics = {name: doc for name, doc in of_kind("Service").items() if name.endswith("-metrics")}
    assert len(metrics) == len(WORKERS)
    for name, doc in metrics.items():
        assert doc["spec"].get("clusterIP") == "None", name
        assert doc["spec"].get("publishNotReadyAddresses") is True, name
