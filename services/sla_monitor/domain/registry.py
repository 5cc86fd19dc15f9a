"""The clock registry: one declaration per clock; the monitor, the policy file and the docs take their lists here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.vocabulary import OPEN_STAGES
from services.sla_monitor.domain.deadlines import (
    Schedule,
    per_stage_periods,
    repeating,
    warn_then_breach_then_escalate,
)
from services.sla_monitor.domain.policy import RecordingPolicy, RepeatingPolicy, StallPolicy

CLOSED = "closed"


@dataclass(frozen=True)
class ClockSpec:
    """What one clock is: when it runs, what moves it, who hears of it, when it falls due, and its policy section.

    `restarts` start a new episode (anchored at the event's time, or at its `anchor` field) when the stage after the
    event is one of `runs_in` (any stage if None), and otherwise only stop a running one; `stops` end it. Each maps the
    case event type to the reason an `SlaCleared` gives when that ends an episode that had crossed something.
    """

    name: str
    schedule: Schedule
    default: Any  # the policy section when a policy file has none (a clock added after the file was written)
    restarts: Mapping[str, str]
    stops: Mapping[str, str] = field(default_factory=dict)
    pauses: tuple[str, ...] = ()  # a justified delay: `until` in the payload
    anchor: str | None = None  # payload field the clock is anchored at, instead of the event's time
    runs_in: tuple[str, ...] | None = None
    recipients: Mapping[str, str] = field(
        default_factory=lambda: {"warning": "hro", "breach": "team_leader", "escalation": "director"})
    soon: float = 0.25  # without a warning threshold, "due soon" is this share of the goal before it is due


def _every_clock_stops_at_closure() -> dict[str, str]:
    # CaseClosedWithoutApproval is historical (ADR 0006); CaseMerged closes a duplicate into another case (ADR 0022).
    return {"ClosureApproved": CLOSED, "CaseClosedWithoutApproval": CLOSED, "CaseMerged": "merged"}


def _open_work(**more: str) -> dict[str, str]:
    return {"CaseRecorded": "recorded", "ClosureRejected": "closure rejected", "CaseReopened": "reopened", **more}


def _closing(**more: str) -> dict[str, str]:
    return {"ClosureRequested": "closure requested", **_every_clock_stops_at_closure(), **more}


DECLARED = (
    ClockSpec("recording", warn_then_breach_then_escalate, RecordingPolicy(),
              restarts={"CaseRegistered": "registered again"},
              stops={"CaseRecorded": "recorded", **_every_clock_stops_at_closure()}, anchor="reported_at"),
    ClockSpec("stall", per_stage_periods, StallPolicy(),
              restarts=_open_work(StageChanged="stage changed", ActivityLogged="activity logged",
                                  FollowUpRecorded="follow-up recorded"),
              stops=_closing(), pauses=("DelayJustified",), runs_in=OPEN_STAGES),
    ClockSpec("review", repeating, RepeatingPolicy(90), restarts=_open_work(CaseReviewed="reviewed"),
              stops=_closing(), runs_in=OPEN_STAGES),
    ClockSpec("closure_approval", repeating, RepeatingPolicy(7), restarts={"ClosureRequested": "closure requested"},
              stops={"ClosureRejected": "closure rejected", "CaseReopened": "reopened",
                     **_every_clock_stops_at_closure()},
              recipients={"breach": "director", "escalation": "director"}),
)
CLOCKS: dict[str, ClockSpec] = {spec.name: spec for spec in DECLARED}
ORDER = {name: i for i, name in enumerate(CLOCKS)}
# Case event types that move no clock but carry where the case stands (reference, office, stage, assignee).
CONTEXT_ONLY = ("CaseAssigned", "AlertAcknowledged", "DuplicateDismissed", "DuplicateAbsorbed")
