"""The logs under contract, each behind one small test-side adapter: the embedded SQLite log and Kafka."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import pytest
from kafka import TopicPartition
from kafka.admin import KafkaAdminClient

from schemas.topics import TopicSpec
from services.messaging.embedded import EmbeddedLog
from services.messaging.kafka import KafkaPublisher, KafkaSubscriber, create_topics
from services.messaging.ports import Message, Outgoing, Publisher, Subscriber

DEADLINE = 30.0  # seconds any wait for records may take before the test fails instead of hanging

Seen = list[tuple[str, str | None, bytes, tuple[tuple[str, str], ...]]]


def as_published(records: Iterable[Outgoing | Message]) -> Seen:
    """Records as the log was given them (topic, key, value, headers), in a stable order for comparing."""
    return sorted((r.topic, r.key, r.value, tuple(sorted(r.headers.items()))) for r in records)


class LogUnderTest(Protocol):
    """What a contract test needs from a log: topics, a publisher, subscribers, and bounded reads."""

    name: str
    partitions: int  # partitions of every topic the adapter creates
    absorbs_duplicates: bool  # whether a record re-sent with the same event_id header is dropped by the log

    @property
    def publisher(self) -> Publisher: ...

    def topic(self, name: str) -> str:
        """A fresh topic of this test's own (the name it really has on the log)."""

    def publish(self, records: Sequence[Outgoing]) -> None: ...

    def new_subscriber(self, group: str, topics: Sequence[str]) -> Subscriber:
        """A new member of `group` (a name private to this test) on `topics`."""

    def stop(self, subscriber: Subscriber) -> None:
        """The subscriber leaves its group without committing anything more."""

    def poll_until(self, subscriber: Subscriber, n: int, timeout: float = DEADLINE) -> list[Message]:
        """Poll until at least `n` records came and the subscriber has read all there is; fail at the deadline."""


class EmbeddedLogUnderTest:
    name = "embedded"
    partitions = 1
    absorbs_duplicates = True

    def __init__(self, path: Path):
        self.log = EmbeddedLog.open(path)
        self.publisher: Publisher = self.log

    def topic(self, name: str) -> str:
        return name  # the log file is the test's own

    def publish(self, records: Sequence[Outgoing]) -> None:
        self.log.publish(list(records))

    def new_subscriber(self, group: str, topics: Sequence[str]) -> Subscriber:
        return self.log.subscriber(group, tuple(topics))

    def stop(self, subscriber: Subscriber) -> None:
        pass  # an embedded subscriber holds nothing but its group's committed offsets

    def poll_until(self, subscriber: Subscriber, n: int, timeout: float = DEADLINE) -> list[Message]:
        # An embedded poll reads from the group's committed offsets every time (it keeps no position of its
        # own), so one poll large enough returns everything not yet committed.
        deadline = time.monotonic() + timeout
        got: list[Message] = []
        while time.monotonic() < deadline:
            got = subscriber.poll(n + 1000)
            if len(got) >= n:
                return got
            time.sleep(0.05)
        pytest.fail(f"embedded: {len(got)} of {n} records within {timeout} s")

    def close(self) -> None:
        self.log.engine.dispose()


class KafkaLogUnderTest:
    name = "kafka"
    partitions = 3
    absorbs_duplicates = False

    def __init__(self, bootstrap: str):
        self.bootstrap = bootstrap
        self.run = uuid.uuid4().hex[:10]
        self.publisher = KafkaPublisher(bootstrap, client_id=f"contract-{self.run}")
        self.admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=f"contract-admin-{self.run}")
        self.topics: list[str] = []
        self.groups: set[str] = set()
        self.subscribers: list[KafkaSubscriber] = []

    def topic(self, name: str) -> str:
        unique = f"contract-{name}-{self.run}"
        create_topics(self.bootstrap, [TopicSpec(unique, "contract tests", self.partitions, -1)])
        self.topics.append(unique)
        self.admin.wait_for_topics([unique], timeout_ms=int(DEADLINE * 1000))  # leaders elected everywhere
        return unique

    def publish(self, records: Sequence[Outgoing]) -> None:
        self.publisher.publish(list(records))

    def new_subscriber(self, group: str, topics: Sequence[str]) -> Subscriber:
        unique = f"contract-{group}-{self.run}"
        self.groups.add(unique)
        subscriber = KafkaSubscriber(self.bootstrap, unique, topics)
        self.subscribers.append(subscriber)
        return subscriber

    def stop(self, subscriber: Subscriber) -> None:
        assert isinstance(subscriber, KafkaSubscriber)
        subscriber.close()  # leaves the group at once; auto-commit is off, so nothing is committed on the way

    def poll_until(self, subscriber: Subscriber, n: int, timeout: float = DEADLINE) -> list[Message]:
        assert isinstance(subscriber, KafkaSubscriber)
        deadline = time.monotonic() + timeout
        got: list[Message] = []
        while time.monotonic() < deadline:
            got += subscriber.poll(500, timeout_ms=200)
            if len(got) >= n and self._read_to_the_end(subscriber):
                return got
        pytest.fail(f"kafka: {len(got)} of {n} records within {timeout} s")

    @staticmethod
    def _read_to_the_end(subscriber: KafkaSubscriber) -> bool:
        """Whether this member owns every partition it subscribed to and has been handed every record in them."""
        consumer = subscriber.consumer
        wanted = {TopicPartition(t, p) for t in consumer.subscription() or () for p in
                  consumer.partitions_for_topic(t) or ()}
        owned = consumer.assignment()
        if not wanted or owned != wanted:
            return False
        ends = consumer.end_offsets(list(owned))
        return all(consumer.position(tp) >= ends[tp] for tp in owned)

    def close(self) -> None:
        try:
            for subscriber in self.subscribers:
                subscriber.close()  # a no-op for those already stopped
            self.publisher.close()
        finally:
            try:  # nothing of the test stays on the broker
                if self.groups:
                    self.admin.delete_groups(sorted(self.groups))
                if self.topics:
                    self.admin.delete_topics(self.topics)
            finally:
                self.admin.close()
