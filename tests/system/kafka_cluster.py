"""Process management for the Kafka system tests: fresh topics and database, workers as processes, bounded waits."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from schemas.topics import CASE_EVENTS, INCIDENTS, INTAKE_REJECTED, SITREP_INCIDENTS, SLA_EVENTS, TOPICS
from sitreps.key import raw_incident_key
from tests.factories import incident, write_sitreps
from tests.ports import free_port

REPO = Path(__file__).resolve().parents[2]
TOPIC_NAMES = tuple(t.name for t in TOPICS)
# faust's app id is the consumer group; it is fixed per service, so its offsets outlive recreated topics.
GROUPS = ("hrcase-intake", "hrcase-casework", "hrcase-sla_monitor")
CONSUMES = {"hrcase-intake": (SITREP_INCIDENTS,), "hrcase-casework": (INCIDENTS, SLA_EVENTS),
            "hrcase-sla_monitor": (CASE_EVENTS,)}
SERVICE_SCHEMA = {"intake": "intake", "casework": "casework", "sla-monitor": "sla_monitor"}
# The hrcase topic names are fixed: tests that recreate them take turns, across processes (pytest-xdist).
LOCK = Path(os.environ.get("TMPDIR", "/tmp")) / "hrcase-kafka-system-tests.lock"


def hrcase(*args: str) -> list[str]:
    return [sys.executable, "-m", "services.cli", *args]


def wait_for(condition: Callable[[], bool], timeout: float, what: str,
              progress: Callable[[], str] | None = None, interval: float = 0.2) -> None:
    """Poll until `condition` holds; fail with `what` (and the progress made) at the deadline, never hang."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}"
                                 + (f" ({progress()})" if progress else ""))
        time.sleep(interval)


@dataclass
class Worker:
    """One `hrcase worker SERVICE` process, its web port and its log file (kept over restarts)."""

    service: str  # as on the command line: intake, casework, sla-monitor
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> Worker:
        assert self.process is None or self.process.poll() is not None, f"{self} is running"
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n===== start {self.starts} of {self.service} on port {self.port} =====\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                hrcase("worker", self.service, "--web-port", str(self.port)), cwd=REPO, env=self.env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def healthy(self, path: str = "/health") -> bool:
        """`path` (readiness by default) answers 200; fails at once if the worker exited."""
        if not self.alive:
            raise AssertionError(f"{self.service} worker exited with {self.process and self.process.returncode}")
        try:
            return self.get(path, timeout=2.0)[0] == 200
        except OSError:  # not listening yet
            return False

    def wait_healthy(self, timeout: float = 60.0) -> Worker:
        wait_for(self.healthy, timeout, f"{self.service} /health on port {self.port}")
        return self

    def metric(self, name: str) -> float:
        """The sum of a metric over its labels, as /metrics shows it now."""
        status, page = self.get("/metrics")
        assert status == 200, f"{self.service} /metrics answered {status}"
        return sum(float(line.rsplit(" ", 1)[1]) for line in page.splitlines()
                   if line.startswith((name + "{", name + " ")))

    def kill(self) -> None:
        """SIGKILL: no goodbye to the group, no last commit, no last relay."""
        assert self.process is not None and self.alive, f"{self.service} is not running"
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.process is None or not self.alive:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            return None

    def tail(self, lines: int = 40) -> str:
        """The log's last lines, after its last errors (intake logs every incident, which buries them)."""
        if not self.log.exists():
            return "(no log)"
        text = self.log.read_text(errors="replace").splitlines()
        errors = [line for line in text[:-lines] if any(w in line for w in ("ERROR", "CRITICAL", "Traceback"))]
        return "\n".join([*(["(earlier errors:)", *errors[-20:], "(last lines:)"] if errors else []), *text[-lines:]])


