"""Consumer lag on Kafka, per topic and partition, from a group's committed offsets; read at most every few seconds."""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.structs import OffsetAndMetadata

from services.messaging.kafka_lag import KafkaLag


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def commit(bootstrap: str, group: str, topic: str, offsets: dict[int, int]) -> None:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        consumer.assign([TopicPartition(topic, p) for p in offsets])
        consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "", -1) for p, o in offsets.items()})
    finally:
        consumer.close(autocommit=False)


@pytest.mark.kafka
def test_lag_is_what_each_partition_holds_past_the_groups_committed_offset(kafka_bootstrap: str) -> None:
    topic, group = f"lag-{uuid.uuid4().hex[:8]}", f"hrcase-test-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for partition, count in ((0, 5), (1, 3)):
        for n in range(count):
            producer.send(topic, value=f"{n}".encode(), partition=partition)
    producer.flush()
    producer.close()
    clock = Clock()
    lag = KafkaLag(kafka_bootstrap, group, [topic], ttl=5.0, clock=clock)
    try:
        # Nothing committed yet: the whole partition is to be read.
        assert lag() == [((group, topic, "0"), 5.0), ((group, topic, "1"), 3.0)]
        commit(kafka_bootstrap, group, topic, {0: 2, 1: 3})
        clock.t = 1.0
        assert lag() == [((group, topic, "0"), 5.0), ((group, topic, "1"), 3.0)]  # cached within the ttl
        clock.t = 6.0
        assert lag() == [((group, topic, "0"), 3.0), ((group, topic, "1"), 0.0)]
    finally:
        lag.close()


def test_an_unreachable_broker_gives_no_lag_series_rather_than_a_failed_scrape() -> None:
    lag = KafkaLag("127.0.0.1:1", "hrcase-nobody", ["sitrep-incidents"], ttl=0)
    assert lag() == []
