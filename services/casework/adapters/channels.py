"""Alert delivery channels: e-mail over SMTP, and webhooks signed with HMAC-SHA256; they also tell Team Leaders of
requests to read their office's cases. Neither carries an identity, nor a requester's free text."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from services.casework.domain.alerts import Alert

SIGNATURE_HEADER = "X-Hrcase-Signature"


class SmtpServer(Protocol):
    """Where and how e-mail is sent (the settings' `api.smtp` is one), given to the channel by the runtime."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def sender(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def starttls(self) -> bool: ...
    @property
    def timeout(self) -> float: ...


@dataclass(frozen=True)
class AccessNotice:
    """A request to read an office's cases, as its Team Leaders are told of it (its reason stays in hrcase: free text
    may name someone)."""

    request_id: str
    requester: str
    office: str
    references: tuple[str, ...]
    at: datetime


class Channel(Protocol):
    name: str

    def send(self, address: str, alerts: Sequence[Alert], digest: bool) -> None:
        """Deliver, or raise: the dispatcher records the failure and retries later."""

    def notify(self, address: str, notice: AccessNotice) -> None:
        """Tell of an access request, or raise (recorded and retried as alerts are)."""


def subject(alerts: Sequence[Alert], digest: bool) -> str:
    if digest:
        return f"[hrcase] Daily digest: {len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
    return f"[hrcase] {alerts[0].message}"[:200]


def text(alerts: Sequence[Alert], digest: bool) -> str:
    lines = ["Alerts addressed to you in hrcase:" if digest else "An alert addressed to you in hrcase:", ""]
    for alert in alerts:
        lines += [f"- {alert.message}", f"  case {alert.reference} ({alert.office}), {alert.kind}, {alert.level}, "
                  f"{alert.reminders} reminder{'s' if alert.reminders != 1 else ''} "
                  f"(latest {alert.last_at:%Y-%m-%d %H:%M} UTC); alert {alert.alert_id}"]
    lines += ["", "Acknowledge an alert with POST /alerts/<alert id>/acknowledge, or `hrcase alerts ack`."]
    return "\n".join(lines) + "\n"


def payload(alerts: Sequence[Alert], digest: bool) -> dict[str, Any]:
    keys = ("alert_id", "case_id", "reference", "office", "kind", "level", "recipient_role", "period", "message")
    return {"type": "digest" if digest else "alert",
            "alerts": [{**{k: getattr(a, k) for k in keys}, "due_at": a.due_at.isoformat(),
                        "opened_at": a.opened_at.isoformat(), "reminders": a.reminders,
                        "latest_at": a.last_at.isoformat(), "recipients": list(a.reached)} for a in alerts]}


def notice_subject(notice: AccessNotice) -> str:
    n = len(notice.references)
    return f"[hrcase] Access requested to {n} case{'s' if n != 1 else ''} of {notice.office}"


def notice_text(notice: AccessNotice) -> str:
    n = len(notice.references)
    return "\n".join([
        f"{notice.requester} asks to read {n} case{'s' if n != 1 else ''} of {notice.office} that a person lookup "
        "matched:", "", *(f"- {reference}" for reference in notice.references), "",
        "Their reason is in hrcase. Grant or refuse the request on the web pages' Access requests "
        "(/web/people/requests),",
        f"or with POST /people/access-requests/{notice.request_id}/decision. Asked {notice.at:%Y-%m-%d %H:%M} UTC.",
    ]) + "\n"


def notice_payload(notice: AccessNotice) -> dict[str, Any]:
    return {"type": "access_request", "request_id": notice.request_id, "requester": notice.requester,
            "office": notice.office, "references": list(notice.references), "at": notice.at.isoformat()}


class SmtpChannel:
    name = "email"

    def __init__(self, settings: SmtpServer):
        self.settings = settings

    def send(self, address: str, alerts: Sequence[Alert], digest: bool) -> None:
        self._mail(address, subject(alerts, digest), text(alerts, digest))

    def notify(self, address: str, notice: AccessNotice) -> None:
        self._mail(address, notice_subject(notice), notice_text(notice))

    def _mail(self, address: str, title: str, content: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.settings.sender, address, title
        message.set_content(content)
        s = self.settings
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.username and s.password:
                smtp.login(s.username, s.password)
            smtp.send_message(message)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str, header: str, body: bytes, tolerance: float = 300, now: float | None = None) -> bool:
    """What a receiver checks: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`, recent enough."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp, signature = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or abs((now or time.time()) - int(stamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


class WebhookChannel:
    name = "webhook"

    def __init__(self, secret: str, timeout: float = 5.0):
        self.secret, self.timeout = secret, timeout

    def send(self, address: str, alerts: Sequence[Alert], digest: bool) -> None:
        self._post(address, payload(alerts, digest))

    def notify(self, address: str, notice: AccessNotice) -> None:
        self._post(address, notice_payload(notice))

    def _post(self, address: str, content: dict[str, Any]) -> None:
        body = json.dumps(content, sort_keys=True).encode()
        stamp = str(int(time.time()))
        request = urllib.request.Request(address, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "hrcase-alerts/1",
            SIGNATURE_HEADER: f"t={stamp},v1={sign(self.secret, stamp, body)}"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if response.status >= 300:
                raise RuntimeError(f"webhook answered {response.status}")
