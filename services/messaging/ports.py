"""The messaging ports every service is written against: a message in, an outgoing record out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson


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
    # The JSON form of the payload `value` was encoded from, when this process made it: read by the emitting
    # service (history, metrics) instead of parsing `value` again. Never stored or published.
    payload: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def read_payload(self) -> dict[str, Any]:
        """The envelope's payload: as kept when this process made the record, else read back from its bytes."""
        if self.payload is not None:
            return self.payload
        payload: dict[str, Any] = orjson.loads(self.value)["payload"]
        return payload


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
