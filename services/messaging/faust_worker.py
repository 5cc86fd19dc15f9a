"""The Kafka runtime: one faust-streaming app per service, wrapped around the same BatchProcessor."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from mode.utils.logging import DEFAULT_FORMAT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from services.clock import SystemClock
from services.logs import OutageLog
from services.messaging import migrate
from services.messaging.health import Health
from services.messaging.kafka import consumer_group
from services.messaging.kafka_security import PLAINTEXT, KafkaSecurity
from services.messaging.ports import Message, Outgoing
from services.messaging.processing import BatchProcessor
from services.messaging.store import Mailboxes
from services.metrics import Metrics
from services.private_files import private_folder

log = logging.getLogger(__name__)


@dataclass
class WorkerSpec:
    """What a service brings to its worker: the processor, its database and outbox, and an optional tick."""

    service: str
    processor: BatchProcessor
    engine: Engine
    mailboxes: Mailboxes
    metrics: Metrics
    tick: Callable[[datetime], int] | None = None
    migrations: str | None = None  # the package whose migrations readiness wants the schema at (or past)
    schema: str | None = None


@dataclass(frozen=True)
class WorkerOptions:
    bootstrap: str
    web_bind: str
    web_port: int
    data_dir: Path
    batch_size: int = 2000  # as Settings.batch_size
    # Seconds a partial batch waits for more records: each hop of the pipeline waits this long when traffic is light
    # (faust waits it again after every batch unless the batch fills), so it is most of an incident's latency.
    within: float = 0.05
    relay_interval: float = 0.2
    relay_batch: int = 5000  # records per publish-and-flush: a burst of breaches goes out in few round trips
    # A tick with nothing due is one indexed query (about a millisecond); four a second put a breach on its topic
    # within a quarter of a second of its deadline rather than a second.
    tick_interval: float = 0.25
    # faust's default 60 s session left a killed worker's partitions idle for a minute; 10 s (heartbeat 1 s)
    # hands them over within seconds, well above the broker's 6 s minimum and any pause of the event loop.
    session_timeout: float = 10.0
    heartbeat_interval: float = 1.0
    security: KafkaSecurity = PLAINTEXT


def new_app(name: str, options: WorkerOptions) -> faust.App:
    """A faust app as every hrcase worker runs it: raw bytes in and out, topics declared elsewhere, acks=all."""
    datadir = (options.data_dir / "faust" / name).resolve()
    private_folder(datadir)  # faust's table state: case data
    return faust.App(
        consumer_group(name),
        broker=f"kafka://{options.bootstrap}",
        broker_credentials=faust_credentials(options.security),
        autodiscover=False,
        datadir=str(datadir),
        store="memory://",
        key_serializer="raw",
        value_serializer="raw",
        topic_allow_declare=False,  # topics are created by `hrcase topics create`, with their settings
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        broker_session_timeout=options.session_timeout,
        broker_heartbeat_interval=options.heartbeat_interval,
        producer_acks=-1,
        web_enabled=True,
        web_bind=options.web_bind,
        web_host=options.web_bind,
        web_port=options.web_port,
        web_in_thread=False,
        # mode's default formatter for a stream is colorlog's, which built its colour escape table again for every
        # record: 46 us a line against 8 us for this one, the same format without colours (the workers' output goes
        # to files and journals, not terminals).
        logging_config={"merge": True, "formatters": {"colored": {"()": "mode.utils.logging.DefaultFormatter",
                                                                  "format": DEFAULT_FORMAT}}},
    )


def faust_credentials(security: KafkaSecurity) -> faust.types.auth.CredentialsT | None:
    """The security settings as faust takes them (its consumers, its producer and its admin client)."""
    context = security.check().ssl_context()
    if security.sasl:
        return faust.SASLCredentials(username=security.username, password=security.password, ssl_context=context,
                                     mechanism=security.mechanism)
    return faust.SSLCredentials(context) if context is not None else None


def new_producer(bootstrap: str, client_id: str, security: KafkaSecurity = PLAINTEXT) -> AIOKafkaProducer:
    """The workers' producer: idempotent, acks=all. linger 0: records wait for the batch in flight to their
    partition, not for a timer; 256 KiB batches carry a relay's burst (a batch's events, a tick's breaches) in few
    requests."""
    return AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=client_id, acks="all", enable_idempotence=True,
                            linger_ms=0, max_batch_size=256 * 1024, **security.client_options())


def build_app(spec: WorkerSpec, options: WorkerOptions) -> faust.App:
    app = new_app(spec.service, options)
    # One thread for processing and the tick, so that they never race inside a worker; the relay has its own, so
    # that publishing a batch's events overlaps the next batch (the outbox is the hand-over: the workers of a service
    # relay from one outbox, each claiming its rows (Mailboxes.relay), and one relay thread keeps the outbox's order).
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hrcase-{spec.service}")
    relay_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hrcase-{spec.service}-relay")
    relay_wanted = asyncio.Event()
    publisher = LoopPublisher(options.bootstrap, f"hrcase-{spec.service}-relay", security=options.security)
    sink = spec.metrics.publisher(spec.service, publisher)
    clock = SystemClock()
    # A database or broker outage is logged when it starts, once a minute while it lasts, and when it ends: not a
    # traceback at every retry (five a second from the relay alone).
    outages = {task: OutageLog(f"{task} of {spec.service}", log) for task in ("processing", "relay", "SLA tick")}

    async def blocking(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)

    async def close_publisher(app: Any, **kwargs: Any) -> None:
        await publisher.close()

    app.on_before_shutdown.connect(close_publisher)  # type: ignore[arg-type]  # mode types it with mypy_extensions

    def relay_all() -> int:
        moved, limit = 0, max(options.batch_size, options.relay_batch)
        while n := spec.mailboxes.relay(spec.engine, sink, limit):
            moved += n
            if n < limit:  # drained: asking again would cost a query (and a pool ping) per batch to find nothing
                break
        return moved

    def retrying(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if error is not None:
            outages["processing"].failed(error, time.monotonic())

    def process(messages: list[Message]) -> None:
        with spec.metrics.processing.labels(spec.service).time():
            spec.processor.process(messages, clock.now())

    topic = app.topic(*spec.processor.topics, key_type=bytes, value_type=bytes)

    # concurrency=1: faust-streaming issue #606 loses messages with more; order per partition matters too.
    @app.agent(topic, concurrency=1, name=f"hrcase-{spec.service}-consume")
    async def consume(stream: Any) -> None:  # faust.Stream; its stubs lack take_events
        async for events in stream.take_events(options.batch_size, within=options.within):
            messages = [_message(event.message) for event in events]
            # The database being away is not the messages' fault: retry the batch, never skip it.
            async for attempt in AsyncRetrying(retry=retry_if_exception_type(DBAPIError),
                                               wait=wait_exponential(multiplier=0.2, max=10), reraise=True,
                                               before_sleep=retrying):
                with attempt:
                    await blocking(process, messages)
            outages["processing"].recovered(time.monotonic())
            # What the batch emitted goes out now rather than at the next round of the relay timer (a latency the
            # next service would add to every hop), while the next batch is taken and processed.
            relay_wanted.set()
            # Events are acked when the loop comes back: offsets are committed only after the effect (the outbox).

    @app.task
    async def relayer() -> None:
        publisher.loop = asyncio.get_running_loop()
        while True:
            await relay_wanted.wait()
            relay_wanted.clear()  # set again while this round runs: one more round right after it
            await relay_round(lambda: asyncio.get_running_loop().run_in_executor(relay_executor, relay_all),
                              outages["relay"])

    @app.timer(options.relay_interval, name=f"hrcase-{spec.service}-relay")
    async def relay() -> None:
        relay_wanted.set()  # records the API wrote, or a round that failed

    if spec.tick is not None:
        tick = spec.tick

        @app.timer(options.tick_interval, name=f"hrcase-{spec.service}-tick")
        async def clocks() -> None:
            try:
                fired = await blocking(lambda: tick(clock.now()))
            except DBAPIError as exc:
                outages["SLA tick"].failed(exc, time.monotonic())
                return
            outages["SLA tick"].recovered(time.monotonic())
            if fired:
                relay_wanted.set()  # a breach reaches the topic now, not at the relay timer's next round

    health = Health(spec.service, spec.engine, publisher.reachable,
                    migrate.schema_check(spec.migrations, spec.schema) if spec.migrations else None)

    async def assigned(app: Any, assigned: set[Any], **kwargs: Any) -> None:
        health.on_assigned(len(assigned))

    async def revoked(app: Any, revoked: set[Any], **kwargs: Any) -> None:
        health.rebalancing = True  # faust revokes before each assignment: not ready until it is known again

    app.on_partitions_assigned.connect(assigned)  # type: ignore[arg-type]
    app.on_partitions_revoked.connect(revoked)  # type: ignore[arg-type]

    # The probes never queue behind a batch on the processing thread: liveness does no I/O at all, readiness uses
    # threads of its own. /health is readiness, as compose and earlier releases ask it.
    @app.page("/health/live")
    async def live(web: Any, request: Any) -> Any:
        status, body = health.live()
        return web.json(body, status=status)

    @app.page("/health/started")
    async def started(web: Any, request: Any) -> Any:
        status, body = health.started()
        return web.json(body, status=status)

    @app.page("/health/ready")
    async def ready(web: Any, request: Any) -> Any:
        status, body = await health.ready()
        return web.json(body, status=status)

    @app.page("/health")
    async def readiness(web: Any, request: Any) -> Any:
        status, body = await health.ready()
        return web.json(body, status=status)

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        body = await blocking(generate_latest, spec.metrics.registry)
        return web.bytes(body, content_type=CONTENT_TYPE_LATEST.split(";")[0])

    return app


async def relay_round(relay: Callable[[], Awaitable[int]], outage: OutageLog,
                      now: Callable[[], float] = time.monotonic) -> None:
    """One round of a relay. What fails stays in the outbox for the next round, and is told as part of an outage
    (its start, a reminder a minute, its end), not as a traceback each round."""
    try:
        await relay()
    except Exception as exc:
        # The publisher gives up waiting for acks with a TimeoutError: the broker, not the database.
        outage.failed(exc, now(), "Kafka" if isinstance(exc, TimeoutError) else None)
    else:
        outage.recovered(now())


class LoopPublisher:
    """The Publisher port on an aiokafka producer on the worker's event loop: idempotent, acks=all.

    The relay runs in the database thread and calls `publish`, which hands the records to the loop and returns once
    every one is acked. aiokafka builds record batches in C: half the CPU of kafka-python's pure-Python producer,
    and no sender thread of its own competing for the GIL.
    """

    def __init__(self, bootstrap: str, client_id: str, timeout: float = 60.0,
                 security: KafkaSecurity = PLAINTEXT):
        self.bootstrap = bootstrap
        self.security = security
        self.client_id = client_id
        self.timeout = timeout
        self.loop: asyncio.AbstractEventLoop | None = None
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()
        self._waiting: set[concurrent.futures.Future[None]] = set()

    def publish(self, records: list[Outgoing]) -> None:
        assert self.loop is not None, "publish before the worker's loop ran a relay"
        future = asyncio.run_coroutine_threadsafe(self._publish(records), self.loop)
        self._waiting.add(future)
        try:
            future.result(self.timeout)  # raises if any record failed: the outbox keeps it for the next try
        except TimeoutError:
            future.cancel()  # what the producer holds may still arrive: the consumers' inboxes dedupe it
            raise
        finally:
            self._waiting.discard(future)

    async def _publish(self, records: list[Outgoing]) -> None:
        producer = await self._started()
        acks = [await producer.send(r.topic, r.value, key=r.key.encode(),
                                    headers=[(k, v.encode()) for k, v in sorted(r.headers.items())])
                for r in records]
        await asyncio.gather(*acks)

    async def reachable(self) -> None:
        """Raises unless a broker answers a metadata request (readiness), on the worker's loop."""
        self.loop = asyncio.get_running_loop()
        producer = await self._started()
        await producer.client.fetch_all_metadata()

    async def _started(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._producer is None:
                producer = new_producer(self.bootstrap, self.client_id, self.security)
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()  # sends what it holds first
        for future in list(self._waiting):  # a relay still waiting would otherwise hold the exit for its timeout
            future.cancel()


def _message(message: Any) -> Message:
    headers = message.headers or []
    pairs = headers.items() if isinstance(headers, dict) else headers
    key = message.key
    return Message(
        topic=message.topic, partition=message.partition, offset=message.offset,
        key=key.decode() if isinstance(key, bytes) else key, value=message.value,
        headers={k: v.decode() if isinstance(v, bytes) else str(v) for k, v in pairs},
    )
