"""The SLA monitor's pure rules replayed over case events under any policy (for the what-if, and to check)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from services.reporting.domain.compliance import build_report
from services.reporting.domain.events import Event, History
from services.reporting.domain.model import Report, Scope, Targets
from services.reporting.domain.whatif import WhatIf
from services.sla_monitor.domain.clocks import CASE_EVENT_TYPES, CaseEvent, Clock, apply_event, fire_all
from services.sla_monitor.domain.events import SlaEvent
from services.sla_monitor.domain.policy import Policy
from services.sla_monitor.domain.schedules import Schedule


def targets_of(policy: Policy) -> Targets:
    return Targets(
        policy_version=policy.version, recording_days=policy.recording.goal_days,
        stall_days=dict(policy.stall.goal_days), review_days=policy.review.goal_days,
        closure_days=policy.closure_approval.goal_days,
    )


def replay(case_events: Iterable[Event], as_of: datetime, policy: Policy) -> tuple[Event, ...]:
    """What sla_monitor emits for these case events under `policy`, had it ticked at `as_of` last.

    As the handler does: case events in log order, each case on its own, types it does not know skipped,
    and each crossing emitted once.
    """
    return replay_all(case_events, as_of, policy)[0]


def replay_all(case_events: Iterable[Event], as_of: datetime,
               policy: Policy) -> tuple[tuple[Event, ...], tuple[Event, ...]]:
    """The SLA events and the SlaScheduled events sla_monitor publishes for these case events under `policy`."""
    by_case: dict[str, list[Event]] = {}
    for event in sorted(case_events, key=lambda e: e.offset):
        if event.type in CASE_EVENT_TYPES and event.occurred_at <= as_of:
            by_case.setdefault(event.payload["case_id"], []).append(event)
    emitted: dict[str, SlaEvent] = {}
    published: list[Schedule] = []
    for events in by_case.values():
        clocks: dict[str, Clock] = {}
        for event in events:
            clocks, fired, scheduled = apply_event(clocks, CaseEvent(event.type, event.occurred_at, event.payload),
                                                   policy)
            emitted.update((e.event_id, e) for e in fired if e.event_id not in emitted)
            published.extend(scheduled)
        clocks, fired = fire_all(clocks, as_of, policy)
        emitted.update((e.event_id, e) for e in fired if e.event_id not in emitted)
    sla = tuple(Event(e.type, e.occurred_at, e.case_id, e.payload(), 0, e.event_id)
                for e in sorted(emitted.values(), key=lambda e: (e.occurred_at, e.case_id, e.clock)))
    # In each case's order (a later schedule of a clock replaces an earlier one), numbered as a log would.
    schedules = tuple(Event(s.type, s.occurred_at, s.case_id, s.payload(), n, s.event_id)
                      for n, s in enumerate(published, 1))
    return sla, schedules


def with_schedules(history: History, as_of: datetime, policy: Policy) -> History:
    """The history with the schedules the monitor publishes; a log written before it published them (or an
    export without them) gets them by replaying the monitor's own rules over its case events."""
    if history.schedules:
        return history
    return replace(history, schedules=replay_all(history.case_events, as_of, policy)[1])


def make_report(history: History, scope: Scope, policy: Policy, other: Policy | None = None,
                other_source: str = "") -> Report:
    """The compliance report under the installation's policy, with the what-if section if `other` is given."""
    what_if = None
    if other is not None:
        sla, schedules = replay_all(history.case_events, scope.as_of, other)
        what_if = WhatIf(targets_of(other), sla, other_source, schedules)
    return build_report(with_schedules(history, scope.as_of, policy), scope, targets_of(policy), what_if)
