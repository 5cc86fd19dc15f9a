"""Webhook signatures, digest times and alert texts: the pure parts of alert delivery."""

from __future__ import annotations

from datetime import UTC, datetime

from services.casework.adapters.channels import payload, sign, subject, text, verify
from services.casework.adapters.delivery import next_digest
from services.casework.domain.alerts import Alert

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ALERT = Alert("a1", "c1", "MOP-2026-0001", "Mopti", "recording", "breach", "team_leader", "awa", 1, T0, T0,
              "Overdue: case MOP-2026-0001 (Mopti) not recorded within the recording goal")


def test_a_webhook_signature_covers_the_time_and_the_body_and_goes_stale() -> None:
    body = b'{"type":"alert"}'
    header = f"t=1000,v1={sign('secret', '1000', body)}"
    assert verify("secret", header, body, now=1100)
    assert not verify("secret", header, body + b" ", now=1100)
    assert not verify("other", header, body, now=1100)
    assert not verify("secret", header, body, now=2000)  # replayed too late
    assert not verify("secret", "v1=abc", body, now=1000)


def test_a_digest_goes_at_the_next_digest_hour() -> None:
    assert next_digest(datetime(2026, 3, 2, 6, 30, tzinfo=UTC), 7) == datetime(2026, 3, 2, 7, tzinfo=UTC)
    assert next_digest(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), 7) == datetime(2026, 3, 2, 7, tzinfo=UTC)
    assert next_digest(datetime(2026, 3, 2, 7, 1, tzinfo=UTC), 7) == datetime(2026, 3, 3, 7, tzinfo=UTC)


def test_messages_name_the_case_reference_and_the_alert_only() -> None:
    assert subject([ALERT], False) == f"[hrcase] {ALERT.message}"
    assert subject([ALERT, ALERT], True) == "[hrcase] Daily digest: 2 alerts"
    assert "alert a1" in text([ALERT], False)
    assert set(payload([ALERT], False)["alerts"][0]) == {
        "alert_id", "case_id", "reference", "office", "kind", "level", "recipient_role", "period", "message",
        "due_at", "opened_at", "reminders", "latest_at", "recipients"}
