"""Casework's gauges, read from its database at scrape time so that they are right after a restart."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.vocabulary import CLOCKS, STAGES
from services.casework.adapters import repository
from services.casework.bootstrap import Casework
from services.metrics import Metrics, filled, register_backlog

OPEN = tuple(s for s in STAGES if s != "closed")
ALERT_KINDS = (*CLOCKS, "possible_duplicate")
RECIPIENTS = ("hro", "team_leader", "director")


def register(metrics: Metrics, casework: Casework, offices: Sequence[str]) -> None:
    """Open cases by office and stage, closures pending, alerts not acknowledged, the oldest idle case, outbox."""
    office = metrics.office

    def open_cases() -> list[tuple[tuple[str, ...], float]]:
        counts: dict[tuple[str, ...], float] = {}
        for o, s, n in casework.read(repository.count_cases):
            if s != "closed":
                counts[(office(o), s)] = counts.get((office(o), s), 0) + n
        return filled(counts, offices, OPEN)

    def pending() -> list[tuple[tuple[str, ...], float]]:
        return [((o,), n) for (o, s), n in open_cases() if s == "closure_requested"]

    def alerts() -> list[tuple[tuple[str, ...], float]]:
        counts: dict[tuple[str, ...], float] = {}
        for o, kind, role, n in casework.read(repository.count_open_alerts):
            key = (office(o), kind, role)
            counts[key] = counts.get(key, 0) + n
        return filled(counts, offices, ALERT_KINDS, RECIPIENTS)

    def oldest() -> list[tuple[tuple[str, ...], float]]:
        times: dict[tuple[str, ...], float] = {}
        for o, s, at in casework.read(repository.oldest_activity):
            key, t = (office(o), s), at.timestamp()
            times[key] = min(times.get(key, t), t)
        return sorted(times.items())  # no zeros here: a zero timestamp would read as fifty years idle

    metrics.gauge("hrcase_open_cases", "Cases not closed, by office and stage.", ["office", "stage"], open_cases)
    metrics.gauge("hrcase_closures_pending", "Cases whose closure awaits a Director's decision.", ["office"],
                  pending)
    metrics.gauge("hrcase_alerts_unacknowledged", "Alerts neither acknowledged nor resolved.",
                  ["office", "kind", "recipient_role"], alerts)
    metrics.gauge("hrcase_open_case_oldest_activity_timestamp_seconds",
                  "Unix time of the last activity (or report) of the longest-idle open case, by office and stage.",
                  ["office", "stage"], oldest)
    register_backlog(metrics, "casework", casework.engine, casework.mailboxes)
