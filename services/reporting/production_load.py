"""A history into an empty production layout: staged in an embedded runtime, then its log published to Kafka, its
tables copied into PostgreSQL, and the workers' consumer groups committed past it."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.structs import OffsetAndMetadata
from sqlalchemy import Connection, Table, func, insert, select, text

from services.config import SERVICES, Settings
from services.embedded import EmbeddedRuntime
from services.messaging.embedded import records
from services.messaging.kafka import KafkaPublisher, consumer_group
from services.messaging.ports import Outgoing
from services.messaging.store import decode_headers
from services.reporting.production import METADATA, OUTBOXES, OWN, count_rows

T = TypeVar("T")
CHUNK = 5000  # records a publish, rows an insert
START_AGAIN = ("to start again, empty the installation (drop the schemas intake, casework and sla_monitor and run "
               "`hrcase db upgrade`; delete the hrcase topics and consumer groups and run `hrcase topics create`), "
               "then import again")


class NotEmpty(Exception):
    """The production installation holds something already (the message names it); nothing was changed."""


class LoadFailed(Exception):
    """Loading stopped part way; the message says what was loaded and how to start again."""


@dataclass
class Loaded:
    rows: dict[str, int] = field(default_factory=dict)  # copied, by schema.table
    records: dict[str, int] = field(default_factory=dict)  # published, by topic
    groups: list[str] = field(default_factory=list)  # consumer groups committed at the end of their topics

    def describe(self) -> str:
        return (f"loaded into production: {sum(self.rows.values()):,} rows in "
                f"{len({t.split('.')[0] for t in self.rows})} schemas, {sum(self.records.values()):,} records on "
                f"{len(self.records)} topics, consumer groups {', '.join(self.groups)} committed at their ends")


def require_empty(settings: Settings) -> None:
    """Refuse, naming each, topics that hold records, tables that hold rows, groups that have members."""
    full = [f"{table}: {n:,} rows" for s in SERVICES for table, n in count_rows(settings, s).items() if n]
    client = settings.kafka_security.client_options()
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                             allow_auto_create_topics=False, client_id="hrcase-import", **client)
    try:
        for topic in (t.name for t in settings.topics()):
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                raise NotEmpty(f"topic {topic} does not exist on Kafka at {settings.kafka_bootstrap}: run "
                               "`hrcase topics create` first")
            tps = [TopicPartition(topic, p) for p in partitions]
            first, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
            held = sum(end[tp] - first[tp] for tp in tps)
            if held:
                full.append(f"topic {topic}: {held:,} records")
    finally:
        consumer.close()
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="hrcase-import", **client)
    try:
        groups = [consumer_group(s) for s in SERVICES]
        for group, described in admin.describe_groups(groups).items():
            if described.get("members"):
                full.append(f"consumer group {group}: {len(described['members'])} members (stop the workers)")
    finally:
        admin.close()
    if full:
        raise NotEmpty("the production installation is not empty, and an import goes only into an empty one: "
                       + "; ".join(full))


def import_into_production(settings: Settings, stage: Callable[[EmbeddedRuntime], T],
                           progress: Callable[[str], None] = lambda _: None) -> tuple[T, Loaded]:
    """`stage` the history in a scratch embedded runtime (same settings, production's identity key), then load it.

    The scratch runtime lives beside the data (HRCASE_DATA_DIR) and is removed at the end."""
    require_empty(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".import-staging-", dir=settings.data_dir) as scratch:
        runtime = EmbeddedRuntime(replace(settings, database_url=None, data_dir=Path(scratch)),
                                  vault=settings.vault())
        try:
            result = stage(runtime)
            progress("staged; loading into PostgreSQL and Kafka")
            return result, load(runtime, settings, progress)
        finally:
            for consumer in runtime.consumers:
                consumer.engine.dispose()
            runtime.log.engine.dispose()


def load(runtime: EmbeddedRuntime, settings: Settings, progress: Callable[[str], None]) -> Loaded:
    loaded = Loaded()
    step = "copying the tables"
    try:
        for consumer in runtime.consumers:
            loaded.rows.update(_copy_tables(consumer.name, consumer.engine, settings))
            progress(f"copied the {consumer.name} tables")
        step = "publishing the log to Kafka"
        _publish(runtime, settings, loaded)
        step = "committing the consumer groups"
        _commit_groups(runtime, settings, loaded)
    except Exception as exc:
        done = loaded.describe() if loaded.rows else "nothing loaded"
        raise LoadFailed(f"{step} failed ({exc.__class__.__name__}: {exc}); {done}; {START_AGAIN}") from exc
    return loaded


def _copy_tables(service: str, source: Any, settings: Settings) -> dict[str, int]:
    """Every table of the service, in one transaction; the outbox must be empty (all relayed into the log)."""
    engine, schema = settings.database(service)
    copied = {}
    try:
        with source.connect() as src, engine.begin() as dst:
            for table in METADATA[service].sorted_tables:
                if table in OWN:
                    continue
                if table is OUTBOXES[service]:
                    left = src.scalar(select(func.count()).select_from(table))
                    if left:
                        raise RuntimeError(f"{service}'s staged outbox holds {left} events never relayed")
                    continue
                copied[f"{schema}.{table.name}"] = _copy(src, dst, table, f"{schema}.{table.name}")
    finally:
        engine.dispose()
    return copied


def _copy(src: Connection, dst: Connection, table: Table, qualified: str) -> int:
    n = 0
    result = src.execute(select(table))
    while rows := result.fetchmany(CHUNK):
        dst.execute(insert(table), [{k: _utc(v) for k, v in row._mapping.items()} for row in rows])
        n += len(rows)
    column = table.autoincrement_column
    if column is not None and n:  # the sequence goes on after the copied ids, or the next insert collides
        highest = src.scalar(select(func.max(column)))
        dst.execute(text("SELECT setval(pg_get_serial_sequence(:t, :c), :v)"),
                    {"t": qualified, "c": column.name, "v": highest})
    return n


def _utc(value: Any) -> Any:
    # SQLite keeps UTC times without their offset; PostgreSQL would read a naive time in the session's zone.
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value


def _staged(runtime: EmbeddedRuntime) -> Iterator[list[Outgoing]]:
    with runtime.log.engine.connect() as conn:
        result = conn.execute(select(records).order_by(records.c.offset))
        while rows := result.fetchmany(CHUNK):
            yield [Outgoing(r.topic, r.key or "", r.value, decode_headers(r.headers)) for r in rows]


def _publish(runtime: EmbeddedRuntime, settings: Settings, loaded: Loaded) -> None:
    """The staged log in its order, each record to its topic by its key (the workers' partitioner). Timestamps one
    millisecond apart, ending now, so that an export (which merges partitions by timestamp) keeps this order."""
    with runtime.log.engine.connect() as conn:
        total = int(conn.scalar(select(func.count()).select_from(records)) or 0)
    stamp = int(time.time() * 1000) - total
    publisher = KafkaPublisher(settings.kafka_bootstrap, client_id="hrcase-import", security=settings.kafka_security)
    try:
        for batch in _staged(runtime):
            publisher.publish(batch, [stamp + n for n in range(len(batch))])
            stamp += len(batch)
            for record in batch:
                loaded.records[record.topic] = loaded.records.get(record.topic, 0) + 1
    finally:
        publisher.close()


def _commit_groups(runtime: EmbeddedRuntime, settings: Settings, loaded: Loaded) -> None:
    """Each service's group at the end of the topics it consumes: its workers go on after the imported history,
    which its tables already hold, instead of taking it again."""
    client = settings.kafka_security.client_options()
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                             client_id="hrcase-import", **client)
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="hrcase-import", **client)
    try:
        for service in runtime.consumers:
            tps = [TopicPartition(topic, p) for topic in service.processor.topics
                   for p in sorted(consumer.partitions_for_topic(topic) or ())]
            ends = consumer.end_offsets(tps)
            group = consumer_group(service.name)
            errors = admin.alter_group_offsets(group, {tp: OffsetAndMetadata(ends[tp], "", -1) for tp in tps})
            failed = {f"{tp.topic}:{tp.partition}": e for tp, e in errors.items() if e.__name__ != "NoError"}
            if failed:
                raise RuntimeError(f"Kafka refused the offsets of {group}: {failed}")
            loaded.groups.append(group)
    finally:
        admin.close()
        consumer.close()
