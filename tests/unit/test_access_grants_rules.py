"""A grant to read another office's cases ends by itself: its end, when it is in force, and what a request shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.casework.domain.access_grants import grant_ends, in_force, state_of

AT = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_a_grant_reads_for_the_days_chosen_and_its_end_is_excluded() -> None:
    ends = grant_ends(AT, 30)
    assert ends == AT + timedelta(days=30)
    assert in_force(ends, ends - timedelta(microseconds=1)) and not in_force(ends, ends)


@pytest.mark.parametrize("days", [0, -1, 366])
def test_a_grant_lasts_a_day_to_a_year(days: int) -> None:
    with pytest.raises(ValueError, match="1 to 365 days"):
        grant_ends(AT, days)


def test_a_grant_past_its_end_shows_as_expired_and_nothing_else_changes_with_time() -> None:
    ends = grant_ends(AT, 1)
    assert state_of("granted", ends, AT) == "granted"
    assert state_of("granted", ends, ends) == "expired"
    for status in ("pending", "refused", "revoked"):
        assert state_of(status, ends if status == "revoked" else None, ends + timedelta(days=9)) == status
