"""A casework-only test world given the monitor's schedules: its case events through a real sla_monitor, and the
schedules that publishes back into casework (as the runtime's pipeline does, asynchronously, after each command)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from services.casework.bootstrap import Casework
from services.messaging.ports import Message, Outgoing
from services.messaging.sqlite import sqlite_engine
from services.sla_monitor import bootstrap as sla_boot
from services.sla_monitor.domain.policy import Policy


class Collect:
    """A publisher that keeps what an outbox relays, as messages for the next service."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def publish(self, records: list[Outgoing]) -> None:
        for r in records:
            self.messages.append(Message(r.topic, 0, len(self.messages), r.key, r.value, r.headers))

    def take(self) -> list[Message]:
        taken, self.messages = self.messages, []
        return taken


def pump_schedules(casework: Casework, sla_path: Path, now: datetime) -> None:
    """Relay casework's outbox to a monitor (kept at `sla_path`) and its schedules back; crossings stay out (the
    worlds open their alerts by hand)."""
    engine = sqlite_engine(sla_path)
    sla_boot.migrate(engine)
    monitor = sla_boot.build(engine, Policy())
    to_monitor, to_casework = Collect(), Collect()
    casework.mailboxes.relay(casework.engine, to_monitor)
    monitor.processor.process([m for m in to_monitor.take() if m.topic == "case-events"], now)
    monitor.mailboxes.relay(monitor.engine, to_casework)
    casework.processor.process([m for m in to_casework.take() if m.headers.get("type") == "SlaScheduled"], now)
    engine.dispose()