class TopicReader:
    """Reads every partition of a topic from the start, without a group, keeping all it read in `records`."""

    def __init__(self, bootstrap: str, topic: str):
        self.topic = topic
        self.records: list[Any] = []
        self.decoded: list[dict[str, Any]] = []
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                                      client_id=f"hrcase-test-reader-{topic}")
        partitions = self.consumer.partitions_for_topic(topic)
        assert partitions, f"topic {topic} has no partitions"
        self.partitions = [TopicPartition(topic, p) for p in sorted(partitions)]
        self.consumer.assign(self.partitions)
        self.consumer.seek_to_beginning(*self.partitions)

    def end_offsets(self) -> dict[TopicPartition, int]:
        return {tp: int(n) for tp, n in self.consumer.end_offsets(self.partitions).items()}

    def read(self, timeout: float = 60.0) -> list[Any]:
        """What came since the last read, up to the end offsets as they are now (bounded by `timeout`)."""
        ends = self.end_offsets()
        new: list[Any] = []
        deadline = time.monotonic() + timeout
        while any(self.consumer.position(tp) < ends[tp] for tp in self.partitions):
            if time.monotonic() >= deadline:
                raise AssertionError(f"could not read {self.topic} to its end within {timeout} s")
            for records in self.consumer.poll(timeout_ms=500, max_records=5000).values():
                new.extend(records)
        self.records.extend(new)
        self.decoded.extend(json.loads(r.value) for r in new)
        return new

    def envelopes(self) -> list[dict[str, Any]]:
        """Everything on the topic up to now, decoded (reads what came since the last call)."""
        self.read()
        return self.decoded

    def close(self) -> None:
        self.consumer.close()


@dataclass
class Stack:
    """A test's own hrcase on Kafka: the hrcase topics made afresh, a database of its own, its workers."""

    bootstrap: str
    database_url: str
    tmp: Path
    engine: Engine
    workers: list[Worker] = field(default_factory=list)
    readers: dict[str, TopicReader] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HRCASE_")}
        return {**env, "HRCASE_DATABASE_URL": self.database_url, "HRCASE_KAFKA_BOOTSTRAP": self.bootstrap,
                "HRCASE_DATA_DIR": str(self.tmp / "data"), "PYTHONUNBUFFERED": "1"}

    def worker(self, service: str, port: int | None = None) -> Worker:
        """A new worker process of `service` (started, not yet waited for)."""
        n = sum(w.service == service for w in self.workers) + 1
        log = self.tmp / f"worker-{service}-{n}.log"
        # casework may serve its HTTP API beside the worker: each worker gets its own port for that too.
        env = {**self.env, "HRCASE_API_PORT": str(free_port())}
        worker = Worker(service, port or free_port(), env, log).start()
        self.workers.append(worker)
        return worker

    def cli(self, *args: str, timeout: float = 120.0) -> str:
        result = subprocess.run(hrcase(*args), cwd=REPO, env=self.env, capture_output=True, text=True,
                                timeout=timeout, check=False)
        assert result.returncode == 0, f"hrcase {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def scalar(self, sql: str) -> int:
        """One number from the test database; 0 while the table a worker creates is not there yet."""
        with self.engine.connect() as conn:
            try:
                return int(conn.execute(text(sql)).scalar() or 0)
            except Exception as exc:
                if "does not exist" in str(exc):
                    return 0
                raise

    def reader(self, topic: str) -> TopicReader:
        if topic not in self.readers:
            self.readers[topic] = TopicReader(self.bootstrap, topic)
        return self.readers[topic]

    def outboxes_empty(self) -> bool:
        return sum(self.scalar(f"select count(*) from {s}.outbox") for s in SERVICE_SCHEMA.values()) == 0

    def lag(self) -> int:
        """Records the services' groups have not committed yet, over every topic they consume."""
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="hrcase-test-lag")
        try:
            committed = admin.list_group_offsets({g: None for g in CONSUMES})
        finally:
            admin.close()
        behind = 0
        for group, topics in CONSUMES.items():
            offsets = committed.get(group, {})
            for topic in topics:
                for tp, end in self.reader(topic).end_offsets().items():
                    done = offsets.get(tp)
                    behind += end - (done.offset if done is not None and done.offset >= 0 else 0)
        return behind

    def committed(self, group: str, topic: str) -> dict[int, int]:
        """The offsets `group` has committed on each partition of `topic` (0 where it has none yet)."""
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="hrcase-test-lag")
        try:
            offsets = admin.list_group_offsets({group: None}).get(group, {})
        finally:
            admin.close()
        return {tp.partition: max(offsets[tp].offset, 0) if tp in offsets else 0
                for tp in self.reader(topic).partitions}

    def quiet(self) -> bool:
        """Nothing left to relay and nothing left to consume: the pipeline has settled."""
        return self.outboxes_empty() and self.lag() == 0

    def report(self) -> None:
        for worker in self.workers:
            print(f"----- {worker.log.name} (last lines; started {worker.starts} time(s)) -----")
            print(worker.tail())


