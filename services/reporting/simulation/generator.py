"""A simulated history: each incident's fate is drawn first, exactly as many as the profile says, then its dates.

Deterministic for a seed. Every constraint of a fate (recorded before or after the cut year, idle since it, closed
in time) becomes a window for its dates, so the counts hold by construction; the recording delays are then
adjusted, minute by minute, inside their windows until their mean is exactly the profile's. Each incident's row is
handed on as it is drawn and its actions are kept compactly, so that a history a thousand times the audit's fits.
"""

from __future__ import annotations

import math
import random
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.reporting.simulation.profile import OfficeSpec, Profile, ProfileError
from services.reporting.simulation.timeline import Timeline
from sitreps.key import incident_key

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


@dataclass(slots=True, eq=False)
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
    """The whole history in memory (write_history streams the same rows to its files instead)."""
    incidents: list[dict[str, Any]] = []
    actions = list(simulate(profile, incidents.append))
    return History(incidents, actions)


def simulate(profile: Profile, incident_row: Callable[[dict[str, Any]], object]) -> Iterator[dict[str, Any]]:
    """Hands each incident's row to `incident_row` as it is drawn; returns the case actions, in time order."""
    profile.check()
    gen = _Generator(profile, random.Random(profile.seed))
    incidents = gen.incidents(incident_row)
    gen.fates(incidents)
    gen.delays([i for i in incidents if i.fate != "unrecorded"])
    for i in incidents:
        if i.fate != "unrecorded":
            _Case(gen, i).actions()
    return gen.timeline.rows()


class _Generator:
    def __init__(self, profile: Profile, rng: random.Random):
        self.p, self.rng = profile, rng
        self.cut_end = datetime(profile.cut_year + 1, 1, 1, tzinfo=UTC) - MINUTE
        self.stop = datetime.combine(profile.as_of, time(0), tzinfo=UTC) - HOUR  # nothing at or after as_of
        self.timeline = Timeline()

    def incidents(self, incident_row: Callable[[dict[str, Any]], object]) -> list[Incident]:
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
        reported: dict[date, datetime] = {}
        for friday, office in drawn:
            year, week, _ = friday.isocalendar()
            # Interned and shared: a million incidents each with its own copy of these would weigh hundreds of MB.
            sitrep = sys.intern(f"SR-{slug(office.name)[:3].upper()}-{year}-W{week:02d}")
            numbers[sitrep] = numbers.get(sitrep, 0) + 1
            at = reported.setdefault(friday, datetime.combine(friday, time(16), tzinfo=UTC))
            incident = Incident(office, at, sitrep, numbers[sitrep])
            incident.hro = sys.intern(f"{slug(office.name)}.hro{rng.randint(1, office.hros)}")
            incident.named = rng.random() < p.assigned_in_sitrep
            incident_row(self._row(incident))
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

        def take(n: int, fate: str, fits: Any, prefer_late: bool = False) -> None:
            # An incident still free is one still "unrecorded": reading its fate keeps each draw linear, where
            # removing each pick from a list of the free ones (list.remove, a scan) made the fates quadratic.
            pool = [i for i in incidents if i.fate == "unrecorded" and fits(i)]
            if len(pool) < n:
                raise ProfileError(f"profile {p.name}: only {len(pool)} incidents can be '{fate}', {n} wanted")
            if prefer_late:
                pool = sorted(pool, key=lambda i: i.reported_at)[-max(n, min(len(pool), 3 * n)):]
            for i in self.rng.sample(pool, n):
                i.fate = fate

        take(p.investigation_idle_since_cut, "investigation_idle", lambda i: i.reported_at <= cut - 30 * DAY)
        take(p.preliminary_since_cut, "preliminary_old", lambda i: i.reported_at <= cut - 5 * DAY)
        take(p.closed, "closed", lambda i: i.reported_at <= stop - 120 * DAY)
        take(p.closure_requested, "closure_requested", lambda i: i.reported_at <= stop - 90 * DAY)
        take(p.concluded, "concluded", lambda i: i.reported_at <= stop - 60 * DAY)
        take(p.preliminary - p.preliminary_since_cut, "preliminary_new", lambda i: i.reported_at <= stop - 3 * DAY,
             prefer_late=True)
        take(p.investigation - p.investigation_idle_since_cut, "investigation_active",
             lambda i: i.reported_at <= stop - 20 * DAY)
        free = sum(1 for i in incidents if i.fate == "unrecorded")
        if free != p.unrecorded:  # pragma: no cover - the profile check makes the counts add up
            raise ProfileError(f"profile {p.name}: {free} incidents left unrecorded, {p.unrecorded} wanted")
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
            raise ProfileError(f"profile {self.p.name}: no room to record {incident_key(i.sitrep_id, i.number)} "
                               f"as {i.fate}")
        return max(lo, 30), hi

    def delays(self, recorded: list[Incident]) -> None:
        """Exactly `within_goal` delays within four days; the others sampled, then nudged to the exact mean."""
        p, rng = self.p, self.rng
        # Windows and positions in arrays, not tuples and ints in dicts keyed by id: with a million recorded cases
        # those dicts were the simulation's peak of memory.
        lows, highs = array("q"), array("q")
        for i in recorded:
            lo, hi = self._window(i)
            lows.append(lo)
            highs.append(hi)
        quick_pool = array("q", (k for k, lo in enumerate(lows) if lo <= GOAL))
        if len(quick_pool) < p.within_goal:
            raise ProfileError(f"profile {p.name}: only {len(quick_pool)} cases can be recorded within the goal")
        quick = set(rng.sample(quick_pool, p.within_goal))
        for k in sorted(quick):
            recorded[k].delay = rng.randint(lows[k], min(highs[k], GOAL))
        target = round(p.mean_recording_days * 1440 * len(recorded)) - sum(recorded[k].delay for k in quick)
        slow = array("q", (k for k in range(len(recorded)) if k not in quick))
        raw = array("d", (rng.lognormvariate(0, 0.9) * recorded[k].office.speed for k in slow))
        scale = target / sum(raw) if raw else 0
        cases = [recorded[k] for k in slow]
        lows, highs = array("q", (max(lows[k], GOAL + 1) for k in slow)), array("q", (highs[k] for k in slow))
        for n, i in enumerate(cases):
            if lows[n] > highs[n]:
                raise ProfileError(f"profile {p.name}: {incident_key(i.sitrep_id, i.number)} "
                                   "cannot be recorded late enough")
            i.delay = min(max(round(raw[n] * scale), lows[n]), highs[n])
        _adjust(cases, lows, highs, target - sum(i.delay for i in cases), p.name)


