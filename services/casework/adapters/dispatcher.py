"""Alert delivery beside the pipeline: plan, send, record; retried with backoff; a failing channel blocks nothing.
Access requests are told to their office's Team Leaders the same way."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Protocol, TypeVar

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import Connection, Table
from tenacity import wait_exponential

from services.casework.adapters import delivery, notices
from services.casework.adapters.channels import Channel, SmtpChannel, SmtpServer, WebhookChannel
from services.casework.adapters.tables import access_request_notices
from services.casework.adapters.tables import alert_deliveries as alert_deliveries_table
from services.clock import Clock, SystemClock
from services.logs import OutageLog

log = logging.getLogger(__name__)
CHANNEL_COMPONENT = {"email": "SMTP", "webhook": "webhook"}
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)  # a dispatcher that dies mid-send leaves the delivery to another after this
T = TypeVar("T")


class Store(Protocol):
    """Casework's database as the dispatcher writes it (the built Casework is one)."""

    def write(self, change: Callable[[Connection], T]) -> T: ...


class DeliverySettings(Protocol):
    """The channels configured and the delivery's rhythm (the settings' `api` section is one)."""

    @property
    def smtp(self) -> SmtpServer | None: ...
    @property
    def webhook_secret(self) -> str | None: ...
    @property
    def digest_hour(self) -> int: ...
    @property
    def delivery_interval(self) -> float: ...


class Dispatcher:
    """One pass at a time: plan deliveries for new alerts, then send what is due, each channel on its own."""

    def __init__(self, casework: Store, channels: Sequence[Channel], digest_hour: int = 7,
                 backoff: wait_exponential | None = None, registry: CollectorRegistry | None = None):
        self.casework = casework
        self.channels = {c.name: c for c in channels}
        self.digest_hour = digest_hour
        self.backoff = backoff or wait_exponential(multiplier=30, min=30, max=3600)
        self.outages: dict[str, OutageLog] = {}
        self.outcomes = Counter("hrcase_alert_deliveries_total", "Alert deliveries attempted, by channel and outcome.",
                                ["channel", "outcome"], registry=registry) if registry else None
        self.told = Counter("hrcase_access_request_notices_total", "Access requests told to Team Leaders, by channel "
                            "and outcome.", ["channel", "outcome"], registry=registry) if registry else None

    def run_once(self, now: datetime) -> int:
        """Returns the number of deliveries (alerts, and access requests told) that went out."""
        self.casework.write(lambda conn: delivery.plan(conn, now, tuple(self.channels), self.digest_hour))
        claimed = self.casework.write(lambda conn: delivery.claim_due(conn, now, LEASE))
        groups: dict[tuple, list[delivery.Delivery]] = defaultdict(list)
        for item in claimed:
            key = (item.username, item.channel, item.address, item.due_at) if item.digest else (item.id,)
            groups[key].append(item)
        out = sum(self._send(group, now) for group in groups.values())
        self.casework.write(lambda conn: notices.plan(conn, now, tuple(self.channels)))
        return out + sum(self._tell(item, now) for item in self.casework.write(
            lambda conn: notices.claim_due(conn, now, LEASE)))

    def _send(self, group: list[delivery.Delivery], now: datetime) -> int:
        first = group[0]
        # Each case and clock once, as it stands (a digest's deliveries of one alert are one line).
        alerts = sorted({d.alert.alert_id: d.alert for d in group}.values(), key=lambda a: (-a.rank, a.due_at))
        return self._attempt(lambda channel: channel.send(first.address, alerts, first.digest), first.channel,
                             [d.id for d in group], max(d.attempts for d in group), now, "alert delivery",
                             alert_deliveries_table, self.outcomes)

    def _tell(self, item: notices.Notice, now: datetime) -> int:
        return self._attempt(lambda channel: channel.notify(item.address, item.notice), item.channel, [item.id],
                             item.attempts, now, "access request notice", access_request_notices, self.told)

    def _attempt(self, deliver: Callable[[Channel], None], name: str, ids: list[int], attempted: int, now: datetime,
                 what: str, table: Table, counter: Counter | None) -> int:
        """One delivery (`what`, recorded in `table`, counted by `counter`): sent, or failed and retried later."""
        channel = self.channels.get(name)
        try:
            if channel is None:
                raise RuntimeError(f"channel {name} is not configured")
            deliver(channel)
        except Exception as exc:  # any failure of a channel is recorded and retried, never raised
            attempts = attempted + 1
            retry = None if attempts >= MAX_ATTEMPTS else now + timedelta(
                seconds=self.backoff(SimpleNamespace(attempt_number=attempts)))  # type: ignore[arg-type]
            reason = f"{type(exc).__name__}: {exc}"
            self.casework.write(lambda conn: delivery.failed(conn, ids, reason, retry, table))
            # A server away fails every delivery of its channel: told as one outage, not a line per alert. A delivery
            # given up is told each time: something that will never arrive.
            self._outage(name).failed(exc, time.monotonic(), CHANNEL_COMPONENT.get(name))
            if retry is None:
                log.warning("%s by %s given up after %d attempts: %s", what, name, attempts, type(exc).__name__)
            if counter is not None:
                counter.labels(name, "failed" if retry is None else "retry").inc(len(ids))
            return 0
        self._outage(name).recovered(time.monotonic())
        self.casework.write(lambda conn: delivery.sent(conn, ids, now, table))
        if counter is not None:
            counter.labels(name, "sent").inc(len(ids))
        return len(ids)

    def _outage(self, channel: str) -> OutageLog:
        return self.outages.setdefault(channel, OutageLog(f"alert delivery by {channel}", log))


class DeliveryThread:
    """Runs the dispatcher every `interval` seconds in a daemon thread until stopped."""

    def __init__(self, dispatcher: Dispatcher, clock: Clock, interval: float):
        self.dispatcher, self.clock, self.interval = dispatcher, clock, interval
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="hrcase-alert-delivery", daemon=True)

    def start(self) -> DeliveryThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        outage = OutageLog("alert delivery", log)
        while not self.stop_event.is_set():
            try:
                self.dispatcher.run_once(self.clock.now())
            except Exception as exc:  # the database away, say: try again next round
                outage.failed(exc, time.monotonic())
            else:
                outage.recovered(time.monotonic())
            self.stop_event.wait(self.interval)


def start_delivery(casework: Store, settings: DeliverySettings, clock: Clock | None = None,
                   registry: CollectorRegistry | None = None) -> DeliveryThread | None:
    """Deliver alerts by the channels configured (SMTP, signed webhooks); none configured, nothing to run."""
    channels: list[Channel] = []
    if settings.smtp is not None:
        channels.append(SmtpChannel(settings.smtp))
    if settings.webhook_secret:
        channels.append(WebhookChannel(settings.webhook_secret))
    if not channels:
        log.info("no alert channel configured (HRCASE_SMTP_HOST, HRCASE_WEBHOOK_SECRET): alerts stay in the inbox")
        return None
    dispatcher = Dispatcher(casework, channels, settings.digest_hour, registry=registry)
    return DeliveryThread(dispatcher, clock or SystemClock(), settings.delivery_interval).start()
