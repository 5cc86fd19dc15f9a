"""Sign-in throttling: growing delays per address and per account instead of a lock that anyone could set off.

A run of failed sign-ins, counted per key (the address a request comes from, or the username typed, known or not),
earns a wait before the next attempt is even checked: none for the first few, then 1, 2, 4... seconds from the
latest failure, up to a cap. The account's cap is short, so that a stranger's guesses delay its owner by a minute
at most; the address's cap is long, so that the guesser is slowed the most. A run is forgotten after an hour
without failures; a success ends the account's run (never the address's: one good account must not buy more
guesses at others).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

FORGET = timedelta(hours=1)


@dataclass(frozen=True)
class Rule:
    kind: str  # "address" or "account": the key's prefix
    free: int  # failures in a run before any wait
    cap: timedelta  # the longest wait

    def key(self, value: str) -> str:
        return f"{self.kind}:{value}"[:200]

    def wait(self, failures: int) -> timedelta:
        """How long after the latest failure the next attempt must wait, after `failures` in a run."""
        if failures < self.free:
            return timedelta(0)
        return min(timedelta(seconds=2 ** min(failures - self.free, 30)), self.cap)


ADDRESS = Rule("address", free=10, cap=timedelta(minutes=15))
ACCOUNT = Rule("account", free=5, cap=timedelta(minutes=1))


@dataclass(frozen=True)
class Run:
    """Failures in a row under one key, and when the latest was."""

    failures: int
    last_failure_at: datetime

    def current(self, now: datetime) -> int:
        """The failures that still count: none once the run is an hour old."""
        return 0 if now - self.last_failure_at >= FORGET else self.failures

    def retry_at(self, rule: Rule, now: datetime) -> datetime | None:
        """When the next attempt may be checked, if that is still ahead of `now`."""
        ready = self.last_failure_at + rule.wait(self.current(now))
        return ready if ready > now else None


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds to say in Retry-After (never 0 while a wait remains)."""
    return max(1, math.ceil((moment - now).total_seconds()))
