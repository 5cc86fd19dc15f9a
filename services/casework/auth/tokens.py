"""API tokens: random, shown once, kept only as a SHA-256 hash, with an optional expiry and a revocation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

PREFIX = "hrc"


@dataclass(frozen=True)
class IssuedToken:
    token_id: str  # public: names the token in lists, logs and revocations
    secret: str  # shown to the user once, never stored

    @property
    def value(self) -> str:
        return f"{PREFIX}_{self.token_id}_{self.secret}"


@dataclass(frozen=True)
class StoredToken:
    token_id: str
    username: str
    secret_hash: str
    label: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"


def issue() -> IssuedToken:
    # 12 bytes of id (lookup) and 32 bytes of secret: guessing either is hopeless, and the hash need not be slow.
    return IssuedToken(secrets.token_hex(12), secrets.token_urlsafe(32))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(value: str) -> tuple[str, str] | None:
    """(token id, secret) of a presented token, or None if it does not even look like one."""
    parts = value.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def matches(stored: StoredToken, secret: str) -> bool:
    return hmac.compare_digest(stored.secret_hash, hash_secret(secret))
