"""A case's next deadline and SLA state, from its own fields and the policy's goals: what lists sort by."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.casework.domain.case import Case

SLA_STATES = ("overdue", "due_soon", "on_track", "paused", "none")
OPEN = ("preliminary", "investigation", "concluded")


@dataclass(frozen=True)
class Goals:
    """The SLA policy's goals, as casework needs them (the composition root copies them from the policy)."""

    recording: timedelta = timedelta(days=4)
    recording_warning: timedelta = timedelta(days=3)
    stall: Mapping[str, timedelta] = field(default_factory=lambda: {
        "preliminary": timedelta(days=30), "investigation": timedelta(days=60), "concluded": timedelta(days=30)})
    review: timedelta = timedelta(days=90)
    closure_approval: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class Deadline:
    clock: str
    due_at: datetime
    soon_from: datetime  # from then on the deadline is "due soon"
    paused_until: datetime | None = None


def next_deadline(case: Case, goals: Goals) -> Deadline | None:
    """The earliest first-period deadline among the case's running clocks (the same anchors as sla_monitor)."""
    running = clocks(case, goals)
    return min(running, key=lambda d: d.due_at) if running else None


def clocks(case: Case, goals: Goals) -> list[Deadline]:
    """Every clock running on the case, each with its first-period deadline (what a case page shows)."""
    if case.stage == "reported":
        due = case.reported_at + goals.recording
        return [Deadline("recording", due, case.reported_at + goals.recording_warning)]
    if case.stage == "closure_requested" and case.closure:
        due = case.closure["requested_at"] + goals.closure_approval
        return [Deadline("closure_approval", due, due - goals.closure_approval / 4)]
    if case.stage not in OPEN:
        return []
    candidates = []
    anchor = case.last_activity_at or case.recorded_at or case.registered_at
    goal = goals.stall.get(case.stage)
    if goal is not None:
        due, paused = anchor + goal, None
        if case.delay and case.delay["at"] >= anchor and case.delay["until"] > case.delay["at"]:
            due += case.delay["until"] - case.delay["at"]  # a justified delay pauses the stall clock
            paused = case.delay["until"]
        candidates.append(Deadline("stall", due, due - goal / 4, paused))
    review_anchor = case.last_review_at or case.recorded_at or case.registered_at
    review_due = review_anchor + goals.review
    candidates.append(Deadline("review", review_due, review_due - goals.review / 4))
    return candidates


def sla_state(deadline: Deadline | None, now: datetime) -> str:
    if deadline is None:
        return "none"
    if deadline.paused_until is not None and now < deadline.paused_until:
        return "paused"
    if now >= deadline.due_at:
        return "overdue"
    return "due_soon" if now >= deadline.soon_from else "on_track"
