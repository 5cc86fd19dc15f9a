"""API tokens and the token identity check: random, hashed, expiring, revocable; refusals say why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.casework.auth import tokens
from services.casework.auth.identity import TokenIdentity, Unauthenticated
from services.casework.domain.roles import User

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
AWA = User("awa", "hro", "Mopti")


def setup(expires_at: datetime | None = None, revoked_at: datetime | None = None,
          user: User = AWA) -> tuple[TokenIdentity, str, dict[str, tokens.StoredToken]]:
    issued = tokens.issue()
    stored = tokens.StoredToken(issued.token_id, user.username, tokens.hash_secret(issued.secret), "", T0,
                                expires_at, revoked_at)
    kept = {issued.token_id: stored}
    return TokenIdentity(kept.get, {user.username: user}.get), issued.value, kept


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def test_a_token_is_random_and_only_its_hash_is_kept() -> None:
    first, second = tokens.issue(), tokens.issue()
    assert first.value != second.value and len(first.secret) >= 40
    _, value, kept = setup()
    [stored] = kept.values()
    assert value.split("_", 2)[2] not in repr(stored)
    assert stored.secret_hash == tokens.hash_secret(value.split("_", 2)[2])


def test_a_valid_token_identifies_its_user() -> None:
    identity, value, _ = setup(expires_at=T0 + timedelta(days=1))
    principal = identity.identify(bearer(value), T0)
    assert principal.user == AWA and principal.credential.startswith("token:")


@pytest.mark.parametrize(("headers", "reason"), [
    ({}, "an API token is required"),
    ({"Authorization": "Basic abc"}, "must be 'Bearer <token>'"),
    (bearer("hrc_nope_nope"), "not valid"),
    (bearer("garbage"), "not valid"),
])
def test_a_missing_or_unknown_token_is_refused_with_a_reason(headers: dict[str, str], reason: str) -> None:
    identity, _, _ = setup()
    with pytest.raises(Unauthenticated, match=reason):
        identity.identify(headers, T0)


def test_a_token_with_the_right_id_but_a_wrong_secret_is_not_valid() -> None:
    identity, value, _ = setup()
    with pytest.raises(Unauthenticated, match="not valid"):
        identity.identify(bearer(value[:-1] + ("A" if value[-1] != "A" else "B")), T0)


def test_a_token_works_until_its_expiry_and_not_from_then_on() -> None:
    identity, value, _ = setup(expires_at=T0 + timedelta(days=1))
    identity.identify(bearer(value), T0 + timedelta(days=1) - timedelta(seconds=1))
    with pytest.raises(Unauthenticated, match="has expired"):
        identity.identify(bearer(value), T0 + timedelta(days=1))


def test_a_revoked_token_is_refused_at_once() -> None:
    identity, value, kept = setup()
    [(token_id, stored)] = kept.items()
    kept[token_id] = replace(stored, revoked_at=T0)
    with pytest.raises(Unauthenticated, match="has been revoked"):
        identity.identify(bearer(value), T0)


def test_the_token_of_a_deactivated_user_no_longer_works() -> None:
    identity, value, _ = setup(user=replace(AWA, active=False))
    with pytest.raises(Unauthenticated, match="not an active user"):
        identity.identify(bearer(value), T0)
