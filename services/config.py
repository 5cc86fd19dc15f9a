"""Settings of a runtime, from environment variables (HRCASE_*) with defaults for a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from services.sla_monitor.adapters import policy_file
from services.sla_monitor.domain.policy import Policy

DEFAULT_OFFICES = ("Bamako", "Mopti", "Gao", "Timbuktu", "Kidal", "Menaka")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var/hrcase")
    offices: tuple[str, ...] = DEFAULT_OFFICES
    policy_path: Path | None = None  # None: the default policy shipped with sla_monitor
    batch_size: int = 500
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, data_dir: Path | str | None = None, policy_path: Path | str | None = None) -> Settings:
        env = os.environ
        offices = tuple(o.strip() for o in env.get("HRCASE_OFFICES", "").split(",") if o.strip())
        policy = policy_path or env.get("HRCASE_SLA_POLICY")
        return cls(
            data_dir=Path(data_dir or env.get("HRCASE_DATA_DIR", "var/hrcase")),
            offices=offices or DEFAULT_OFFICES,
            policy_path=Path(policy) if policy else None,
            batch_size=int(env.get("HRCASE_BATCH_SIZE", "500")),
        )

    def policy(self) -> Policy:
        return policy_file.load(self.policy_path)
