"""Consumer lag on Kafka, per topic and partition: a group's committed offsets against the partitions' ends."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from kafka import KafkaConsumer, TopicPartition

from services.logs import OutageLog
from services.messaging.kafka_security import PLAINTEXT, KafkaSecurity

log = logging.getLogger(__name__)
Samples = list[tuple[tuple[str, ...], float]]
# A scrape must not hang on a broker that is away: give up connecting after 5 s (the setting's name changed in 3.0).
_FAST_BOOTSTRAP = {key: 5000 for key in ("bootstrap_timeout_ms", "api_version_auto_timeout_ms")
                   if key in KafkaConsumer.DEFAULT_CONFIG}


class KafkaLag:
    """A gauge source for `hrcase_consumer_lag`; it reads offsets at most once every `ttl` seconds.

    It never joins the group (no subscription, no poll): it only asks the group's committed offsets.
    """

    def __init__(self, bootstrap: str, group: str, topics: Sequence[str], ttl: float = 5.0,
                 clock: Callable[[], float] = time.monotonic, security: KafkaSecurity = PLAINTEXT):
        self.bootstrap, self.group, self.topics, self.ttl, self.clock = bootstrap, group, tuple(topics), ttl, clock
        self.security = security
        self._outage = OutageLog(f"reading the consumer lag of {group}", log)
        self._consumer: KafkaConsumer | None = None
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._samples: Samples = []

    def __call__(self) -> Samples:
        with self._lock:
            if self._read_at is None or self.clock() - self._read_at >= self.ttl:
                try:
                    self._samples = self._read()
                except Exception as exc:  # Kafka away: no lag series (the worker's own health says why)
                    self._outage.failed(exc, time.monotonic(), "Kafka")
                    self._samples = []
                    self.close()
                else:
                    self._outage.recovered(time.monotonic())
                self._read_at = self.clock()
            return list(self._samples)

    def _read(self) -> Samples:
        if self._consumer is None:
            # session < request timeout is kafka-python's rule even for a consumer that never joins.
            self._consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=self.group,
                                           client_id=f"{self.group}-lag", enable_auto_commit=False,
                                           request_timeout_ms=8000, session_timeout_ms=6000, **_FAST_BOOTSTRAP,
                                           **self.security.client_options())
        consumer = self._consumer
        if any(consumer.partitions_for_topic(topic) is None for topic in self.topics):
            consumer.topics()  # the client's metadata does not know the topic yet: fetch it
        partitions = [TopicPartition(topic, p) for topic in self.topics
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return []
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
        samples: Samples = []
        for tp in partitions:
            committed = consumer.committed(tp)
            done = starts[tp] if committed is None else max(committed, starts[tp])  # none yet: from the start
            samples.append(((self.group, tp.topic, str(tp.partition)), float(max(ends[tp] - done, 0))))
        return samples

    def close(self) -> None:
        if self._consumer is not None:
            try:
                self._consumer.close(autocommit=False)
            finally:
                self._consumer = None
