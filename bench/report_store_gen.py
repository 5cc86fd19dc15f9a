"""A reporting store at a million cases, made by a generator (ADR 0027): the store of a history built through the
pipeline (bench/report_scale.py's x10) copied `times` times over, each copy's cases, incidents and SLA events renamed
(`~N` after their ids, references and keys), into a new data dir whose log is empty. `hrcase report` on it then
measures the steady state (a store current, nothing new on the log) at that size; the data were not made by the
pipeline, and their figures are the source's multiplied, which is what the benchmark says of them.

    .venv/bin/python bench/report_store_gen.py --source /tmp/hrcase-report-scale/x10/data --times 67 \\
        --out /tmp/hrcase-report-store-1m
"""

from __future__ import annotations

import argparse
import copy
import json
import pickle
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.reporting.adapters.spill import KEPT_INDEXES
from services.reporting.store import FILE, Kept, ReportingStore


def generate(source: Path, times: int, out: Path) -> dict[str, object]:
    started = time.perf_counter()
    EmbeddedRuntime(Settings(data_dir=out))  # an installation with an empty log, as the report opens it
    src = sqlite3.connect(source / FILE)
    meta = dict(src.execute("SELECT key, value FROM store_meta").fetchall())
    kept: Kept = pickle.loads(src.execute("SELECT reading FROM store_state").fetchone()[0])
    src.close()
    cases, clocks = kept.folding.cases, kept.clocks.by_case
    grown, grown_clocks = {}, {}
    for n in range(times):
        for case_id, case in cases.items():
            twin = copy.copy(case)
            twin.case_id, twin.reference = f"{case_id}~{n}", f"{case.reference}~{n}"
            twin.incident_key = f"{case.incident_key}~{n}"
            grown[twin.case_id] = twin
            if case_id in clocks:
                grown_clocks[twin.case_id] = clocks[case_id]
    kept.folding.cases, kept.clocks.by_case = grown, grown_clocks
    kept.crossed = set(grown)
    for tally in kept.sdg_by_day.values():  # each incident counted once per copy
        tally.n, tally.with_people, tally.unnamed = tally.n * times, tally.with_people * times, tally.unnamed * times
        tally.by_violation = {k: v * times for k, v in tally.by_violation.items()}
        tally.victims = {k: v * times for k, v in tally.victims.items()}
    kept.rejections = kept.rejections * times
    store = ReportingStore.of_data_dir(out)
    db = store.db
    for name in KEPT_INDEXES:  # made once at the end: faster than kept row by row
        db.execute(f"DROP INDEX IF EXISTS {name}")
    db.execute("ATTACH DATABASE ? AS src", (str(source / FILE),))
    db.execute("BEGIN")
    db.execute("DELETE FROM crossing")
    db.execute("DELETE FROM incident")
    for n in range(times):
        db.execute(
            # The line's second cell is the reference (its first, a time, holds no comma; a reference needs no quotes).
            "INSERT INTO crossing (at_us, case_id, month, clock_rank, level_rank, reference, office, clock, level, "
            "period, line) SELECT at_us, case_id || :n, month, clock_rank, level_rank, reference || :n, office, "
            "clock, level, period, substr(line, 1, instr(line, ',') + length(reference)) || :n "
            "|| substr(line, instr(line, ',') + length(reference) + 1) FROM src.crossing ORDER BY seq", {"n": f"~{n}"})
        db.execute("INSERT INTO incident SELECT key || ?, office, reported_us FROM src.incident ORDER BY rowid",
                   (f"~{n}",))
    sources = {k: v * times for k, v in json.loads(meta["sources"]).items()}
    db.execute("INSERT OR REPLACE INTO store_state VALUES (1, ?)", (pickle.dumps(kept, pickle.HIGHEST_PROTOCOL),))
    db.executemany("INSERT OR REPLACE INTO store_meta VALUES (?, ?)", [
        ("key", meta["key"]), ("offset", "0"), ("sources", json.dumps(sources, sort_keys=True)),
        ("latest", meta["latest"])])
    db.execute("COMMIT")
    db.execute("DETACH DATABASE src")
    for index in KEPT_INDEXES.values():
        db.execute(index)
    # What the state covers of the rows (as a catch-up records it): a report reads the crossings and incidents up to
    # these, and a store without them is taken for an empty one.
    db.executemany("INSERT OR REPLACE INTO store_meta VALUES (?, ?)", [
        ("crossing_seq", str(db.execute("SELECT coalesce(max(seq), 0) FROM crossing").fetchone()[0])),
        ("incident_rowid", str(db.execute("SELECT coalesce(max(rowid), 0) FROM incident").fetchone()[0]))])
    rows = db.execute("SELECT count(*) FROM crossing").fetchone()[0]
    store.close()
    return {"cases": len(grown), "crossings": rows, "seconds": time.perf_counter() - started,
            "bytes": (out / FILE).stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", required=True, help="a data dir whose reporting store is current")
    parser.add_argument("--times", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    print(json.dumps(generate(Path(args.source), args.times, Path(args.out))))


if __name__ == "__main__":
    main()
