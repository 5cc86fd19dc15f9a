"""A simulated history: each incident's fate is drawn first, exactly as many as the profile says, then its dates.

Deterministic for a seed. Every constraint of a fate (recorded before or after the cut year, idle since it, closed
in time) becomes a window for its dates, so the counts hold by construction; the recording delays are then
adjusted, minute by minute, inside their windows until their mean is exactly the profile's.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from services.reporting.simulation.profile import OfficeSpec, Profile, ProfileError

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
GOAL = 4 * 24 * 60  # the recording goal, in minutes
PLACES = {"Bamako": ("Kati", "Commune IV", "Koulikoro", "Kangaba", "Ségou"),
          "Mopti": ("Djenné", "Bandiagara", "Koro", "Douentza", "Bankass", "Ténenkou", "Youwarou", "Sévaré"),
          "Gao": ("Ansongo", "Bourem", "Tessit", "Gao", "Almoustarat", "Tin-Hama"),
          "Timbuktu": ("Goundam", "Ber", "Niafunké", "Diré", "Gourma-Rharous", "Léré"),
          "Kidal": ("Tessalit", "Aguelhok", "Anefis", "Tin-Essako"),
          "Menaka": ("Anderamboukane", "Inekar", "Tidermène")}
VIOLATIONS = (("killing", 20), ("injury", 14), ("abduction", 10), ("arbitrary_detention", 14), ("torture", 6),
              ("sexual_violence", 5), ("threats_and_intimidation", 8), ("destruction_of_property", 8),
              ("attack_on_civilians", 6), ("forced_displacement", 4), ("recruitment_of_children", 3),
              ("enforced_disappearance", 2))
PERPETRATORS = (("armed_group", 45), ("community_militia", 20), ("state_armed_forces", 15),
                ("state_security_forces", 8), ("unidentified", 12))
SOURCES = (("victim", 20), ("direct_witness", 30), ("indirect_witness", 20), ("ngo", 12), ("media", 8),
           ("official", 10))
DELAY_REASONS = ("access_constraints", "security", "awaiting_information")


@dataclass
class Incident:
    office: OfficeSpec
    reported_at: datetime
    sitrep_id: str = ""
    number: int = 0
    hro: str = ""
    named: bool = True  # the sitrep names the officer
    fate: str = "unrecorded"
    delay: int = 0  # minutes from report to recording
    approved: bool = True  # a closed case: by a Director's decision, or not (imported history)
    follow_up: bool = False
    delay_reason: bool = False  # records a justified delay after its last activity
    row: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return self.sitrep_id, self.number


@dataclass
class History:
    incidents: list[dict[str, Any]]
    actions: list[dict[str, Any]]


def slug(office: str) -> str:
    return "".join(ch for ch in office.lower() if ch.isalnum())


def generate(profile: Profile) -> History:
    profile.check()
    rng = random.Random(profile.seed)
    gen = _Generator(profile, rng)
    incidents = gen.incidents()
    gen.fates(incidents)
    gen.delays([i for i in incidents if i.fate != "unrecorded"])
    actions = [a for i in incidents for a in gen.actions(i)]
    actions.sort(key=lambda a: (a["at"], a["sitrep_id"], a["incident_number"]))
    for a in actions:
        a["at"] = a["at"].isoformat()
    return History([i.row for i in incidents], actions)


class _Generator:
    def __init__(self, profile: Profile, rng: random.Random):
        self.p, self.rng = profile, rng
        self.cut_end = datetime(profile.cut_year + 1, 1, 1, tzinfo=UTC) - MINUTE
        self.stop = datetime.combine(profile.as_of, time(0), tzinfo=UTC) - HOUR  # nothing at or after as_of

    def incidents(self) -> list[Incident]:
        p, rng = self.p, self.rng
        fridays = [p.start + timedelta(days=d) for d in range((p.end - p.start).days + 1)
                   if (p.start + timedelta(days=d)).weekday() == 4]
        if not fridays:
            raise ProfileError(f"profile {p.name}: no Friday (situation report day) between start and end")
        weights = [o.weight for o in p.offices]
        drawn = sorted(((rng.choice(fridays), rng.choices(p.offices, weights)[0]) for _ in range(p.incidents)),
                       key=lambda d: (d[0], d[1].name))
        out: list[Incident] = []
        numbers: dict[str, int] = {}
        for friday, office in drawn:
            year, week, _ = friday.isocalendar()
            sitrep = f"SR-{slug(office.name)[:3].upper()}-{year}-W{week:02d}"
            numbers[sitrep] = numbers.get(sitrep, 0) + 1
            incident = Incident(office, datetime.combine(friday, time(16), tzinfo=UTC), sitrep, numbers[sitrep])
            incident.hro = f"{slug(office.name)}.hro{rng.randint(1, office.hros)}"
            incident.named = rng.random() < p.assigned_in_sitrep
            incident.row = self._row(incident)
            out.append(incident)
        return out

    def _row(self, i: Incident) -> dict[str, Any]:
        rng = self.rng
        occurred = i.reported_at - timedelta(minutes=rng.randint(24 * 60, 6 * 24 * 60))
        kinds = sorted({self._pick(VIOLATIONS) for _ in range(1 if rng.random() < 0.8 else 2)})
        place = rng.choice(PLACES.get(i.office.name, tuple(f"{i.office.name} district {n}" for n in range(1, 6))))
        victims = {g: (rng.choice((0, 0, 1, 1, 2, 3)) if g == "male_adult" else rng.choice((0, 0, 0, 1)))
                   for g in ("female_adult", "female_child", "male_adult", "male_child")}
        if not any(victims.values()):
            victims["male_adult"] = 1
        return {
            "sitrep_id": i.sitrep_id, "incident_number": i.number, "reported_at": i.reported_at.isoformat(),
            "occurred_at": occurred.isoformat(), "office": i.office.name, "location": place,
            "violation_types": ";".join(kinds), "perpetrator_category": self._pick(PERPETRATORS),
            **{f"victims_{g}": n or "" for g, n in victims.items()}, "victims_unknown": "",
            "source_type": self._pick(SOURCES),
            "summary": f"Alleged {' and '.join(k.replace('_', ' ') for k in kinds)} in {place} ({i.office.name}).",
            "assignee": i.hro if i.named else "",
        }

    def _pick(self, weighted: tuple[tuple[str, int], ...]) -> str:
        return self.rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]

    def fates(self, incidents: list[Incident]) -> None:
        """The most constrained outcomes first, each drawn from the incidents that can still reach it."""
        p, stop, cut = self.p, self.stop, self.cut_end
        free = list(incidents)

        def take(n: int, fate: str, fits: Any, prefer_late: bool = False) -> None:
            pool = [i for i in free if fits(i)]
            if len(pool) < n:
                raise ProfileError(f"profile {p.name}: only {len(pool)} incidents can be '{fate}', {n} wanted")
            if prefer_late:
                pool = sorted(pool, key=lambda i: i.reported_at)[-max(n, min(len(pool), 3 * n)):]
            for i in self.rng.sample(pool, n):
                i.fate = fate
                free.remove(i)

        take(p.investigation_idle_since_cut, "investigation_idle", lambda i: i.reported_at <= cut - 30 * DAY)
        take(p.preliminary_since_cut, "preliminary_old", lambda i: i.reported_at <= cut - 5 * DAY)
        take(p.closed, "closed", lambda i: i.reported_at <= stop - 120 * DAY)
        take(p.closure_requested, "closure_requested", lambda i: i.reported_at <= stop - 90 * DAY)
        take(p.concluded, "concluded", lambda i: i.reported_at <= stop - 60 * DAY)
        take(p.preliminary - p.preliminary_since_cut, "preliminary_new", lambda i: i.reported_at <= stop - 3 * DAY,
             prefer_late=True)
        take(p.investigation - p.investigation_idle_since_cut, "investigation_active",
             lambda i: i.reported_at <= stop - 20 * DAY)
        if len(free) != p.unrecorded:  # pragma: no cover - the profile check makes the counts add up
            raise ProfileError(f"profile {p.name}: {len(free)} incidents left unrecorded, {p.unrecorded} wanted")
        closed = [i for i in incidents if i.fate == "closed"]
        for i in self.rng.sample(closed, p.closed_without_approval):
            i.approved = False
        for i in self.rng.sample(closed, p.closed_with_follow_up):
            i.follow_up = True
        open_ = [i for i in incidents if i.fate.startswith(("preliminary", "investigation"))]
        for i in self.rng.sample(open_, p.delay_reasons):
            i.delay_reason = True

    def _window(self, i: Incident) -> tuple[int, int]:
        """Earliest and latest recording delay, in minutes, that this incident's fate allows."""
        latest = {"investigation_idle": self.cut_end - 20 * DAY, "preliminary_old": self.cut_end,
                  "closed": self.stop - 100 * DAY, "closure_requested": self.stop - 70 * DAY,
                  "concluded": self.stop - 45 * DAY, "investigation_active": self.stop - 10 * DAY,
                  }.get(i.fate, self.stop)
        earliest = self.cut_end + HOUR if i.fate == "preliminary_new" else i.reported_at + 30 * MINUTE
        lo, hi = _minutes(earliest - i.reported_at), _minutes(latest - i.reported_at)
        if lo > hi:
            raise ProfileError(f"profile {self.p.name}: no room to record {i.sitrep_id}#{i.number} as {i.fate}")
        return max(lo, 30), hi

    def delays(self, recorded: list[Incident]) -> None:
        """Exactly `within_goal` delays within four days; the others sampled, then nudged to the exact mean."""
        p, rng = self.p, self.rng
        windows = {id(i): self._window(i) for i in recorded}
        quick_pool = [i for i in recorded if windows[id(i)][0] <= GOAL]
        if len(quick_pool) < p.within_goal:
            raise ProfileError(f"profile {p.name}: only {len(quick_pool)} cases can be recorded within the goal")
        quick = set(map(id, rng.sample(quick_pool, p.within_goal)))
        slow = [i for i in recorded if id(i) not in quick]
        for i in recorded:
            if id(i) in quick:
                lo, hi = windows[id(i)]
                i.delay = rng.randint(lo, min(hi, GOAL))
        target = round(p.mean_recording_days * 1440 * len(recorded)) - sum(i.delay for i in recorded if id(i) in quick)
        raw = {id(i): rng.lognormvariate(0, 0.9) * i.office.speed for i in slow}
        scale = target / sum(raw.values()) if raw else 0
        bounds = {id(i): (max(windows[id(i)][0], GOAL + 1), windows[id(i)][1]) for i in slow}
        for i in slow:
            lo, hi = bounds[id(i)]
            if lo > hi:
                raise ProfileError(f"profile {p.name}: {i.sitrep_id}#{i.number} cannot be recorded late enough")
            i.delay = min(max(round(raw[id(i)] * scale), lo), hi)
        _adjust(slow, bounds, target - sum(i.delay for i in slow), p.name)

    def actions(self, i: Incident) -> list[dict[str, Any]]:
        if i.fate == "unrecorded":
            return []
        return _Case(self, i).actions()


