"""Case events for sla_monitor tests, valid per schemas/case.py, and the pure domain driven like the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import decode
from schemas.registry import load_payload
from schemas.topics import CASE_EVENTS
from services.messaging.ports import Outgoing
from services.messaging.processing import emit
from services.sla_monitor.domain.clocks import CaseEvent, Clock, apply_event, fire_all
from services.sla_monitor.domain.events import SlaEvent
from services.sla_monitor.domain.policy import Policy
from services.sla_monitor.domain.schedules import Schedule

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
CASE = "c-0001"
USEC = timedelta(microseconds=1)

STAGE_AFTER = {"CaseRegistered": "reported", "StageChanged": "investigation", "ClosureRequested": "closure_requested",
               "ClosureApproved": "closed", "CaseClosedWithoutApproval": "closed", "ClosureRejected": "investigation",
               "CaseReopened": "investigation", "CaseMerged": "closed"}
EXTRA: dict[str, dict[str, Any]] = {
    "CaseRegistered": {"incident_key": "sitrep-1#1", "sitrep_id": "sitrep-1", "location": "Sévaré",
                       "violation_types": ["killing"], "perpetrator_category": "armed_group", "victims": {}},
    "ActivityLogged": {"description": "interviewed a witness"},
    "StageChanged": {"previous_stage": "preliminary"},
    "DelayJustified": {"reason": "security"},
    "ClosureRequested": {"previous_stage": "concluded", "reason": "concluded", "note": "findings published"},
    "ClosureApproved": {"proposer": "hro1"},
    "CaseClosedWithoutApproval": {"previous_stage": "investigation", "reason": "concluded", "source": "history.csv"},
    "ClosureRejected": {"proposer": "hro1", "note": "follow-up missing"},
    "FollowUpRecorded": {"kind": "advocacy"},
    "CaseReopened": {"reason": "new information"},
    "AlertAcknowledged": {"alert_id": "a-1"},
    "CaseMerged": {"pair_id": "p-1", "previous_stage": "investigation", "into_case_id": "c-0009",
                   "into_reference": "MOP-2024-0009"},
    "DuplicateAbsorbed": {"pair_id": "p-1", "from_case_id": "c-0008", "from_reference": "MOP-2024-0008"},
    "DuplicateDismissed": {"pair_id": "p-1", "other_case_id": "c-0008", "other_reference": "MOP-2024-0008",
                           "note": "two incidents"},
}


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def envelope(type_: str, at: datetime, case_id: str = CASE, **fields: Any) -> Outgoing:
    """A case event as casework emits it (stage defaults to the usual stage after that event)."""
    payload: dict[str, Any] = {
        "case_id": case_id, "reference": f"MOP-2024-{case_id[-4:]}", "office": "Mopti",
        "stage": STAGE_AFTER.get(type_, "preliminary"), "actor": "hro1", "assignee": None, **EXTRA.get(type_, {}),
    }
    if type_ == "CaseRegistered":
        payload |= {"reported_at": at, "occurred_at": at - timedelta(days=1)}
    if type_ == "CaseRecorded":
        payload["reported_at"] = at - timedelta(days=1)
    if type_ == "DelayJustified":
        payload["until"] = at + timedelta(days=10)
    payload |= fields
    return emit(CASE_EVENTS, type_, occurred_at=at, key=case_id, producer="casework", payload=payload)


def case_event(type_: str, at: datetime, case_id: str = CASE, **fields: Any) -> CaseEvent:
    """The same event as the handler hands it to the domain: decoded and loaded by its schema."""
    env = decode(envelope(type_, at, case_id, **fields).value)
    return CaseEvent(env.type, env.occurred_at, load_payload(env.type, env.version, env.payload))


class Run:
    """Clocks of many cases, events applied in order and ticks, collecting every SLA event emitted."""

    def __init__(self, policy: Policy | None = None):
        self.policy = policy or Policy()
        self.clocks: dict[str, dict[str, Clock]] = {}
        self.emitted: list[SlaEvent] = []
        self.schedules: list[Schedule] = []  # every schedule the events published, in order

    def apply(self, event: CaseEvent) -> list[SlaEvent]:
        case_id = event.payload["case_id"]
        self.clocks[case_id], out, scheduled = apply_event(self.clocks.get(case_id, {}), event, self.policy)
        self.emitted.extend(out)
        self.schedules.extend(scheduled)
        return out

    def tick(self, t: datetime) -> list[SlaEvent]:
        """Like the service's tick: only clocks whose stored `next_due` has come are looked at."""
        out: list[SlaEvent] = []
        for clocks in self.clocks.values():
            due = {n: c for n, c in clocks.items() if c.running and c.next_due is not None and c.next_due <= t}
            fired, events = fire_all(due, t, self.policy)
            clocks.update(fired)
            out.extend(events)
        self.emitted.extend(out)
        return out

    def copy(self) -> Run:
        twin = Run(self.policy)
        twin.clocks = {case_id: dict(clocks) for case_id, clocks in self.clocks.items()}
        twin.emitted = list(self.emitted)
        twin.schedules = list(self.schedules)
        return twin

    def clock(self, name: str, case_id: str = CASE) -> Clock:
        return self.clocks[case_id][name]


def levels(events: list[SlaEvent]) -> list[tuple[str, str, int]]:
    return [(e.clock, e.level, e.period) for e in events]