@contextmanager
def turn() -> Iterator[None]:
    """Hold the lock on the fixed hrcase topic names for the whole test (other runs wait their turn)."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as handle:
        deadline = time.monotonic() + 900
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise AssertionError(f"another run held {LOCK} for 15 minutes") from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def reset_topics(bootstrap: str, timeout: float = 60.0) -> None:
    """Delete the hrcase topics and the services' consumer groups, so a test starts from empty logs."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hrcase-test-admin")
    try:
        # A worker killed by an earlier test stays a member until its session times out (10 s).
        wait_for(lambda: not any(d["members"] for d in admin.describe_groups(list(GROUPS)).values()), 30,
                 "the hrcase consumer groups to have no members (stop any hrcase worker running outside the test)")
        for group, error in admin.delete_groups(list(GROUPS)).items():
            # GroupIdNotFound: never created, or deleted already; anything else is a real failure.
            assert error in (None, "OK", "NoError", "GroupIdNotFoundError"), f"cannot delete group {group}: {error}"
        existing = [t for t in admin.list_topics() if t in TOPIC_NAMES]
        if existing:
            admin.delete_topics(existing, timeout_ms=int(timeout * 1000))
        # Deletion is asynchronous: a topic of the same name cannot be created until it is gone everywhere.
        wait_for(lambda: not set(admin.list_topics()) & set(TOPIC_NAMES), timeout, "hrcase topics deleted")
    finally:
        admin.close()


def partition_owners(bootstrap: str, group: str, topic: str) -> dict[int, set[int]]:
    """The partitions of `topic` each member of a stable `group` owns, by the member's web port (faust's url)."""
    # kafka-python cannot decode faust's subscription metadata and warns each time; the raw bytes serve here.
    logging.getLogger("kafka.admin._groups").setLevel(logging.ERROR)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hrcase-test-admin")
    try:
        description = admin.describe_groups([group])[group]
    finally:
        admin.close()
    owners: dict[int, set[int]] = {}
    if description["group_state"] != "Stable":
        return owners  # rebalancing: members and their assignments are not known yet
    for member in description["members"]:
        url = re.search(r'"url":\s*"http://[^"]*:(\d+)"', str(member["member_metadata"]))
        assert url, f"no faust url in the metadata of {member['member_id']}"
        assignment = member.get("member_assignment")
        if not isinstance(assignment, dict):
            return {}  # not decoded (yet): ask again
        assigned = assignment.get("assigned_partitions") or []
        owners[int(url.group(1))] = {p for a in assigned if a["topic"] == topic for p in a["partitions"]}
    return owners


@contextmanager
def fresh_database(postgres_url: str) -> Iterator[str]:
    """A database of the test's own (the role needs CREATEDB), dropped afterwards with whatever is connected."""
    admin_url = make_url(os.environ.get("HRCASE_TEST_ADMIN_DATABASE_URL") or postgres_url)
    name = f"hrcase_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            try:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            except Exception as exc:
                raise AssertionError(
                    f"cannot create a test database as {admin_url.username} ({exc.__class__.__name__}): grant "
                    "the role CREATEDB or set HRCASE_TEST_ADMIN_DATABASE_URL to a role that has it") from exc
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(admin, name)
        admin.dispose()


