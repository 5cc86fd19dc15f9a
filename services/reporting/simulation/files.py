"""A simulated history written in the import format: incidents.csv (situation reports) and cases.csv (actions)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from services.intake.adapters.sitrep_files import CSV_COLUMNS
from services.reporting.history.rows import COLUMNS
from services.reporting.simulation.generator import generate
from services.reporting.simulation.profile import Profile


def write_history(profile: Profile, folder: Path) -> tuple[Path, Path]:
    history = generate(profile)
    folder.mkdir(parents=True, exist_ok=True)
    incidents, actions = folder / "incidents.csv", folder / "cases.csv"
    _write(incidents, CSV_COLUMNS, history.incidents)
    _write(actions, COLUMNS, history.actions)
    return incidents, actions


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
