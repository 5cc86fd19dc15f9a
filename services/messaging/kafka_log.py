"""Topics read whole from Kafka, from the beginning to their end offsets as they were when reading began."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from services.messaging.kafka import to_message
from services.messaging.ports import Message


class TopicsUnreadable(RuntimeError):
    """A topic is missing, or the broker did not give every record up to the end offsets in time."""


def read_topics(bootstrap: str, topics: Iterable[str], stall: float = 60.0, **client: Any) -> Iterator[Message]:
    """Every record of `topics` up to their end offsets now, topic by topic, each partition in order; a record that
    repeats an event id already read (an at-least-once relay's repeat) is left out, as consumers skip it.

    No consumer group: nothing is committed, and running services are not disturbed. Reading fails when the broker
    gives nothing for `stall` seconds short of the end. `client` goes to the consumer (security settings)."""
    # Reading never creates a topic: a missing one is an error, not an empty report.
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             allow_auto_create_topics=False, client_id="hrcase-reader", **client)
    try:
        seen: set[str] = set()
        for topic in topics:
            for message in _read(consumer, topic, stall):
                event_id = message.headers.get("event_id")
                if event_id is not None:
                    if event_id in seen:
                        continue
                    seen.add(event_id)
                yield message
    finally:
        consumer.close()


def _read(consumer: KafkaConsumer, topic: str, stall: float) -> list[Message]:
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        raise TopicsUnreadable(f"topic {topic} does not exist on the broker (run `hrcase topics create`)")
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    consumer.seek_to_beginning(*assigned)
    ends = {tp: int(n) for tp, n in consumer.end_offsets(assigned).items()}
    by_partition: dict[int, list[Message]] = {tp.partition: [] for tp in assigned}
    last_progress = time.monotonic()
    while any(consumer.position(tp) < ends[tp] for tp in assigned):
        if time.monotonic() - last_progress >= stall:
            read = sum(len(m) for m in by_partition.values())
            raise TopicsUnreadable(f"the broker gave nothing of {topic} for {stall:.0f} s, {read:,} records read "
                                   f"short of its end offsets")
        for tp, records in consumer.poll(timeout_ms=500, max_records=10_000).items():
            by_partition[tp.partition].extend(to_message(r) for r in records if r.offset < ends[tp])
            last_progress = time.monotonic()
    return [m for p in sorted(by_partition) for m in by_partition[p]]
