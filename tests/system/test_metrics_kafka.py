"""The faust workers' /metrics on Kafka and PostgreSQL: values match the run (incidents, cases, breaches, alerts,
lag per partition), and workers killed and restarted serve the same gauges with their counters started again."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.system.kafka_cluster import REPO, Stack, Worker, kafka_stack, wait_for

EXAMPLES = REPO / "examples" / "sitreps"
FILES = sorted(EXAMPLES.glob("*.jsonl")) + sorted(EXAMPLES.glob("*.csv"))
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
GAUGES = {"casework": ("hrcase_open_cases", "hrcase_closures_pending", "hrcase_alerts_unacknowledged",
                       "hrcase_open_case_oldest_activity_timestamp_seconds", "hrcase_outbox_backlog"),
          "sla-monitor": ("hrcase_sla_open_breaches", "hrcase_sla_clocks_running", "hrcase_outbox_backlog")}


def scrape(worker: Worker) -> Samples:
    status, page = worker.get("/metrics", timeout=15)
    assert status == 200, page
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(page) for s in family.samples}


def total(samples: Samples, name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


def series(samples: Samples, name: str) -> Samples:
    return {k: v for k, v in samples.items() if k[0] == name}


def lag_is_zero(worker: Worker) -> bool:
    lag = series(scrape(worker), "hrcase_consumer_lag")
    return bool(lag) and sum(lag.values()) == 0


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_worker_metrics_match_the_run_and_gauges_come_back_after_a_kill(kafka_bootstrap: str, postgres_url: str,
                                                                        tmp_path: Path) -> None:
    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path) as stack:
        stack.cli("topics", "create")
        workers = {s: stack.worker(s) for s in ("intake", "casework", "sla-monitor")}
        for worker in workers.values():
            worker.wait_healthy()
        stack.cli("sitrep", "publish", *map(str, FILES))
        wait_for(lambda: stack.scalar("select count(*) from casework.cases") == 14, 120, "14 cases")
        # Reported in 2026 up to 13 Nov: every case is past its 8-day escalation, and casework has its alert.
        escalations = "select count(*) from casework.alerts where level = 'escalation'"
        wait_for(lambda: stack.scalar(escalations) == 14 and stack.quiet(), 120, "every escalation, all relayed")
        for worker in workers.values():  # the lag gauge is read at most every 5 s
            wait_for(lambda w=worker: lag_is_zero(w), 30, f"{worker.service} lag 0 on /metrics")
        intake, casework, sla = (scrape(workers[s]) for s in ("intake", "casework", "sla-monitor"))

        assert total(intake, "hrcase_incidents_received_total") == 16
        assert total(intake, "hrcase_incidents_accepted_total") == 14
        assert total(intake, "hrcase_incidents_rejected_total", reason="invalid") == 1
        assert total(intake, "hrcase_incidents_repeated_total") == 1
        assert total(intake, "hrcase_incidents_flagged_duplicate_total") == 1
        partitions = {dict(ls)["partition"] for (_n, ls) in series(intake, "hrcase_consumer_lag")}
        assert partitions == {str(tp.partition) for tp in stack.reader("sitrep-incidents").partitions}
        assert total(casework, "hrcase_cases_registered_total") == 14
        for office, n in (("Mopti", 5), ("Gao", 4), ("Timbuktu", 3), ("Bamako", 2)):
            assert total(casework, "hrcase_open_cases", office=office, stage="reported") == n
        assert total(casework, "hrcase_alerts_unacknowledged") == stack.scalar(
            "select count(*) from casework.alerts where acknowledged_at is null and resolved_at is null")
        breached = stack.scalar("select count(*) from sla_monitor.sla_clocks where running and periods_fired > 0")
        assert breached == 14
        assert total(sla, "hrcase_sla_open_breaches", clock="recording") == breached
        # SLA events are counted by casework as it receives them; recording delays by sla_monitor (none recorded).
        assert total(casework, "hrcase_sla_events_total", level="breach") == breached
        assert total(sla, "hrcase_recording_delay_seconds_count") == 0
        assert total(sla, "hrcase_event_processing_seconds_count", service="sla_monitor",
                     type="CaseRegistered") == 14

        restarted = restart(stack, workers, ("casework", "sla-monitor"))
        for service, names in GAUGES.items():
            before = casework if service == "casework" else sla
            after = scrape(restarted[service])
            for name in names:
                assert series(before, name), name
                assert series(after, name) == series(before, name), (service, name)
            assert total(after, "hrcase_sla_events_total") == 0
            assert total(after, "hrcase_event_processing_seconds_count") == 0


def restart(stack: Stack, workers: dict[str, Worker], services: tuple[str, ...]) -> dict[str, Worker]:
    """SIGKILL each, then start it again on the same port, and wait until its lag gauge is back."""
    out = {}
    for service in services:
        old = workers[service]
        old.kill()
        out[service] = stack.worker(service, old.port).wait_healthy()
        wait_for(lambda w=out[service]: lag_is_zero(w), 60, f"{service} lag back on /metrics")
    return out
