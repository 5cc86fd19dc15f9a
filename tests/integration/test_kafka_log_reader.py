"""Topics read whole from Kafka for reports: every partition in order, up to the end offsets, repeats left out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from services.messaging.kafka import KafkaPublisher
from services.messaging.kafka_log import TopicsUnreadable, read_topics
from services.messaging.ports import Outgoing


@pytest.fixture
def topic(kafka_bootstrap: str) -> Iterator[str]:
    """A topic of the test's own, three partitions, deleted afterwards (the hrcase topics are left alone)."""
    name = f"test-reader-{uuid.uuid4().hex[:10]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="hrcase-test-reader")
    admin.create_topics([NewTopic(name, 3, 1)])
    try:
        yield name
    finally:
        admin.delete_topics([name])
        admin.close()


def record(topic: str, key: str, event_id: str | None) -> Outgoing:
    return Outgoing(topic, key, f"{key}:{event_id}".encode(), {"event_id": event_id} if event_id else {})


@pytest.mark.kafka
def test_every_record_is_read_in_partition_order_and_a_repeated_event_id_once(kafka_bootstrap: str,
                                                                              topic: str) -> None:
    sent = [record(topic, f"case-{n % 5}", f"e{n}") for n in range(40)]
    repeat = record(topic, "case-3", "e3")  # the relay sent it again after a crash
    raw = record(topic, "incident-1", None)  # a sitrep record: no event id, never taken for a repeat
    publisher = KafkaPublisher(kafka_bootstrap, client_id="hrcase-test-reader")
    try:
        publisher.publish([*sent, repeat, raw, raw])
    finally:
        publisher.close()
    read = list(read_topics(kafka_bootstrap, [topic]))
    assert sorted(m.value for m in read) == sorted([r.value for r in sent] + [raw.value] * 2)
    for key in {r.key for r in sent}:  # one key, one partition: in the order sent
        assert [m.value for m in read if m.key == key] == [r.value for r in sent if r.key == key]


@pytest.mark.kafka
def test_a_missing_topic_is_an_error_and_is_not_created(kafka_bootstrap: str) -> None:
    name = f"test-reader-missing-{uuid.uuid4().hex[:10]}"
    with pytest.raises(TopicsUnreadable, match=f"topic {name} does not exist"):
        list(read_topics(kafka_bootstrap, [name]))
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="hrcase-test-reader")
    try:
        assert name not in admin.list_topics()
    finally:
        admin.close()
