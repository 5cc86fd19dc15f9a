"""The embedded runtime: intake, casework and sla_monitor in one process, joined by the SQLite log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import Engine

from services import vocabulary_file
from services.casework import bootstrap as casework_boot
from services.casework import gauges as casework_gauges
from services.clock import Clock
from services.config import Settings
from services.intake import bootstrap as intake_boot
from services.messaging.embedded import Consumer, EmbeddedLog, Pump
from services.messaging.ports import Message, Outgoing
from services.messaging.processing import BatchProcessor
from services.messaging.sqlite import sqlite_engine
from services.messaging.store import Mailboxes
from services.metrics import Metrics, register_backlog, register_lag
from services.private_files import private_folder
from services.sealing import seal_outgoing
from services.sla_monitor import bootstrap as sla_boot
from services.sla_monitor import gauges as sla_gauges
from services.vault import IdentityVault

log = logging.getLogger(__name__)


class EmbeddedRuntime:
    """Same handlers and schemas as the Kafka workers; a durable log and offsets make restarts safe."""

    def __init__(self, settings: Settings, metrics: Metrics | None = None, clock: Clock | None = None,
                 vault: IdentityVault | None = None):
        self.settings = settings
        self.clock = clock  # what "now" the gauges judge against (a simulated run's own); None: the system's
        self.metrics = metrics or Metrics()
        vocabulary_file.install(settings.vocabularies_path)  # the terms intake accepts and the pages offer
        data = private_folder(settings.data_dir)
        self.log = EmbeddedLog.open(data / "log.sqlite")
        engines = {name: sqlite_engine(data / f"{name}.sqlite") for name in ("intake", "casework", "sla_monitor")}
        intake_boot.migrate(engines["intake"])
        casework_boot.migrate(engines["casework"])
        sla_boot.migrate(engines["sla_monitor"])
        # A development key kept in the data dir unless production demands a configured one (HRCASE_ENV). One key
        # for the edge (`submit`), intake and casework: identities are sealed as they enter (ADR 10).
        self.vault = vault or settings.vault()  # given: a staging runtime sealing with production's key
        self.intake = intake_boot.build(engines["intake"], offices=settings.offices,
                                        observer=self.metrics.observer("intake"), vault=self.vault)
        self.casework = casework_boot.build(engines["casework"], observer=self.metrics.observer("casework"),
                                            vault=self.vault)
        self.sla = sla_boot.build(engines["sla_monitor"], sla_boot.load_policy(settings.policy_path),
                                  observer=self.metrics.observer("sla_monitor"))
        self.consumers = [
            self._consumer("intake", self.intake.processor, engines["intake"], self.intake.mailboxes),
            self._consumer("casework", self.casework.processor, engines["casework"], self.casework.mailboxes),
            self._consumer("sla_monitor", self.sla.processor, engines["sla_monitor"], self.sla.mailboxes),
        ]
        self.pump = Pump(self.consumers, settings.batch_size,
                         lambda name, seconds: self.metrics.processing.labels(name).observe(seconds))
        self._gauges()

    def _consumer(self, name: str, processor: BatchProcessor, engine: Engine, mailboxes: Mailboxes) -> Consumer:
        return Consumer(name, processor, engine, mailboxes, self.log.subscriber(name, processor.topics),
                        self.metrics.publisher(name, self.log))

    def submit(self, records: Iterable[Outgoing]) -> int:
        """Append situation-report records to the log (the embedded `sitrep publish`), identities sealed."""
        batch = seal_outgoing(records, self.vault)
        self.log.publish(batch)
        return len(batch)

    def relay(self) -> int:
        return self.pump.relay()

    def messages(self, topics: Iterable[str]) -> Iterator[Message]:
        """The log's records of `topics`, topic by topic, each in order (what `hrcase report` and `rejected` read),
        read a chunk at a time."""
        for topic in topics:
            yield from self.log.stream_topic(topic)

    def step(self, now: datetime) -> int:
        """One pass: every consumer takes a batch, then outboxes are relayed. Returns records moved."""
        return self.pump.step(now)

    def run_until_idle(self, now: datetime) -> int:
        """Process everything in the log and fire every deadline due by `now`; returns records handled."""
        total = 0
        while True:
            moved = self.step(now)
            if moved == 0:
                # Tick only once every case event in the log has reached the monitor: a tick ahead of a
                # queued CaseRecorded would breach a case that was recorded in time (event time is exact).
                moved = self.sla.tick(now)
                if moved == 0:
                    return total
            total += moved

    def serve(self, clock: Clock, stop: threading.Event, interval: float = 0.5) -> None:
        """Run until `stop` is set: poll, process, tick on the given clock."""
        log.info("embedded runtime serving from %s", self.settings.data_dir)
        while not stop.is_set():
            if self.run_until_idle(clock.now()) == 0:
                stop.wait(interval)

    def _gauges(self) -> None:
        m = self.metrics
        m.use_offices(self.settings.offices)
        register_backlog(m, "intake", self.intake.engine, self.intake.mailboxes)
        casework_gauges.register(m, self.casework, self.settings.offices, self.clock)
        sla_gauges.register(m, self.sla, self.settings.offices)
        # One log, one partition: lag is the records past each group's committed offset.
        register_lag(m, lambda: [((c.name, t, "0"), float(self.log.lag(c.name, t)))
                                 for c in self.consumers for t in c.processor.topics])
