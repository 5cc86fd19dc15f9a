"""The read-side benchmark's data: N cases with their history written straight into a migrated casework database.

Every row goes through the services' own code: each case is registered by casework's `register_case` (its
CaseRegistered event emitted and validated, its sealed identities, its reference number), its later events are what
the workflow's `decide` makes of officers' commands, folded by `apply`, each emitted and kept in its history as
casework keeps it; the monitor's schedules are `Schedule`s as casework holds them, the alerts are what the alert
rules open and fold, and everything is written by casework's `BatchCases.flush`, which also writes the read model
(`summaries.add`). So any other index casework feeds from the same place (search, say) is filled the same way. Only
the pipeline is skipped: no Kafka, no outbox, no monitor. Deterministic for a seed.

This makes about 500-1,200 cases a second. Beyond a base of 50,000 (`bench/readpath.py --base`), the benchmark
copies the base in SQL instead (bench/readcopy.py, which says what is copied and what is made afresh): a million
cases in minutes, not the hour this would take.
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from reference.gazetteer import AdminUnit, gazetteer
from services.casework import handlers
from services.casework.adapters import repository as repo
from services.casework.adapters import search_index
from services.casework.domain import alerts as alert_rules
from services.casework.domain import commands as c
from services.casework.domain.case import Case, apply
from services.casework.domain.roles import User
from services.casework.domain.schedules import Schedule
from services.casework.domain.workflow import decide
from services.config import DEFAULT_OFFICES
from services.reporting.simulation.generator import PERPETRATORS, SOURCES, VIOLATIONS
from services.sla_monitor.adapters import policy_file
from services.vault import IdentityVault
from sitreps.key import incident_key

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)  # the history's "now": the served clock is fixed at it
SPAN = timedelta(days=730)  # cases reported over the two years before NOW
CHUNK = 2000  # cases per transaction
DAY = timedelta(days=1)
# The regions each office covers (gazetteer names, accents aside), and how many of the division's cases it gets.
REGIONS = {"Bamako": ("bamako", "koulikoro", "kayes", "sikasso", "segou"),
           "Mopti": ("mopti", "douentza", "bandiagara", "san"), "Gao": ("gao",),
           "Timbuktu": ("tombouctou", "taoudenit"), "Kidal": ("kidal",), "Menaka": ("menaka",)}
WEIGHTS = {"Bamako": 15, "Mopti": 35, "Gao": 20, "Timbuktu": 15, "Kidal": 8, "Menaka": 7}
PHRASES = ("Witnesses describe the attack at dawn near the market.", "The victims were taken from their homes.",
           "Local leaders reported the events to the office.", "Shops and granaries were burned.",
           "Several families fled towards the town.", "A convoy was stopped on the road.")
PASSWORD = "bench-readpath-password-1"
# What else casework keeps of a case that `BatchCases.flush` does not write: an index fed from `summaries.change` or
# a command's history rather than from registration (search over activity notes, say) is filled here, by calling the
# same adapter function casework calls, with each chunk's cases as their whole history left them and its history rows.
AFTER_CHUNK: list[Callable[[Connection, Sequence[Case], Sequence[dict[str, Any]]], None]] = []


def _plain(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(ch) != "Mn")


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


@dataclass
class Staff:
    """The division's people: a Team Leader and HROs per office, two Directors (four eyes on closures)."""

    users: dict[str, User] = field(default_factory=dict)
    hros: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def for_size(cls, cases: int) -> Staff:
        staff = cls()
        per_office = max(3, min(400, cases // 2500))  # about 2,500 cases an officer over two years
        for office in DEFAULT_OFFICES:
            slug = office.lower()
            staff.users[f"{slug}.tl"] = User(f"{slug}.tl", "team_leader", office, f"Team Leader {office}")
            names = [f"{slug}.hro{n}" for n in range(1, per_office + 1)]
            staff.hros[office] = names
            for name in names:
                staff.users[name] = User(name, "hro", office, name)
        for name in ("director", "deputy"):
            staff.users[name] = User(name, "director", "Bamako", name.title())
        return staff


class _Batch(repo.BatchCases):
    """Casework's batch, holding each registered case until its later events are folded in: the row written is the
    case as its whole history leaves it (what `update_case` would have written after each command)."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: Case | None = None

    def insert_case(self, case: Case) -> None:
        self.pending = case

    def settle(self, case: Case) -> None:
        super().insert_case(case)
        self.pending = None


class Generator:
    """Draws each case's incident, fate and dates from a seeded random stream; writes them by chunks."""

    def __init__(self, cases: int, seed: int = 21, now: datetime = NOW):
        self.cases, self.rng, self.now = cases, random.Random(seed), now
        self.staff = Staff.for_size(cases)
        self.vault = IdentityVault.generate()
        self.sealed = self.vault.seal({})  # no names in a benchmark: every case holds the same sealed empty record
        policy = policy_file.load()
        self.recording, self.stall = policy.recording, policy.stall
        self.closure_days = policy.closure_approval.goal_days
        places = gazetteer()
        regions = {_plain(r.name): r for r in places.regions()}
        self.communes: dict[str, list[AdminUnit]] = {}
        for office, names in REGIONS.items():
            # The finest units the gazetteer has inside the office's regions (cercles), and the regions themselves.
            self.communes[office] = [u for u in places if any(u.pcode.startswith(regions[n].pcode)
                                                              for n in names if n in regions)]
        self.numbers: dict[str, int] = {}

    # -- one case ------------------------------------------------------------------------------------------------
    def incident(self, n: int) -> dict[str, Any]:
        rng = self.rng
        office = rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
        reported = self.now - timedelta(seconds=rng.randint(3600, int(SPAN.total_seconds())))
        reported = reported.replace(microsecond=0)
        year, week, _ = reported.isocalendar()
        sitrep = f"SR-{office[:3].upper()}-{year}-W{week:02d}"
        self.numbers[sitrep] = self.numbers.get(sitrep, 0) + 1
        unit = rng.choice(self.communes[office])
        free = rng.random() < 0.1
        kinds = sorted({_pick(rng, VIOLATIONS) for _ in range(1 if rng.random() < 0.8 else 2)})
        place = f"near {unit.name}" if free else unit.name
        hros = self.staff.hros[office]
        return {
            "incident_key": incident_key(sitrep, self.numbers[sitrep]), "sitrep_id": sitrep, "office": office,
            "reported_at": reported, "occurred_at": reported - timedelta(minutes=rng.randint(60, 6 * 24 * 60)),
            "location": place, "place_pcode": None if free else unit.pcode, "place_free_text": free,
            "latitude": None, "longitude": None, "people": [], "acts": [],
            "violation_types": kinds, "perpetrator_category": _pick(rng, PERPETRATORS),
            "victims": {"female_adult": rng.choice((0, 0, 1)), "male_adult": rng.choice((1, 1, 2, 3))},
            "source_type": _pick(rng, SOURCES), "possible_duplicates": [],
            "summary": (f"Alleged {' and '.join(k.replace('_', ' ') for k in kinds)} in {place} ({office}). "
                        f"{rng.choice(PHRASES)} Case {n}."),
            "identities": self.sealed, "assignee": rng.choice(hros) if rng.random() < 0.8 else None,
        }

    def fate(self, reported: datetime) -> str:
        """The stage the case has reached by now: recent ones are still being recorded, old ones mostly closed."""
        age = (self.now - reported) / DAY
        if age < 10:
            return self.rng.choices(("reported", "preliminary"), (45, 55))[0]
        return self.rng.choices(("reported", "preliminary", "investigation", "concluded", "closure_requested",
                                 "closed"), (1, 8, 22, 5, 4, 60))[0]

    def history(self, case: Case, fate: str) -> tuple[Case, list[Any]]:
        """The commands officers gave, as the workflow decides them; returns the case as they left it, its events."""
        rng, users = self.rng, self.staff.users
        tl, office = users[f"{case.office.lower()}.tl"], case.office
        events: list[Any] = []
        at = case.registered_at
        latest = self.now - timedelta(minutes=5)

        def step(command: c.Command, actor: User, gap_days: float, when: datetime | None = None) -> None:
            nonlocal case, at
            at = when or min(latest, at + timedelta(minutes=rng.randint(10, max(11, int(gap_days * 1440)))))
            for event in decide(case, command, actor, at, users.get(getattr(command, "assignee", "")) or None):
                case = apply(case, event)
                events.append(event)

        def recent() -> tuple[Case, list[Any]]:
            """An open case's latest activity: within its stall goal for most, past it for about one in five."""
            goal = self.stall.goal_days[case.stage]
            when = (self.now - timedelta(minutes=rng.randint(30, int(goal * 1.25 * 1440)))).replace(microsecond=0)
            if when > at:
                step(c.LogActivity(case.case_id, case.assignee or "", "Called the source back."),
                     users[case.assignee or ""], 0, when)
            return case, events

        if fate == "reported":
            return case, events
        if case.assignee is None:
            step(c.AssignCase(case.case_id, tl.username, rng.choice(self.staff.hros[office])), tl, 1)
        hro = users[case.assignee or ""]
        step(c.RecordCase(case.case_id, hro.username, "Recorded."), hro, rng.choice((1, 2, 3, 3, 5, 8)))
        for _ in range(rng.randint(0, 2)):
            step(c.LogActivity(case.case_id, hro.username, "Interviewed a witness."), hro, 20)
        if fate == "preliminary":
            return recent()
        if fate == "closure_requested" and rng.random() < 0.5:  # closed early: unsubstantiated
            step(c.RequestClosure(case.case_id, hro.username, "unsubstantiated", "Not corroborated."), hro, 10)
            return case, events
        step(c.AdvanceStage(case.case_id, hro.username, "investigation"), hro, 20)
        for _ in range(rng.randint(0, 3)):
            step(c.LogActivity(case.case_id, hro.username, "Visited the site."), hro, 40)
        if fate == "investigation":
            return recent()
        step(c.AdvanceStage(case.case_id, hro.username, "concluded", "Findings written."), hro, 40)
        if fate == "concluded":
            return recent()
        step(c.RequestClosure(case.case_id, hro.username, "concluded", "Findings shared."), hro, 15)
        if fate == "closed":
            director = users[rng.choice(("director", "deputy"))]
            step(c.ApproveClosure(case.case_id, director.username), director, 6)
        return case, events

    def schedules(self, case: Case) -> list[Schedule]:
        """The monitor's latest schedule of each clock of the case, per the shipped SLA policy."""
        out = []
        goal = case.reported_at + timedelta(days=self.recording.goal_days)
        recorded = case.recorded_at
        out.append(Schedule(case.case_id, "recording", "1", "stopped" if recorded else "running", case.reported_at,
                            goal, case.reported_at + timedelta(days=self.recording.warning_days),
                            case.reported_at + timedelta(days=self.recording.escalate_days), None, recorded,
                            ("met" if recorded <= goal else "missed") if recorded else None, "2024.1"))
        if case.stage in self.stall.goal_days:
            start = case.last_activity_at or case.registered_at
            due = start + timedelta(days=self.stall.goal_days[case.stage])
            paused = (case.delay or {}).get("until")
            out.append(Schedule(case.case_id, "stall", f"{case.stage}-1", "running", start, due, due, None, paused,
                                None, None, "2024.1"))
        if case.stage == "closure_requested":
            start = (case.closure or {})["requested_at"]
            due = start + timedelta(days=self.closure_days)
            out.append(Schedule(case.case_id, "closure_approval", "1", "running", start, due, due, None, None, None,
                                None, "2024.1"))
        return out

    def alerts(self, case: Case, clocks: list[Schedule]) -> Iterator[alert_rules.Alert]:
        """What the monitor's warnings and breaches of each running clock opened, as the alert rules fold them."""
        for s in clocks:
            if not s.running or self.now < s.warn_at:
                continue
            base = {"case_id": case.case_id, "reference": case.reference, "office": case.office, "clock": s.clock,
                    "assignee": case.assignee, "stage": case.stage, "period": 1}
            events = []
            if s.clock == "recording" and s.warn_at < s.due_at:
                role = "hro" if case.assignee else "team_leader"
                events.append(("SlaWarning", {**base, "recipient_role": role, "due_at": s.warn_at}, s.warn_at))
            if self.now >= s.due_at:
                role = "director" if s.clock == "closure_approval" else "team_leader"
                events.append(("SlaBreached", {**base, "recipient_role": role, "due_at": s.due_at}, s.due_at))
            if s.escalate_at is not None and self.now >= s.escalate_at:
                events.append(("SlaEscalated", {**base, "recipient_role": "director", "due_at": s.due_at},
                               s.escalate_at))
            alert = None
            for n, (kind, payload, at) in enumerate(events):
                if alert is None:
                    alert = alert_rules.from_sla_event(f"sla-{case.case_id}-{s.clock}-{n}", kind, payload, at)
                else:
                    alert = alert_rules.fold(alert, kind, payload, at)
            if alert is not None:
                yield alert

    # -- writing --------------------------------------------------------------------------------------------------
    def write(self, engine: Engine, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
        started = time.perf_counter()
        with engine.begin() as conn:
            for user in self.staff.users.values():
                repo.save_user(conn, user)
        events = alerts = done = 0
        while done < self.cases:
            size = min(CHUNK, self.cases - done)
            with engine.begin() as conn:
                batch = _Batch()
                drawn = [self.incident(n) for n in range(done, done + size)]
                batch.prefetch(conn, [i["incident_key"] for i in drawn])  # as casework's handler reads ahead
                for incident in drawn:
                    handlers.register_case(conn, incident, incident["reported_at"] + timedelta(minutes=2),
                                           self.vault, batch)
                    assert batch.pending is not None
                    case, later = self.history(batch.pending, self.fate(incident["reported_at"]))
                    batch.append_history(handlers._history_rows(later, [handlers._emit(e) for e in later]))
                    batch.settle(case)
                    clocks = self.schedules(case)
                    for schedule in clocks:
                        batch.schedules.add(schedule)
                    for alert in self.alerts(case, clocks):
                        batch.alerts.add(alert)
                        alerts += 1
                    events += 1 + len(later)
                written, rows = list(batch.new), list(batch.history)
                batch.flush(conn)
                search_index.note(conn, rows)  # the officers' notes, as repository.append_history indexes them
                for hook in AFTER_CHUNK:
                    hook(conn, written, rows)
            done += size
            if progress:
                progress(done)
        return {"cases": done, "events": events, "alerts": alerts, "users": len(self.staff.users),
                "seconds": time.perf_counter() - started}
