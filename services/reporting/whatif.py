"""The SLA monitor's pure rules replayed over case events under any policy (for the what-if, and to check)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from services.reporting.domain.compliance import build_report
from services.reporting.domain.events import Event, History
from services.reporting.domain.model import Report, Scope, Targets
from services.reporting.domain.whatif import WhatIf
from services.sla_monitor.domain.clocks import CASE_EVENT_TYPES, CaseEvent, Clock, apply_event, fire_all
from services.sla_monitor.domain.events import SlaEvent
from services.sla_monitor.domain.policy import Policy


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
    by_case: dict[str, list[Event]] = {}
    for event in sorted(case_events, key=lambda e: e.offset):
        if event.type in CASE_EVENT_TYPES and event.occurred_at <= as_of:
            by_case.setdefault(event.payload["case_id"], []).append(event)
    emitted: dict[str, SlaEvent] = {}
    for events in by_case.values():
        clocks: dict[str, Clock] = {}
        for event in events:
            clocks, fired, _ = apply_event(clocks, CaseEvent(event.type, event.occurred_at, event.payload), policy)
            emitted.update((e.event_id, e) for e in fired if e.event_id not in emitted)
        clocks, fired = fire_all(clocks, as_of, policy)
        emitted.update((e.event_id, e) for e in fired if e.event_id not in emitted)
    return tuple(Event(e.type, e.occurred_at, e.case_id, e.payload(), 0, e.event_id)
                 for e in sorted(emitted.values(), key=lambda e: (e.occurred_at, e.case_id, e.clock)))


def make_report(history: History, scope: Scope, policy: Policy, other: Policy | None = None,
                other_source: str = "") -> Report:
    """The compliance report under the installation's policy, with the what-if section if `other` is given."""
    what_if = None
    if other is not None:
        what_if = WhatIf(targets_of(other), replay(history.case_events, scope.as_of, other), other_source)
    return build_report(history, scope, targets_of(policy), what_if)