def _drop_database(admin: Engine, name: str, timeout: float = 60.0) -> None:
    """DROP ... WITH (FORCE), again while it fails: it may not end an autovacuum worker that a big table started
    (InsufficientPrivilege for a role that is not a superuser), but autovacuum gives way within seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except Exception as exc:
            if "InsufficientPrivilege" not in type(getattr(exc, "orig", exc)).__name__ \
                    or time.monotonic() >= deadline:
                raise
            time.sleep(1.0)


@contextmanager
def kafka_stack(bootstrap: str, postgres_url: str, tmp: Path) -> Iterator[Stack]:
    """Fresh topics, groups, database and data dir; workers stopped and their logs printed on failure."""
    with turn(), fresh_database(postgres_url) as url:
        reset_topics(bootstrap)
        engine = create_engine(url, connect_args={"options": "-c lock_timeout=5000"})
        stack = Stack(bootstrap, url, tmp, engine)
        try:
            yield stack
        except BaseException:
            stack.report()
            raise
        finally:
            for worker in stack.workers:
                worker.stop()
            for reader in stack.readers.values():
                reader.close()
            engine.dispose()


# ------------------------------------------------------------------ a run of many incidents and its guarantees

RECORDING_THRESHOLDS = 3  # warning, breach and escalation: all due for incidents reported 10+ days ago


@dataclass(frozen=True)
class Workload:
    """A JSONL sitrep of distinct incidents with malformed records spread through it."""

    path: Path
    incident_keys: frozenset[str]
    bad_lines: frozenset[int]  # 1-based lines of the records intake must dead-letter

    @property
    def records(self) -> int:
        return len(self.incident_keys) + len(self.bad_lines)


def write_workload(path: Path, incidents: int, reported_at: datetime, bad_each: int = 5) -> Workload:
    """`incidents` valid ones (tests.factories), `bad_each` lines that are not JSON and `bad_each` invalid ones."""
    write_sitreps(path, incidents, reported_at)
    lines = path.read_text().splitlines()
    keys = frozenset(str(raw_incident_key(json.loads(line))) for line in lines)
    bad = [f"not json, line {n} of a damaged sitrep {{" for n in range(bad_each)]
    bad += [json.dumps(incident("SR-BAD-2026-W40", n + 1, reported_at, "Gao",  # occurred after it was reported
                                occurred_at=(reported_at + timedelta(days=1)).isoformat())) for n in range(bad_each)]
    step = len(lines) // (len(bad) + 1)
    for i, record in enumerate(reversed(bad)):  # from the end, so earlier insertion points stay put
        lines.insert(step * (len(bad) - i), record)
    path.write_text("\n".join(lines) + "\n")
    bad_lines = frozenset(n for n, line in enumerate(lines, start=1) if line in bad)
    assert len(bad_lines) == len(bad)
    return Workload(path, keys, bad_lines)


def publish(stack: Stack, workload: Workload) -> None:
    out = stack.cli("sitrep", "publish", str(workload.path), timeout=180)
    assert f"{workload.records} incident records sent" in out, out


@dataclass
class Progress:
    """What a run has produced so far, read from the database and the topics."""

    stack: Stack

    def cases(self) -> int:
        return self.stack.scalar("select count(*) from casework.cases")

    def thresholds(self) -> int:
        """Distinct recording-clock (case, type, period) seen on sla-events."""
        return len({(e["payload"]["case_id"], e["type"], e["payload"]["period"])
                    for e in self.stack.reader(SLA_EVENTS).envelopes()
                    if e["type"] != "SlaScheduled" and e["payload"]["clock"] == "recording"})

    def dead_letters(self) -> int:
        return len({source_position(e) for e in self.stack.reader(INTAKE_REJECTED).envelopes()})

    def __str__(self) -> str:
        return (f"{self.cases()} cases, {self.thresholds()} recording thresholds on sla-events, "
                f"{self.dead_letters()} dead letters, outboxes empty: {self.stack.outboxes_empty()}, "
                f"group lag {self.stack.lag()}")


def source_position(letter: dict[str, Any]) -> tuple[str, int, int]:
    source = letter["payload"]["source"]
    return source["topic"], int(source["partition"]), int(source["offset"])


def wait_until_settled(stack: Stack, workload: Workload, timeout: float = 300.0) -> None:
    """Every case, every recording threshold and every dead letter out, then nothing left in flight."""
    n = len(workload.incident_keys)
    progress = Progress(stack)
    deadline = time.monotonic() + timeout
    wait_for(lambda: progress.cases() >= n, timeout, f"{n} cases", progress.__str__, interval=1.0)
    wait_for(lambda: progress.thresholds() >= RECORDING_THRESHOLDS * n
             and progress.dead_letters() >= len(workload.bad_lines),
             max(deadline - time.monotonic(), 30.0), "every recording threshold and dead letter",
             progress.__str__, interval=1.0)
    wait_for(stack.quiet, 60.0, "outboxes relayed and every group caught up", progress.__str__, interval=1.0)


def duplicates(envelopes: list[dict[str, Any]]) -> int:
    """Records that repeat an event id already on the topic (at-least-once relay: consumers dedupe them)."""
    return len(envelopes) - len({e["event_id"] for e in envelopes})


def assert_exactly_once(stack: Stack, workload: Workload) -> None:
    """One case per accepted incident, one dead letter per malformed record, no SLA event twice."""
    keys = workload.incident_keys
    with stack.engine.connect() as conn:
        rows = conn.execute(text("select incident_key, case_id from casework.cases")).all()
    cases: dict[str, str] = {key: case_id for key, case_id in rows}
    assert stack.scalar("select count(*) from casework.cases") == len(keys)
    assert set(cases) == keys

    letters = stack.reader(INTAKE_REJECTED).envelopes()
    ids_per_position: dict[tuple[str, int, int], set[str]] = {}
    for letter in letters:
        ids_per_position.setdefault(source_position(letter), set()).add(letter["event_id"])
    assert {int(e["payload"]["source"]["line"]) for e in letters} == set(workload.bad_lines)
    assert len(ids_per_position) == len(workload.bad_lines)
    assert all(len(ids) == 1 for ids in ids_per_position.values()), "a record was dead-lettered twice"
    assert len({e["event_id"] for e in letters}) == len(workload.bad_lines), "two records share a dead letter's id"

    registered = [e for e in stack.reader(CASE_EVENTS).envelopes() if e["type"] == "CaseRegistered"]
    per_case = Counter(e["payload"]["case_id"] for e in {e["event_id"]: e for e in registered}.values())
    assert set(per_case) == set(cases.values()) and set(per_case.values()) == {1}, "a case registered twice"

    sla = stack.reader(SLA_EVENTS).envelopes()
    ids: dict[tuple[str, str, int, str], set[str]] = {}
    for e in sla:
        p = e["payload"]
        if e["type"] == "SlaScheduled":
            continue  # a schedule: no crossing
        ids.setdefault((p["case_id"], p["clock"], p["period"], e["type"]), set()).add(e["event_id"])
    twice = {k: v for k, v in ids.items() if len(v) > 1}
    assert not twice, f"{len(twice)} SLA events emitted twice under different ids, e.g. {next(iter(twice.items()))}"
    breached = Counter(case for case, clock, _p, type_ in ids if clock == "recording" and type_ == "SlaBreached")
    assert set(breached) == set(cases.values()) and set(breached.values()) == {1}

    print(f"repeated records (same event id twice, deduped by consumers): "
          f"incidents {duplicates(stack.reader(INCIDENTS).envelopes())}, "
          f"intake-rejected {duplicates(letters)}, case-events {duplicates(stack.reader(CASE_EVENTS).envelopes())}, "
          f"sla-events {duplicates(sla)}")
