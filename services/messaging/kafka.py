"""Kafka adapters on kafka-python: topic administration, a durable publisher, and a plain subscriber."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from schemas.topics import TopicSpec
from services.messaging.kafka_security import PLAINTEXT, KafkaSecurity
from services.messaging.ports import Message, Outgoing

log = logging.getLogger(__name__)


def _configs(spec: TopicSpec, min_insync: int | None) -> dict[str, str]:
    # alter_configs replaces a topic's whole configuration: every setting hrcase makes is named here, every time.
    configs = {"retention.ms": str(spec.retention_ms), "cleanup.policy": spec.cleanup_policy}
    if min_insync is not None:
        configs["min.insync.replicas"] = str(min_insync)
    return configs


def create_topics(bootstrap: str, specs: Sequence[TopicSpec], replication: int = 1,
                  min_insync: int | None = None, security: KafkaSecurity = PLAINTEXT) -> list[str]:
    """Create missing topics and bring existing ones to the configured settings; harmless to repeat.

    `min_insync` (min.insync.replicas) is how many replicas must hold a record before an acks=all producer (every
    hrcase producer) is told it is written; None leaves the broker's default. Replication of an existing topic is
    not changed here (kafka-reassign-partitions.sh does that)."""
    if min_insync is not None and min_insync > replication:
        raise ValueError(f"min.insync.replicas {min_insync} exceeds the replication factor {replication}: "
                         "no write could ever be acknowledged")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hrcase-admin", **security.client_options())
    report = []
    try:
        existing = set(admin.list_topics())
        for spec in specs:
            if spec.name not in existing:
                try:
                    topic = NewTopic(spec.name, spec.partitions, replication, topic_configs=_configs(spec, min_insync))
                    admin.create_topics([topic])
                    report.append(f"{spec.name}: created ({spec.partitions} partitions, replication {replication})")
                    continue
                except TopicAlreadyExistsError:  # created meanwhile by another admin
                    pass
            configs = _configs(spec, min_insync)
            admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=configs)])
            partitions = len(admin.describe_topics([spec.name])[0]["partitions"])
            if partitions < spec.partitions:
                admin.create_partitions({spec.name: NewPartitions(spec.partitions)})
                report.append(f"{spec.name}: partitions raised {partitions} -> {spec.partitions}")
            else:
                report.append(f"{spec.name}: exists ({partitions} partitions), settings applied")
    finally:
        admin.close()
    return report


class KafkaPublisher:
    """acks=all and idempotent: `publish` returns only once every record is on the broker."""

    def __init__(self, bootstrap: str, client_id: str = "hrcase", security: KafkaSecurity = PLAINTEXT):
        self.producer = KafkaProducer(
            **security.client_options(),
            bootstrap_servers=bootstrap, client_id=client_id, acks="all", enable_idempotence=True,
            linger_ms=5, retries=2**31 - 1, max_in_flight_requests_per_connection=5,
            # Relays publish in bursts (a batch's events, a tick's breaches): 256 KiB record batches, not 16 KiB,
            # send 10,000 records in about half the requests and time.
            batch_size=256 * 1024,
        )

    def publish(self, records: list[Outgoing], timestamps: Sequence[int] | None = None) -> None:
        """`timestamps` (ms, one a record) when the records' order across partitions must be kept (a history loaded
        into production: exports merge partitions by timestamp); else the producer's clock."""
        futures = [
            self.producer.send(
                r.topic, key=r.key.encode(), value=r.value,
                headers=[(k, v.encode()) for k, v in sorted(r.headers.items())],
                timestamp_ms=timestamps[n] if timestamps is not None else None,
            )
            for n, r in enumerate(records)
        ]
        self.producer.flush()
        for future in futures:
            future.get(timeout=60)  # raises if any record failed: the outbox keeps it for the next try

    def close(self) -> None:
        self.producer.close()


def consumer_group(service: str) -> str:
    """The consumer group of a service's workers (faust's app id): what they have taken of their topics."""
    return f"hrcase-{service}"


class KafkaSubscriber:
    """A consumer-group member with manual commits: the Subscriber port on Kafka (tools and tests)."""

    def __init__(self, bootstrap: str, group_id: str, topics: Iterable[str],
                 security: KafkaSecurity = PLAINTEXT):
        self.consumer = KafkaConsumer(
            *topics, bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False,
            auto_offset_reset="earliest", client_id=group_id, **security.client_options(),
            # A topic the broker has just made may be missing from the first metadata: the group then assigns it no
            # partition until the next refresh, by default 5 minutes later. Refreshed every 5 s, it joins within 5 s.
            metadata_max_age_ms=5000,
        )

    def poll(self, max_records: int, timeout_ms: int = 1000) -> list[Message]:
        batches = self.consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        self._rejoin_if_assignment_dropped()
        out = [to_message(r) for records in batches.values() for r in records]
        return sorted(out, key=lambda m: (m.topic, m.partition, m.offset))

    def _rejoin_if_assignment_dropped(self) -> None:
        # kafka-python 3.0 (up to 3.0.12 at least): when a rejoin's SyncGroup answer lands just as poll() times out,
        # the finished join is left unread, and the leader's assignment snapshot already equals the metadata, so the
        # next poll sees no reason to rejoin: the member keeps no partitions for good and reads nothing. A finished
        # join that nobody applied is that case; asking for a rejoin makes the next poll join again and apply it.
        coordinator = getattr(self.consumer, "_coordinator", None)
        join = getattr(coordinator, "_join_task", None)
        if join is not None and getattr(join, "is_done", False) and not coordinator.need_rejoin():  # type: ignore[union-attr]
            log.warning("kafka: a group join finished unapplied (%s); rejoining", self.consumer.config["group_id"])
            coordinator.request_rejoin()  # type: ignore[union-attr]

    def commit(self, messages: list[Message]) -> None:
        last: dict[TopicPartition, int] = {}
        for m in messages:
            tp = TopicPartition(m.topic, m.partition)
            last[tp] = max(last.get(tp, -1), m.offset)
        if last:
            self.consumer.commit({tp: OffsetAndMetadata(off + 1, "", -1) for tp, off in last.items()})

    def close(self) -> None:
        self.consumer.close()


def to_message(record: object) -> Message:
    """A kafka-python (or aiokafka) ConsumerRecord as the port's Message."""
    key = getattr(record, "key", None)
    headers = getattr(record, "headers", None) or []
    return Message(
        topic=record.topic,  # type: ignore[attr-defined]
        partition=record.partition,  # type: ignore[attr-defined]
        offset=record.offset,  # type: ignore[attr-defined]
        key=key.decode() if isinstance(key, bytes) else key,
        value=record.value,  # type: ignore[attr-defined]
        headers={k: v.decode() if isinstance(v, bytes) else str(v) for k, v in headers},
    )
