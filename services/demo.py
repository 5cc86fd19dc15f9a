"""`hrcase demo`: six weeks of a human rights division on a simulated clock, told from each user's seat."""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import click
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Connection

from reference.gazetteer import gazetteer
from schemas.topics import INTAKE_REJECTED, SLA_EVENTS
from services.casework.adapters import repository as repo
from services.casework.domain import commands as c
from services.casework.domain.errors import CommandRefused
from services.casework.domain.reference import case_id_for
from services.clock import SimulatedClock
from services.config import Settings
from services.demo_script import CAST, END, NO_ROUTINE, SCRIPT, START, Step
from services.embedded import EmbeddedRuntime
from services.sealing import sitrep_outgoing
from sitreps.files import read_sitrep

TICK = timedelta(hours=6)  # simulated time wakes the runtime this often between scripted steps
RECIPIENT = {"hro": "the assigned officer", "team_leader": "Team Leader", "director": "Director"}
Echo = Callable[[str], None]


class Demo:
    def __init__(self, runtime: EmbeddedRuntime, examples: Path, echo: Echo, clock: SimulatedClock | None = None):
        self.runtime, self.examples, self.echo = runtime, examples, echo
        self.clock = clock or SimulatedClock(START)
        self.sla_seen = self.rejected_seen = 0
        self.known: set[str] = set()

    def run(self) -> None:
        def enrol(conn: Connection) -> None:
            for user in CAST:
                repo.save_user(conn, user)

        self.runtime.casework.write(enrol)
        for step in SCRIPT:
            self.advance_to(step.at)
            self.perform(step)
        self.advance_to(END)

    def advance_to(self, when: datetime) -> None:
        while self.clock.now() + TICK < when:
            self.settle(self.clock.advance(TICK))
        self.settle(self.clock.set(when))

    def settle(self, now: datetime) -> None:
        self.runtime.run_until_idle(now)
        self.show_new_cases()
        self.show_rejections()
        self.show_sla_events()

    def perform(self, step: Step) -> None:
        now = self.clock.now()
        if step.sitreps:
            self.echo(f"\n== {now:%a %d %b %Y %H:%M}  Weekly situation reports arrive")
            repeats = self.metric("hrcase_incidents_repeated_total")
            for name in step.sitreps:
                records = read_sitrep(self.examples / name)
                self.runtime.submit(map(sitrep_outgoing, records))
                self.echo(f"   {name}: {len(records)} incident records")
            self.settle(now)
            repeated = self.metric("hrcase_incidents_repeated_total") - repeats
            if repeated:
                self.echo(f"   {repeated:.0f} record(s) repeat an incident already accepted "
                          "(same sitrep id and number): one incident, no new case")
        elif step.routine:
            done = self.routine_work(now)
            self.echo(f"\n== {now:%a %d %b %Y %H:%M}  Officers log their week's work on {done} open cases")
        else:
            assert step.case and step.command
            case_id = case_id_for(step.case)
            self.echo(f"\n== {now:%a %d %b %Y %H:%M}  {step.say.format(case=self.reference(case_id))}")
            try:
                for event in self.runtime.casework.execute(step.command(self, case_id), now):
                    self.echo(f"   ok: {event['type']}, stage now '{event['payload']['stage']}'")
                    for name, change in event["payload"].get("changes", {}).items():  # an amendment, old -> new
                        self.echo(f"   {name}: {change['old']!r} -> {change['new']!r} (in the case's history)")
            except CommandRefused as exc:
                self.echo(f"   REFUSED: {exc}")
        self.settle(now)

    def routine_work(self, now: datetime) -> int:
        skip = {case_id_for(k) for k in NO_ROUTINE}
        cases = self.cases()
        work = [k for k in cases if k.stage in ("preliminary", "investigation") and k.case_id not in skip]
        for case in work:
            leader = next(u.username for u in CAST if u.role == "team_leader" and u.office == case.office)
            actor = case.assignee or leader
            self.runtime.casework.execute(c.LogActivity(case.case_id, actor, "weekly follow-up"), now)
        return len(work)

    def open_alert(self, username: str, case_id: str) -> str:
        user = next(u for u in CAST if u.username == username)
        inbox = self.runtime.casework.read(lambda conn: repo.inbox_for(conn, user))
        return next(a.alert_id for a in inbox if a.case_id == case_id)

    def cases(self) -> list:
        return self.runtime.casework.read(lambda conn: repo.list_cases(conn, limit=100_000))

    def details(self, case_id: str) -> dict[str, Any]:
        found = self.runtime.casework.read(lambda conn: repo.get_case(conn, case_id))
        return found.details if found else {}

    def reference(self, case_id: str) -> str:
        found = self.runtime.casework.read(lambda conn: repo.get_case(conn, case_id))
        return found.reference if found else case_id

    def show_new_cases(self) -> None:
        for case in self.cases():
            if case.reference in self.known:
                continue
            self.known.add(case.reference)
            who = f"assigned to {case.assignee}" if case.assignee else "unassigned"
            dup = ""
            if case.possible_duplicates:
                others = ", ".join(f"{self.reference(case_id_for(k))} ({k})" for k in case.possible_duplicates)
                dup = f"  << LIKELY DUPLICATE of {others}: Team Leader alerted"
            kinds = "/".join(case.details["violation_types"])
            self.echo(f"   case {case.reference}  {case.office:9} {case.details['location'][:20]:20} "
                      f"{kinds[:32]:32} {who}{dup}")
            for line in record_lines(case.details):
                self.echo(f"      {line}")

    def show_rejections(self) -> None:
        rejected = self.runtime.log.read_topic(INTAKE_REJECTED)
        for message in rejected[self.rejected_seen:]:
            p = json.loads(message.value)["payload"]
            self.echo(f"   REJECTED {p.get('incident_key') or message.key} ({p['source'].get('file')} "
                      f"line {p['source'].get('line')}): {p['reason']}")
        self.rejected_seen = len(rejected)

    def show_sla_events(self) -> None:
        records = self.runtime.log.read_topic(SLA_EVENTS)
        for message in records[self.sla_seen:]:
            env = json.loads(message.value)
            if env["type"] == "SlaScheduled":
                continue  # the clocks' schedules: what the pages show, not news
            p = env["payload"]
            to = f"{RECIPIENT[p['recipient_role']]} ({p['office']} case)" if p['level'] != 'cleared' else p['reason']
            mark = "  " if p["level"] == "cleared" else "!!"
            self.echo(f"   {mark} SLA {p['level']:10} {p['clock']:16} {p['reference']}  "
                      f"{datetime.fromisoformat(env['occurred_at']):%a %d %b %H:%M} -> {to}")
        self.sla_seen = len(records)

    def summary(self) -> None:
        now = self.clock.now()
        self.echo(f"\n== {now:%a %d %b %Y %H:%M}  What each user sees now")
        for user in CAST:
            if user.role not in ("team_leader", "director"):
                continue
            inbox = self.runtime.casework.read(partial(repo.inbox_for, user=user))
            self.echo(f"   {user.username} ({user.display_name}, {user.office}): {len(inbox)} open alert(s)")
            for alert in inbox:
                self.echo(f"      - {alert.message}")
        stages = Counter(k.stage for k in self.cases())
        self.echo("   Cases by stage: " + ", ".join(f"{s} {n}" for s, n in sorted(stages.items())))
        for case in self.cases():
            if case.delay and case.stage != "closed":
                delay = case.delay
                self.echo(f"   Justified delay on {case.reference}: {delay['reason']}, clock paused until "
                          f"{delay['until']:%d %b} ({delay['note']})")
        self.metrics_summary()

    def metric(self, prefix: str) -> float:
        return sum(v for k, v in self.scrape().items() if k.startswith(prefix))

    def scrape(self) -> dict[str, float]:
        """The metrics as Prometheus would read them: the text exposition, parsed back."""
        values: dict[str, float] = {}
        text = generate_latest(self.runtime.metrics.registry).decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                label = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()) if k != "le")
                if sample.name.endswith("_bucket") or sample.name.endswith("_created"):
                    continue
                values[f"{sample.name}{{{label}}}" if label else sample.name] = sample.value
        return values

    def metrics_summary(self) -> None:
        values = self.scrape()
        total = self.metric
        sla: dict[str, float] = {}
        for key, value in values.items():
            if key.startswith("hrcase_sla_events_total"):
                level = key.split("level=")[1].split(",")[0]
                sla[level] = sla.get(level, 0) + value
        delay_n = total("hrcase_recording_delay_seconds_count")
        delay_mean = total("hrcase_recording_delay_seconds_sum") / 86400 / delay_n if delay_n else 0.0
        self.echo("\n== Metrics (as scraped from /metrics)")
        self.echo(f"   incident records received {total('hrcase_incidents_received_total'):.0f}, "
                  f"accepted {total('hrcase_incidents_accepted_total'):.0f}, "
                  f"rejected {total('hrcase_incidents_rejected_total'):.0f}, "
                  f"repeats {total('hrcase_incidents_repeated_total'):.0f}, "
                  f"flagged as likely duplicates {total('hrcase_incidents_flagged_duplicate_total'):.0f}")
        self.echo(f"   cases registered {total('hrcase_cases_registered_total'):.0f}, "
                  f"open {sum(v for k, v in values.items() if k.startswith('hrcase_open_cases')):.0f}")
        goal = {v: sum(n for k, n in values.items() if k.startswith("hrcase_recording_goal_incidents")
                       and f"verdict={v}" in k) for v in ("met", "missed", "overdue")}
        passed = sum(goal.values())
        share = f" ({goal['met'] / passed:.0%})" if passed else ""
        self.echo(f"   recording delay: mean {delay_mean:.1f} days over the {delay_n:.0f} cases recorded; "
                  f"{goal['overdue']:.0f} not recorded and past their four days")
        self.echo(f"   recorded on time: {goal['met']:.0f} of {passed:.0f} incidents whose four days have "
                  f"passed{share}")
        self.echo("   SLA events: " + ", ".join(f"{level} {n:.0f}" for level, n in sorted(sla.items())))
        self.echo(f"   closures approved {total('hrcase_closures_total{decision=approved,'):.0f}, "
                  f"dead letters {total('hrcase_dead_letters_total'):.0f}")


