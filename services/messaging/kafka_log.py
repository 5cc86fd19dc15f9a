"""Topics read whole from Kafka, from the beginning to their end offsets as they were when reading began."""

from __future__ import annotations

import heapq
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
    consumer = _reader(bootstrap, client)
    try:
        # A partition at a time, each record handed on as it is polled: a report over tens of millions of records
        # holds one poll of them, not a topic.
        yield from _first_of_each_id(m for topic in topics for tp, end in _partitions(consumer, topic)
                                     for _t, m in _stream(consumer, tp, end, stall))
    finally:
        consumer.close()


def read_in_one_order(bootstrap: str, topics: Iterable[str], stall: float = 60.0, **client: Any) -> Iterator[Message]:
    """Every record of `topics` (up to their end offsets now) in one order that keeps each partition's: merged by
    record timestamp, a tie going to the topic named first (name them cause before effect), then to the lower
    partition. Kafka has no order across partitions; this is the one an export writes. Repeats left out as above."""
    consumer = _reader(bootstrap, client)
    try:
        partitions = [part for topic in topics for part in _read(consumer, topic, stall)]
    finally:
        consumer.close()
    # heapq.merge takes the head of each partition in turn, so a partition's order is kept even where its
    # timestamps go back (two producers' clocks); equal keys come from the earlier iterable (topic, partition).
    merged = heapq.merge(*partitions, key=lambda stamped: stamped[0])
    yield from _first_of_each_id(message for _t, message in merged)


def _reader(bootstrap: str, client: dict[str, Any]) -> KafkaConsumer:
    # Reading never creates a topic: a missing one is an error, not an empty report.
    return KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                         allow_auto_create_topics=False, client_id="hrcase-reader", **client)


def _first_of_each_id(messages: Iterable[Message]) -> Iterator[Message]:
    seen: set[str] = set()
    for message in messages:
        event_id = message.headers.get("event_id")
        if event_id is not None:
            if event_id in seen:
                continue
            seen.add(event_id)
        yield message


def _read(consumer: KafkaConsumer, topic: str, stall: float) -> list[list[tuple[int, Message]]]:
    """The topic's partitions in partition order, each its records in order with their timestamps (ms)."""
    return [list(_stream(consumer, tp, end, stall)) for tp, end in _partitions(consumer, topic)]


def _partitions(consumer: KafkaConsumer, topic: str) -> list[tuple[TopicPartition, int]]:
    """The topic's partitions in order, each with its end offset now."""
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        raise TopicsUnreadable(f"topic {topic} does not exist on the broker (run `hrcase topics create`)")
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    ends = {tp: int(n) for tp, n in consumer.end_offsets(assigned).items()}
    return [(tp, ends[tp]) for tp in assigned]


def _stream(consumer: KafkaConsumer, tp: TopicPartition, end: int, stall: float) -> Iterator[tuple[int, Message]]:
    """One partition's records up to `end`, in order with their timestamps (ms), as they are polled."""
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    read, last_progress = 0, time.monotonic()
    while consumer.position(tp) < end:
        if time.monotonic() - last_progress >= stall:
            raise TopicsUnreadable(f"the broker gave nothing of {tp.topic} for {stall:.0f} s, {read:,} records read "
                                   f"short of its end offsets")
        for records in consumer.poll(timeout_ms=500, max_records=10_000).values():
            for r in records:
                if r.offset < end:
                    read += 1
                    yield r.timestamp, to_message(r)
            last_progress = time.monotonic()
