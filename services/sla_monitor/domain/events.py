"""SLA events as values: what crossed which threshold, for whom, with an id fixed by what it is about."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

TYPE_OF_LEVEL = {"warning": "SlaWarning", "breach": "SlaBreached", "escalation": "SlaEscalated",
                 "cleared": "SlaCleared"}
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "hrcase:sla_monitor")
_NAMESPACE_BYTES = NAMESPACE.bytes


def event_id(case_id: str, clock: str, episode: str, period: int, level: str) -> str:
    """The same crossing always gets the same id, so a replay re-emits nothing new downstream.

    `str(uuid.uuid5(NAMESPACE, name))`, computed without the UUID object (a third of the cost; a burst makes
    thousands): SHA-1 of namespace and name, version 5 and the RFC 4122 variant set in the first 16 bytes.
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{case_id}:{clock}:{episode}:{period}:{level}".encode(),
                                    usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True)
class SlaEvent:
    case_id: str
    clock: str
    episode: str
    level: str
    period: int
    occurred_at: datetime
    due_at: datetime
    started_at: datetime
    reference: str
    office: str
    stage: str
    assignee: str | None
    recipient_role: str
    policy_version: str
    reason: str = ""

    @property
    def type(self) -> str:
        return TYPE_OF_LEVEL[self.level]

    @cached_property  # a uuid5 (SHA-1) read five times per event when a tick fires thousands
    def event_id(self) -> str:
        return event_id(self.case_id, self.clock, self.episode, self.period, self.level)

    def payload(self) -> dict[str, Any]:
        """The SlaEventSchema payload (typed values; the schema dumps them)."""
        return {
            "case_id": self.case_id, "reference": self.reference, "office": self.office, "stage": self.stage,
            "clock": self.clock, "level": self.level, "period": self.period, "started_at": self.started_at,
            "due_at": self.due_at, "recipient_role": self.recipient_role, "assignee": self.assignee,
            "policy_version": self.policy_version, "reason": self.reason,
        }