def _adjust(cases: list[Incident], lows: array[int], highs: array[int], diff: int, name: str) -> None:
    """Move delays by whole minutes, inside their bounds (`lows[k]` to `highs[k]` for `cases[k]`), until they add up
    to the target."""
    while diff:
        sign = 1 if diff > 0 else -1
        movable = array("q", (k for k, i in enumerate(cases)
                              if (i.delay < highs[k] if sign > 0 else i.delay > lows[k])))
        if not movable:
            raise ProfileError(f"profile {name}: the mean recording delay cannot be reached within the dates")
        step = max(1, abs(diff) // len(movable))
        for k in movable:
            i = cases[k]
            room = highs[k] - i.delay if sign > 0 else i.delay - lows[k]
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
        self.case = gen.timeline.case(incident.sitrep_id, incident.number)
        self.tl = f"{slug(incident.office.name)}.tl"

    def act(self, at: datetime, action: str, actor: str, role: str, **fields: Any) -> datetime:
        if role == "director":
            fields["actor_office"] = self.gen.p.offices[0].name
        self.gen.timeline.add(self.case, at, action, actor, role, fields)
        return at

    def between(self, after: datetime, low_days: float, high_days: float, limit: datetime) -> datetime:
        """A time after `after` (ideally `low_days` to `high_days` later), never after `limit`."""
        found = self.maybe(after, low_days, high_days, limit)
        if found is None:
            key = incident_key(self.i.sitrep_id, self.i.number)
            raise ProfileError(f"profile {self.gen.p.name}: no time left for {key}")
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

    def actions(self) -> None:
        i, gen, hro = self.i, self.gen, self.i.hro
        recorded = i.reported_at + i.delay * MINUTE
        if not i.named:
            self.act(i.reported_at + (i.delay // 2) * MINUTE, "assign", self.tl, "team_leader", assignee=hro)
        t = self.act(recorded, "record", hro, "hro")
        fate, stop, cut = i.fate, gen.stop, gen.cut_end
        if fate.startswith("preliminary"):
            t = self.work(t, self.rng.choice((0, 0, 1, 2)), 60, stop, "Information gathered")
            self._justified(t)
            return
        limit = {"investigation_idle": cut - DAY, "investigation_active": stop}.get(fate, stop - 45 * DAY)
        t = self.act(self.between(t, 0.5, 90, limit), "advance", hro, "hro", stage="investigation")
        t = self.work(t, self.rng.choice((0, 1, 1, 2, 3)), 120, limit, "Interview conducted")
        if fate == "investigation_active" and t <= cut:
            t = self.act(self.between(max(t, cut), 1, 540, stop), "activity", hro, "hro", note="Interview conducted")
        if fate.startswith("investigation"):
            self._justified(t)
            return
        t = self.act(self.between(t, 2, 60, stop - 30 * DAY), "advance", hro, "hro", stage="concluded",
                     note="Findings written")
        self._closing(t)

    def _justified(self, t: datetime) -> None:
        """Some officers say why work stopped: a justified delay some days after the last activity."""
        stop = self.gen.stop
        if self.i.delay_reason and t + 6 * DAY < stop:
            at = self.between(t, 5, 25, stop - DAY)
            until = at + timedelta(days=self.rng.randint(7, 30))
            self.act(at, "delay", self.i.hro, "hro", reason=self.rng.choice(DELAY_REASONS), until=until.isoformat(),
                     note="Work suspended")

    def _closing(self, t: datetime) -> None:
        i, stop, hro, rng = self.i, self.gen.stop, self.i.hro, self.rng
        if i.follow_up:
            t = self.act(self.between(t, 1, 10, stop), "follow_up", hro, "hro", kind="handover_national_authorities")
        if i.fate == "concluded":
            return
        if i.fate == "closed" and not i.approved and rng.random() < 0.5:
            self.act(self.between(t, 1, 30, stop), "close_without_approval", self.tl, "team_leader", reason="concluded",
                     note="Closed in the earlier database without the Director's review")
            return
        t = self.act(self.between(t, 1, 20, stop), "request_closure", hro, "hro", reason="concluded",
                     note="Findings concluded")
        if i.fate == "closure_requested":
            return
        if not i.approved:
            self.act(self.between(t, 1, 30, stop), "close_without_approval", self.tl, "team_leader", reason="concluded",
                     note="Closed in the earlier database without the Director's review")
            return
        director = rng.choice(("director", "deputy.director"))
        self.act(self.between(t, 1, 25, stop), "approve_closure", director, "director")