def _adjust(cases: list[Incident], bounds: dict[int, tuple[int, int]], diff: int, name: str) -> None:
    """Move delays by whole minutes, inside their bounds, until they add up to the target."""
    while diff:
        sign = 1 if diff > 0 else -1
        movable = [i for i in cases if (i.delay < bounds[id(i)][1] if sign > 0 else i.delay > bounds[id(i)][0])]
        if not movable:
            raise ProfileError(f"profile {name}: the mean recording delay cannot be reached within the dates")
        step = max(1, abs(diff) // len(movable))
        for i in movable:
            lo, hi = bounds[id(i)]
            room = hi - i.delay if sign > 0 else i.delay - lo
            change = min(step, room, abs(diff))
            i.delay += sign * change
            diff -= sign * change
            if not diff:
                return


def _minutes(delta: timedelta) -> int:
    return math.floor(delta / MINUTE)


class _Case:
    """One recorded case's actions after its recording, within the windows its fate allows."""

    def __init__(self, gen: _Generator, incident: Incident):
        self.gen, self.i, self.rng = gen, incident, gen.rng
        self.out: list[dict[str, Any]] = []
        self.tl = f"{slug(incident.office.name)}.tl"

    def act(self, at: datetime, action: str, actor: str, role: str, **fields: Any) -> datetime:
        row = {"sitrep_id": self.i.sitrep_id, "incident_number": self.i.number, "at": at, "action": action,
               "actor": actor, "actor_role": role, **fields}
        if role == "director":
            row["actor_office"] = self.gen.p.offices[0].name
        self.out.append(row)
        return at

    def between(self, after: datetime, low_days: float, high_days: float, limit: datetime) -> datetime:
        """A time after `after` (ideally `low_days` to `high_days` later), never after `limit`."""
        found = self.maybe(after, low_days, high_days, limit)
        if found is None:
            raise ProfileError(f"profile {self.gen.p.name}: no time left for {self.i.sitrep_id}#{self.i.number}")
        return found

    def maybe(self, after: datetime, low_days: float, high_days: float, limit: datetime) -> datetime | None:
        first, last = after + low_days * DAY, min(after + high_days * DAY, limit)
        if last <= after + MINUTE:
            return None
        first = min(first, last)
        return first + timedelta(minutes=self.rng.randint(0, max(0, _minutes(last - first))))

    def work(self, t: datetime, times: int, high_days: float, limit: datetime, note: str) -> datetime:
        """Up to `times` activities, as many as fit before `limit`."""
        for _ in range(times):
            nxt = self.maybe(t, 1, high_days, limit)
            if nxt is None:
                break
            t = self.act(nxt, "activity", self.i.hro, "hro", note=note)
        return t

    def actions(self) -> list[dict[str, Any]]:
        i, gen, hro = self.i, self.gen, self.i.hro
        recorded = i.reported_at + i.delay * MINUTE
        if not i.named:
            self.act(i.reported_at + (i.delay // 2) * MINUTE, "assign", self.tl, "team_leader", assignee=hro)
        t = self.act(recorded, "record", hro, "hro")
        fate, stop, cut = i.fate, gen.stop, gen.cut_end
        if fate.startswith("preliminary"):
            t = self.work(t, self.rng.choice((0, 0, 1, 2)), 60, stop, "Information gathered")
            return self._justified(t)
        limit = {"investigation_idle": cut - DAY, "investigation_active": stop}.get(fate, stop - 45 * DAY)
        t = self.act(self.between(t, 0.5, 90, limit), "advance", hro, "hro", stage="investigation")
        t = self.work(t, self.rng.choice((0, 1, 1, 2, 3)), 120, limit, "Interview conducted")
        if fate == "investigation_active" and t <= cut:
            t = self.act(self.between(max(t, cut), 1, 540, stop), "activity", hro, "hro", note="Interview conducted")
        if fate.startswith("investigation"):
            return self._justified(t)
        t = self.act(self.between(t, 2, 60, stop - 30 * DAY), "advance", hro, "hro", stage="concluded",
                     note="Findings written")
        return self._closing(t)

    def _justified(self, t: datetime) -> list[dict[str, Any]]:
        """Some officers say why work stopped: a justified delay some days after the last activity."""
        stop = self.gen.stop
        if self.i.delay_reason and t + 6 * DAY < stop:
            at = self.between(t, 5, 25, stop - DAY)
            until = at + timedelta(days=self.rng.randint(7, 30))
            self.act(at, "delay", self.i.hro, "hro", reason=self.rng.choice(DELAY_REASONS), until=until.isoformat(),
                     note="Work suspended")
        return self.out

    def _closing(self, t: datetime) -> list[dict[str, Any]]:
        i, stop, hro, rng = self.i, self.gen.stop, self.i.hro, self.rng
        if i.follow_up:
            t = self.act(self.between(t, 1, 10, stop), "follow_up", hro, "hro", kind="handover_national_authorities")
        if i.fate == "concluded":
            return self.out
        if i.fate == "closed" and not i.approved and rng.random() < 0.5:
            self.act(self.between(t, 1, 30, stop), "close_without_approval", self.tl, "team_leader", reason="concluded",
                     note="Closed in the earlier database without the Director's review")
            return self.out
        t = self.act(self.between(t, 1, 20, stop), "request_closure", hro, "hro", reason="concluded",
                     note="Findings concluded")
        if i.fate == "closure_requested":
            return self.out
        if not i.approved:
            self.act(self.between(t, 1, 30, stop), "close_without_approval", self.tl, "team_leader", reason="concluded",
                     note="Closed in the earlier database without the Director's review")
            return self.out
        director = rng.choice(("director", "deputy.director"))
        self.act(self.between(t, 1, 25, stop), "approve_closure", director, "director")
        return self.out

