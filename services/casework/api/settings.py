"""Settings of the API and of alert delivery, from HRCASE_* variables (the runtimes' settings stay as they are)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_PORT = 6080


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "hrcase@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0


@dataclass(frozen=True)
class ApiSettings:
    bind: str = "127.0.0.1"  # loopback unless configured: put a TLS-terminating proxy in front for the network
    port: int = DEFAULT_API_PORT
    production: bool = False  # then HRCASE_IDENTITY_KEY must be set: no development key is ever generated
    smtp: SmtpSettings | None = None
    webhook_secret: str | None = None
    digest_hour: int = 7  # UTC hour at which daily digests go out
    delivery_interval: float = 5.0

    @classmethod
    def from_env(cls, default_bind: str = "127.0.0.1", env: Mapping[str, str] | None = None) -> ApiSettings:
        env = os.environ if env is None else env
        smtp = None
        if env.get("HRCASE_SMTP_HOST"):
            smtp = SmtpSettings(
                host=env["HRCASE_SMTP_HOST"], port=int(env.get("HRCASE_SMTP_PORT", "25")),
                sender=env.get("HRCASE_SMTP_FROM", "hrcase@localhost"), username=env.get("HRCASE_SMTP_USER"),
                password=env.get("HRCASE_SMTP_PASSWORD"), starttls=env.get("HRCASE_SMTP_STARTTLS", "") == "1")
        return cls(
            bind=env.get("HRCASE_API_BIND") or default_bind,
            port=int(env.get("HRCASE_API_PORT") or DEFAULT_API_PORT),
            production=env.get("HRCASE_ENV", "").lower() == "production",
            smtp=smtp, webhook_secret=env.get("HRCASE_WEBHOOK_SECRET") or None,
            digest_hour=int(env.get("HRCASE_DIGEST_HOUR", "7")),
            delivery_interval=float(env.get("HRCASE_DELIVERY_INTERVAL", "5")),
        )
