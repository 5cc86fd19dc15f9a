"""Casework's gauges, read from its database at scrape time so that they are right after a restart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from schemas.vocabulary import CLOCKS, STAGES
from services.casework.adapters import repository, schedules
from services.casework.bootstrap import Casework
from services.clock import Clock, SystemClock
from services.metrics import Metrics, filled, register_backlog

OPEN = tuple(s for s in STAGES if s != "closed")
ALERT_KINDS = (*CLOCKS, "possible_duplicate")
RECIPIENTS = ("hro", "team_leader", "director")
VERDICTS = ("met", "missed", "overdue", "pending")  # of a recording clock: see schedules.recording_goals


def register(metrics: Metrics, casework: Casework, offices: Sequence[str], clock: Clock | None = None) -> None:
    """Open cases by office and stage, closures pending, alerts not acknowledged, the oldest idle case, recording
    against its goal, outbox."""
    office = metrics.office
    now = (clock or SystemClock()).now

    def goals() -> list[tuple[str, str, int, datetime | None]]:
        return casework.read(lambda conn: schedules.recording_goals(conn, now()))

    def recording() -> list[tuple[tuple[str, ...], float]]:
        counts: dict[tuple[str, ...], float] = {}
        for o, verdict, n, _ in goals():
            counts[(office(o), verdict)] = counts.get((office(o), verdict), 0) + n
        return filled(counts, offices, VERDICTS)

    def oldest_overdue() -> list[tuple[tuple[str, ...], float]]:
        times: dict[tuple[str, ...], float] = {}
        for o, verdict, _, due in goals():
            if verdict == "overdue" and due is not None:
                times[(office(o),)] = min(times.get((office(o),), due.timestamp()), due.timestamp())
        return sorted(times.items())  # no zeros: a zero timestamp would read as fifty years overdue

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
    metrics.gauge("hrcase_recording_goal_incidents",
                  "Incidents by where their recording goal stands: met, missed, overdue (unrecorded past it), pending.",
                  ["office", "verdict"], recording)
    metrics.gauge("hrcase_recording_overdue_oldest_due_timestamp_seconds",
                  "Unix time the longest-overdue unrecorded incident fell due, by office.", ["office"], oldest_overdue)
    register_backlog(metrics, "casework", casework.engine, casework.mailboxes)
