"""A worker's probes: liveness (the loop answers), readiness (its dependencies answer) and startup (it joined)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from services.messaging.sqlite import reading

# Longer than a healthy answer takes (milliseconds), shorter than a probe's own timeout (manifests: 5 s).
CHECK_TIMEOUT = 3.0


@dataclass
class Health:
    """What a worker's probes ask of it. `broker` raises unless a broker answers; `behind` says why the database's
    schema is older than this release's migrations (None when it is not); both may block, and run on threads."""

    service: str
    engine: Engine
    broker: Callable[[], Awaitable[None]]
    behind: Callable[[Connection], str | None] | None = None
    assigned: int | None = None  # partitions of the last assignment; None until the worker first joined its group
    rebalancing: bool = False

    def on_assigned(self, partitions: int) -> None:
        self.assigned, self.rebalancing = partitions, False

    def live(self) -> tuple[int, dict[str, Any]]:
        """Answered on the event loop without waiting for anything: a long batch runs on a thread of its own, so
        only a loop that no longer turns (the process wedged) goes unanswered."""
        return 200, {"status": "live", "service": self.service}

    def started(self) -> tuple[int, dict[str, Any]]:
        """Started once the worker joined its consumer group (migrations, when it runs them, came before)."""
        if self.assigned is None:
            return 503, {"status": "starting", "service": self.service}
        return 200, {"status": "started", "service": self.service}

    async def ready(self) -> tuple[int, dict[str, Any]]:
        """Ready when the database answers at this release's schema, a broker answers, and partitions are
        assigned (a rebalance finished: a worker beyond the partitions' count is ready with none)."""
        database, broker = await asyncio.gather(self._checked(asyncio.to_thread(self._database)),
                                                self._checked(self.broker()))
        if self.assigned is None:
            partitions = "not joined its group yet"
        elif self.rebalancing:
            partitions = "rebalancing"
        else:
            partitions = "ok"
        checks = {"database": database, "broker": broker, "partitions": partitions}
        ok = all(v == "ok" for v in checks.values())
        body = {"status": "ready" if ok else "not ready", "service": self.service, "checks": checks,
                "partitions": self.assigned or 0}
        return (200 if ok else 503), body

    def _database(self) -> str:
        with reading(self.engine) as conn:
            conn.execute(text("SELECT 1"))
            behind = self.behind(conn) if self.behind else None
        return f"schema behind: {behind}" if behind else "ok"

    async def _checked(self, check: Awaitable[Any]) -> str:
        try:
            result = await asyncio.wait_for(check, CHECK_TIMEOUT)
        except TimeoutError:
            return f"no answer within {CHECK_TIMEOUT:.0f} s"
        except Exception as exc:  # the probe's answer names what failed; the worker's own log has the details
            return f"failing: {type(exc).__name__}"
        return result if isinstance(result, str) else "ok"
