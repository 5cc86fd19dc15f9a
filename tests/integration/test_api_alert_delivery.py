"""Alerts reach Team Leaders and Directors by e-mail (a local SMTP server) and signed webhooks, retried, recorded."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from schemas.topics import SLA_EVENTS
from services.casework.adapters import delivery, preferences
from services.casework.adapters.channels import SIGNATURE_HEADER, SmtpChannel, WebhookChannel, verify
from services.casework.adapters.dispatcher import MAX_ATTEMPTS, DeliveryThread, Dispatcher
from services.clock import SimulatedClock
from services.config import SmtpSettings
from services.messaging.ports import Message
from services.messaging.processing import emit
from tests.integration.api_channels import Hooks, Inbox, free_port
from tests.integration.api_world import (
    CONTACT,
    NOW,
    REFS,
    T0,
    VICTIM,
    WITNESS,
    World,
    build_template,
    incident_message,
    open_world,
)

SECRET = "webhook-signing-secret"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    path = tmp_path / "template.sqlite"
    yield from open_world(path, build_template(path), tmp_path)


def escalation(world: World, event_id: str = "esc-P") -> None:
    case_id = world.case_id("P")
    payload = {"case_id": case_id, "reference": REFS["P"], "office": "Mopti", "stage": "preliminary",
               "clock": "stall", "level": "escalation", "period": 2, "started_at": T0, "due_at": NOW,
               "recipient_role": "director", "assignee": "awa", "policy_version": "2026-1"}
    out = emit(SLA_EVENTS, "SlaEscalated", occurred_at=NOW, key=case_id, producer="sla_monitor", payload=payload,
               event_id=event_id)
    world.casework.processor.process([Message(SLA_EVENTS, 0, 50, case_id, out.value, out.headers)], NOW)


def prefer(world: World, username: str, email: str | None = None, webhook: str | None = None,
           mode: str = "immediate") -> None:
    world.casework.write(lambda conn: preferences.save(conn, preferences.Preferences(username, email, webhook, mode)))


def deliveries(world: World) -> list[dict[str, Any]]:
    return world.casework.read(lambda conn: delivery.for_alerts(conn, ["alert-R", "esc-P", "esc-Q"]))


def test_a_team_leader_gets_each_alert_by_email_and_by_a_signed_webhook_once(world: World, smtp: tuple[Inbox, int],
                                                                             hooks: tuple[type[Hooks], str]) -> None:
    (inbox, port), (handler, url) = smtp, hooks
    prefer(world, "tl_mopti", "tl.mopti@example.org", url)
    prefer(world, "tl_gao", "tl.gao@example.org")  # the alert is for Mopti's Team Leader only
    dispatcher = Dispatcher(world.casework, [SmtpChannel(SmtpSettings("127.0.0.1", port)), WebhookChannel(SECRET)])
    assert dispatcher.run_once(NOW) == 2
    assert dispatcher.run_once(NOW + timedelta(hours=1)) == 0  # each alert is delivered once
    [mail] = inbox.messages
    assert mail["To"] == "tl.mopti@example.org" and REFS["R"] in mail["Subject"]
    assert "alert-R" in mail.get_content()
    [(headers, body)] = handler.received
    assert verify(SECRET, headers[SIGNATURE_HEADER], body)
    assert not verify("another secret", headers[SIGNATURE_HEADER], body)
    sent = json.loads(body)
    assert (sent["type"], [a["alert_id"] for a in sent["alerts"]]) == ("alert", ["alert-R"])
    assert [(d["username"], d["channel"], d["status"], d["attempts"]) for d in deliveries(world)] == [
        ("tl_mopti", "email", "sent", 1), ("tl_mopti", "webhook", "sent", 1)]


def test_a_failing_channel_is_retried_with_backoff_recorded_and_blocks_neither_the_other_nor_the_pipeline(
        world: World, smtp: tuple[Inbox, int], hooks: tuple[type[Hooks], str]) -> None:
    (inbox, port), (handler, url) = smtp, hooks
    handler.status = 500
    prefer(world, "tl_mopti", "tl.mopti@example.org", url)
    dispatcher = Dispatcher(world.casework, [SmtpChannel(SmtpSettings("127.0.0.1", port)), WebhookChannel(SECRET)])
    assert dispatcher.run_once(NOW) == 1  # the e-mail went; the webhook failed
    hook = next(d for d in deliveries(world) if d["channel"] == "webhook")
    assert (hook["status"], hook["attempts"], hook["next_attempt_at"]) == ("pending", 1, NOW + timedelta(seconds=30))
    assert "HTTPError" in hook["last_error"]
    assert dispatcher.run_once(NOW + timedelta(seconds=10)) == 0  # not before its backoff
    handler.status = 200
    assert dispatcher.run_once(NOW + timedelta(seconds=31)) == 1
    assert {d["channel"]: (d["status"], d["attempts"]) for d in deliveries(world)} == {
        "email": ("sent", 1), "webhook": ("sent", 2)}
    assert len(inbox.messages) == 1


def test_a_channel_that_keeps_failing_is_given_up_after_the_last_attempt(world: World) -> None:
    prefer(world, "tl_mopti", "tl.mopti@example.org")
    registry = CollectorRegistry()
    dispatcher = Dispatcher(world.casework, [SmtpChannel(SmtpSettings("127.0.0.1", free_port(), timeout=2))],
                            registry=registry)
    at = NOW
    for _ in range(MAX_ATTEMPTS):
        dispatcher.run_once(at)
        at += timedelta(hours=2)
    [record] = deliveries(world)
    assert (record["status"], record["attempts"]) == ("failed", MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in record["last_error"]
    metrics = generate_latest(registry).decode()
    assert 'hrcase_alert_deliveries_total{channel="email",outcome="failed"} 1.0' in metrics


def test_a_hanging_webhook_does_not_hold_up_the_pipeline(world: World, hooks: tuple[type[Hooks], str]) -> None:
    handler, url = hooks
    handler.delay = 3
    prefer(world, "tl_mopti", webhook=url)
    thread = DeliveryThread(Dispatcher(world.casework, [WebhookChannel(SECRET, timeout=10)]),
                            SimulatedClock(NOW), interval=0.05).start()
    try:
        time.sleep(0.3)  # the dispatcher is now waiting on the webhook
        started = time.perf_counter()
        world.casework.processor.process([incident_message(9)], NOW)
        assert time.perf_counter() - started < 2
        assert world.call("GET", "/cases?page_size=200", "tl_mopti").get_json()["total"] == 6
    finally:
        thread.stop()


def test_a_digest_lists_each_case_and_clock_once_with_its_level_and_reminders_however_often_it_changed(
        world: World, smtp: tuple[Inbox, int]) -> None:
    # One alert per case and clock (ADR 0015): a second escalation of the same clock is a reminder of the first
    # alert. Immediate mode tells each change; the digest tells the alert once, as it stands when the digest goes.
    inbox, port = smtp
    prefer(world, "dir_mopti", "dir.mopti@example.org", mode="digest")
    prefer(world, "dir_gao", "dir.gao@example.org")
    escalation(world, "esc-P")
    dispatcher = Dispatcher(world.casework, [SmtpChannel(SmtpSettings("127.0.0.1", port))], digest_hour=7)
    assert dispatcher.run_once(NOW) == 1  # dir_gao: immediately
    escalation(world, "esc-Q")  # the same clock escalates again: the same alert, a second reminder
    assert dispatcher.run_once(NOW + timedelta(minutes=5)) == 1  # dir_gao: told of the change
    assert {m["To"] for m in inbox.messages} == {"dir.gao@example.org"}
    assert "2 reminders" in inbox.messages[-1].get_content()
    next_morning = (NOW + timedelta(days=1)).replace(hour=7, minute=0)
    assert dispatcher.run_once(next_morning - timedelta(minutes=1)) == 0
    assert dispatcher.run_once(next_morning) == 1
    digest = inbox.messages[-1]
    assert (digest["To"], digest["Subject"]) == ("dir.mopti@example.org", "[hrcase] Daily digest: 1 alert")
    content = digest.get_content()
    assert content.count("; alert esc-") == 1 and "escalation, 2 reminders" in content and len(inbox.messages) == 3


def test_no_alert_message_carries_an_identity(world: World, smtp: tuple[Inbox, int],
                                              hooks: tuple[type[Hooks], str]) -> None:
    (inbox, port), (handler, url) = smtp, hooks
    prefer(world, "tl_mopti", "tl.mopti@example.org", url)
    prefer(world, "dir_mopti", "dir.mopti@example.org", url)
    escalation(world)
    Dispatcher(world.casework, [SmtpChannel(SmtpSettings("127.0.0.1", port)), WebhookChannel(SECRET)]).run_once(NOW)
    sent = [m.as_string() for m in inbox.messages] + [body.decode() for _, body in handler.received]
    assert len(sent) == 4
    for text in sent:
        assert VICTIM not in text and WITNESS not in text and CONTACT not in text


def test_my_alerts_show_how_each_reached_me(world: World, smtp: tuple[Inbox, int]) -> None:
    _, port = smtp
    prefer(world, "tl_mopti", "tl.mopti@example.org")
    Dispatcher(world.casework, [SmtpChannel(SmtpSettings("127.0.0.1", port))]).run_once(NOW)
    [alert] = world.call("GET", "/alerts/mine", "tl_mopti").get_json()["items"]
    assert [(d["channel"], d["status"], d["attempts"], d["delivered_at"]) for d in alert["deliveries"]] == [
        ("email", "sent", 1, NOW.isoformat())]
