"""sla_monitor's gauges, read from its clocks at scrape time so that they are right after a restart."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.vocabulary import CLOCKS
from services.messaging.sqlite import reading
from services.metrics import Metrics, filled, register_backlog
from services.sla_monitor.adapters import repository
from services.sla_monitor.bootstrap import SlaMonitor


def register(metrics: Metrics, monitor: SlaMonitor, offices: Sequence[str]) -> None:
    """Open breaches and running clocks by clock and office, and the outbox."""

    def by_office(counts: dict[tuple[str, str], int]) -> list[tuple[tuple[str, ...], float]]:
        bounded: dict[tuple[str, ...], float] = {}
        for (clock, office), n in counts.items():
            key = (clock, metrics.office(office))
            bounded[key] = bounded.get(key, 0) + n
        return filled(bounded, CLOCKS, offices)

    def running() -> list[tuple[tuple[str, ...], float]]:
        with reading(monitor.engine) as conn:
            return by_office(repository.running_by_clock(conn))

    metrics.gauge("hrcase_sla_open_breaches", "Running SLA clocks past their goal, by clock and office.",
                  ["clock", "office"], lambda: by_office(monitor.open_breaches()))
    metrics.gauge("hrcase_sla_clocks_running", "Running SLA clocks, by clock and office.", ["clock", "office"],
                  running)
    register_backlog(metrics, "sla_monitor", monitor.engine, monitor.mailboxes)
