"""The identity check behind one small interface: API tokens today; a single sign-on provider can replace it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.casework.auth import tokens
from services.casework.domain.roles import User


class Unauthenticated(Exception):
    """The caller could not be identified; str() says why (never which part of a secret was wrong)."""


@dataclass(frozen=True)
class Principal:
    user: User
    credential: str  # e.g. "token:<id>"; an SSO provider would put its subject here


class IdentityProvider(Protocol):
    def identify(self, headers: Mapping[str, str], now: datetime) -> Principal:
        """The calling user, from the request's headers; raises Unauthenticated."""


TokenLookup = Callable[[str], tokens.StoredToken | None]
UserLookup = Callable[[str], User | None]


class TokenIdentity:
    """`Authorization: Bearer hrc_<id>_<secret>`, checked against the stored hash, expiry and revocation."""

    def __init__(self, find_token: TokenLookup, find_user: UserLookup):
        self.find_token = find_token
        self.find_user = find_user

    def identify(self, headers: Mapping[str, str], now: datetime) -> Principal:
        header = headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if not header:
            raise Unauthenticated("an API token is required: send 'Authorization: Bearer <token>'")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        parsed = tokens.parse(value)
        stored = self.find_token(parsed[0]) if parsed else None
        if parsed is None or stored is None or not tokens.matches(stored, parsed[1]):
            raise Unauthenticated("the API token is not valid")
        state = stored.state(now)
        if state != "active":
            raise Unauthenticated(f"the API token has been {state}" if state == "revoked"
                                  else "the API token has expired")
        user = self.find_user(stored.username)
        if user is None or not user.active:
            raise Unauthenticated(f"user {stored.username} is not an active user")
        return Principal(user, f"token:{stored.token_id}")
