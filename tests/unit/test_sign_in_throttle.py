"""The throttle's rule: free attempts, then waits that double up to a cap, and runs forgotten after an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.casework.auth.throttle import ACCOUNT, ADDRESS, FORGET, Run, seconds_until

T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_waits_double_after_the_free_attempts_up_to_each_caps() -> None:
    assert [ACCOUNT.wait(n).total_seconds() for n in range(4, 13)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert [ADDRESS.wait(n).total_seconds() for n in (9, 10, 11, 19, 20, 1000)] == [0, 1, 2, 512, 900, 900]


def test_a_run_says_when_the_next_attempt_may_be_checked_and_is_forgotten_after_an_hour() -> None:
    run = Run(failures=7, last_failure_at=T)
    assert run.retry_at(ACCOUNT, T + timedelta(seconds=1)) == T + timedelta(seconds=4)
    assert run.retry_at(ACCOUNT, T + timedelta(seconds=4)) is None
    assert run.retry_at(ADDRESS, T) is None  # seven is within the address's free attempts
    assert run.current(T + FORGET) == 0
    assert seconds_until(T + timedelta(milliseconds=1), T) == 1
    assert seconds_until(T + timedelta(seconds=3, milliseconds=200), T) == 4
    assert ACCOUNT.key("dir_mopti") == "account:dir_mopti" and ADDRESS.key("192.0.2.7") == "address:192.0.2.7"
