"""The messaging ports every service is written against: a message in, an outgoing record out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """One record read from a topic, whichever log it came from."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def position(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


@dataclass(frozen=True)
class Outgoing:
    """One record a service wants published; it waits in the service's outbox until relayed."""

    topic: str
    key: str
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Publisher(Protocol):
    def publish(self, records: list[Outgoing]) -> None:
        """Durably append records, in order; returns only once the log has them."""


class Subscriber(Protocol):
    def poll(self, max_records: int) -> list[Message]:
        """Next records for this consumer group, in order within a partition."""

    def commit(self, messages: list[Message]) -> None:
        """Mark records as done for the group, after their effects are committed."""


class Processor(Protocol):
    """A service's consuming side: effects and outbox for a batch, in one transaction."""

    topics: tuple[str, ...]

    def process(self, messages: list[Message], now: datetime) -> None: ...