def record_lines(details: dict[str, Any]) -> list[str]:
    """Where in the gazetteer, who did what to whom, and with what consent: never a name (ADR 10)."""
    lines = []
    pcode = details.get("place_pcode")
    if pcode and (unit := gazetteer().get(pcode)) is not None:
        lines.append(f"place {pcode} {unit.name} ({unit.kind}, region {gazetteer().region_of(pcode).name})")
    people = {p["ref"]: p for p in details.get("people") or []}
    for act in details.get("acts") or []:
        victims = ", ".join(f"{r} ({people[r]['sex']}, {people[r].get('occupation') or 'occupation unknown'})"
                            for r in act["victims"] if r in people)
        unit_text = f", unit {act['perpetrator_unit']}" if act.get("perpetrator_unit") else ""
        lines.append(f"act: {act['violation_type']} of {victims} by {act['perpetrator_category']}{unit_text}")
    for ref, person in people.items():
        consent = person.get("consent")
        if consent:
            agreed = [k for k in ("recorded", "contact", "referral") if consent.get(k)]
            shared = f"; may be shared with {', '.join(consent['share_with'])}" if consent.get("share_with") else ""
            lines.append(f"{ref} ({person['role']}): consents to {', '.join(agreed) or 'nothing'}{shared}")
    return lines


def run_demo(data_dir: Path | None = None, examples: Path | None = None, echo: Echo = click.echo) -> None:
    started = time.perf_counter()
    data = data_dir or Path(tempfile.mkdtemp(prefix="hrcase-demo-"))
    if (data / "log.sqlite").exists():
        raise click.ClickException(f"{data} already holds an hrcase database; the demo needs a fresh one")
    examples = examples or Path(__file__).resolve().parent.parent / "examples" / "sitreps"
    echo("hrcase demo: six weeks of a human rights division, on a simulated clock")
    echo(f"embedded runtime (SQLite, no Kafka, no PostgreSQL) in {data}")
    clock = SimulatedClock(START)
    demo = Demo(EmbeddedRuntime(Settings(data_dir=data), clock=clock), examples, echo, clock)
    demo.run()
    demo.summary()
    echo(f"\ndemo finished in {time.perf_counter() - started:.1f} s; inspect it with: "
         f"hrcase case list --data-dir {data}")
