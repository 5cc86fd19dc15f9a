"""What the API needs from the process that serves it: the casework service, the identity check, a clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.casework.adapters.search_query import Bounds
from services.casework.api.snapshots import Snapshots
from services.casework.auth.identity import IdentityProvider
from services.casework.bootstrap import Casework
from services.clock import Clock, SystemClock
from services.config import DEFAULT_OFFICES


@dataclass
class ApiContext:
    casework: Casework
    identity: IdentityProvider
    clock: Clock = field(default_factory=SystemClock)
    offices: tuple[str, ...] = DEFAULT_OFFICES
    # The overview's figures are taken at most this often, in seconds, and shared (ADR 0025); 0: at every request.
    overview_max_age: float = 0.0
    snapshots: Snapshots = field(default_factory=Snapshots)
    search: Bounds = field(default_factory=Bounds)  # how much of its matches a search reads (ADR 0026)
