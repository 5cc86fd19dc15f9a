"""The review's finding as a history: 20 incidents, 16 never recorded, 15 of them past their four days (the oldest by
33, arriving already overdue), through intake, casework and the monitor on the embedded runtime; and its figures
worked out by hand from the dates alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median

from sqlalchemy import Connection

from schemas import encode, new_envelope
from schemas.topics import SITREP_INCIDENTS
from services.casework.adapters import repository as repo
from services.casework.adapters import web_store
from services.casework.auth import passwords
from services.casework.bootstrap import Casework
from services.casework.domain import commands as c
from services.casework.domain.roles import User
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.messaging.ports import Outgoing
from services.reporting.domain.model import end_of
from sitreps.key import incident_key
from tests.factories import incident
from tests.integration.web_world import PASSWORD

DAY = timedelta(days=1)
AS_OF_DATE = date(2026, 5, 10)
AS_OF = end_of(AS_OF_DATE)  # `hrcase report --as-of 2026-05-10` counts to the day's last instant; the pages too
MIDNIGHT = datetime(2026, 5, 10, tzinfo=UTC)
GOAL = 4 * DAY  # the default policy's recording goal: the test's own knowledge, not the code's
# Reported at midnight so many days before the report date; recorded so many days after (None: never).
RECORDED = ((40, 1), (40, 1), (39, 2), (39, 6))  # three on time, one late
OVERDUE_MOPTI = (36, 33, 30, 27, 24, 21, 18, 15, 13, 11, 9, 7, 6)  # the 36: submitted only the day before
OVERDUE_GAO = (5, 4)
PENDING = (2,)  # its four days still ahead
USERS = (User("tl_mopti", "team_leader", "Mopti"), User("tl_gao", "team_leader", "Gao"),
         User("dir", "director", "Bamako"), User("hro_gao", "hro", "Gao"))


@dataclass(frozen=True)
class ByHand:
    """The figures as a reader works them out from the dates."""

    incidents: int
    recorded: int
    on_time: int
    goal_passed: int
    overdue_days: tuple[float, ...]  # oldest first
    mean_delay: float

    @property
    def share(self) -> float:
        return self.on_time / self.goal_passed


def by_hand(offices: tuple[str, ...] = ("Mopti", "Gao")) -> ByHand:
    mopti = "Mopti" in offices
    recorded = RECORDED if mopti else ()
    overdue = (OVERDUE_MOPTI if mopti else ()) + (OVERDUE_GAO if "Gao" in offices else ())
    past = sorted(((AS_OF - (MIDNIGHT - d * DAY + GOAL)) / DAY for d in overdue), reverse=True)
    on_time = sum(1 for _, after in recorded if after * DAY < GOAL)
    return ByHand(incidents=len(recorded) + len(overdue) + (len(PENDING) if mopti else 0), recorded=len(recorded),
                  on_time=on_time, goal_passed=len(recorded) + len(overdue), overdue_days=tuple(past),
                  mean_delay=sum(after for _, after in recorded) / len(recorded) if recorded else 0.0)


def median_of(values: tuple[float, ...]) -> float:
    return float(median(values))


def enrol(casework: Casework) -> None:
    """The users of the history, each with the web pages' test password."""
    hashed = passwords.hash_password(PASSWORD)

    def add(conn: Connection) -> None:
        for user in USERS:
            repo.save_user(conn, user)
            web_store.set_password(conn, user.username, hashed, MIDNIGHT - 60 * DAY)

    casework.write(add)


def recordings(casework: Casework) -> list[tuple[str, datetime]]:
    """Which case is recorded when (by a Team Leader of Mopti), of those casework has registered."""
    found = {k.incident_key: k.case_id for k in casework.read(lambda conn: repo.list_cases(conn, limit=100))}
    keys = [(incident_key(_sitrep("Mopti"), n), MIDNIGHT - d * DAY + after * DAY)
            for n, (d, after) in enumerate(RECORDED, start=1)]
    return [(found[key], at) for key, at in keys if key in found]


def build(data: Path) -> EmbeddedRuntime:
    """The history, each report submitted an hour after its time (the oldest only the day before the report date),
    each recording made at its time, and all run to `AS_OF`."""
    runtime = EmbeddedRuntime(Settings(data_dir=data))
    enrol(runtime.casework)
    plan = [("Mopti", d) for d, _ in RECORDED] + [("Mopti", d) for d in OVERDUE_MOPTI + PENDING]
    plan += [("Gao", d) for d in OVERDUE_GAO]
    arrivals: list[tuple[datetime, str, int, datetime]] = []  # (submitted, office, number, reported)
    for number, (office, days_before) in enumerate(plan, start=1):
        reported = MIDNIGHT - days_before * DAY
        late_arrival = days_before == max(OVERDUE_MOPTI)
        arrivals.append((AS_OF - DAY if late_arrival else reported + timedelta(hours=1), office, number, reported))
    recorded_at = {n: MIDNIGHT - d * DAY + after * DAY for n, (d, after) in enumerate(RECORDED, start=1)}
    for moment in sorted({a[0] for a in arrivals} | set(recorded_at.values())):
        runtime.submit(Outgoing(SITREP_INCIDENTS, incident_key(_sitrep(office), number), encode(new_envelope(
            "IncidentReported", 1, occurred_at=reported, key="k", producer="test",
            payload=incident(_sitrep(office), number, reported, office))))
            for at, office, number, reported in arrivals if at == moment)
        runtime.run_until_idle(moment)
        for case_id, at in recordings(runtime.casework):
            if at == moment:
                runtime.casework.execute(c.RecordCase(case_id, "tl_mopti"), at)
    runtime.run_until_idle(AS_OF)
    return runtime


def _sitrep(office: str) -> str:
    return f"SR-{office[:3].upper()}-2026"
