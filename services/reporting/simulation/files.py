"""A simulated history written in the import format: incidents.csv (situation reports) and cases.csv (actions)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

from services.reporting.history.rows import COLUMNS
from services.reporting.simulation.generator import simulate
from services.reporting.simulation.profile import Profile
from sitreps.files import CSV_COLUMNS


def write_history(profile: Profile, folder: Path) -> tuple[Path, Path]:
    """Rows are written as they come, not held; the files replace any earlier ones only once they are complete."""
    folder.mkdir(parents=True, exist_ok=True)
    incidents, actions = folder / "incidents.csv", folder / "cases.csv"
    parts = incidents.with_name("incidents.csv.part"), actions.with_name("cases.csv.part")
    try:
        with parts[0].open("w", newline="", encoding="utf-8") as one, parts[1].open("w", newline="",
                                                                                  encoding="utf-8") as two:
            _writer(two, COLUMNS).writerows(simulate(profile, _writer(one, CSV_COLUMNS).writerow))
    except BaseException:
        for part in parts:
            part.unlink(missing_ok=True)
        raise
    parts[0].replace(incidents)
    parts[1].replace(actions)
    return incidents, actions


def _writer(out: IO[str], columns: tuple[str, ...]) -> csv.DictWriter[str]:
    writer = csv.DictWriter(out, columns, restval="", lineterminator="\n")
    writer.writeheader()
    return writer
