"""Checking the case read model: every row against a fresh computation from its case and schedules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from services.casework.adapters import state
from services.casework.adapters.case_lists import rows
from services.casework.adapters.schedules import for_cases
from services.casework.adapters.summaries import CHUNK, COUNTED, FAR
from services.casework.adapters.tables import case_counts, case_summaries, case_violations, cases
from services.casework.domain.summaries import deadline_of, summary_of, violations_of
from services.messaging.times import as_utc


def fresh(conn: Connection, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The rows the read model should hold for these cases (as summaries.add writes them), with their violations."""
    found = [state.loads(text) for text in conn.scalars(select(cases.c.state).where(cases.c.case_id.in_(case_ids)))]
    clocks = for_cases(conn, case_ids)
    out = {}
    for case in found:
        row = {**summary_of(case), **deadline_of(clocks[case.case_id])}
        row["urgency_at"] = row["next_due_at"] or FAR
        out[case.case_id] = {k: as_utc(v) if hasattr(v, "tzinfo") else v for k, v in row.items()}
        out[case.case_id]["violation_rows"] = violations_of(case)
    return out


def _stored(conn: Connection, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    found = {r["case_id"]: r for r in rows(conn.execute(select(case_summaries)
                                                         .where(case_summaries.c.case_id.in_(case_ids))))}
    for row in found.values():
        row["violation_rows"] = []
    for violation, case_id in conn.execute(select(case_violations.c.violation, case_violations.c.case_id)
                                           .where(case_violations.c.case_id.in_(case_ids))
                                           .order_by(case_violations.c.violation)):
        found[case_id]["violation_rows"].append(violation)
    return found


def differences(conn: Connection) -> list[tuple[str, list[str]]]:
    """(reference, the columns that differ) of each case whose row is not what its case and schedules give; a case
    without a row, or a row without a case, differs in every column ("row")."""
    out: list[tuple[str, list[str]]] = []
    after = ""
    while True:
        ids = list(conn.scalars(select(cases.c.case_id).where(cases.c.case_id > after)
                                .order_by(cases.c.case_id).limit(CHUNK)))
        if not ids:
            break
        want, have = fresh(conn, ids), _stored(conn, ids)
        for case_id, row in want.items():
            kept = have.get(case_id)
            if kept is None:
                out.append((row["reference"], ["row"]))
                continue
            wrong = [k for k, v in row.items() if kept.get(k) != v]
            if wrong:
                out.append((row["reference"], wrong))
        after = ids[-1]
    orphans = conn.execute(select(case_summaries.c.reference)
                           .where(case_summaries.c.case_id.not_in(select(cases.c.case_id))))
    out.extend((reference, ["row"]) for (reference,) in orphans)
    return out


def count_differences(conn: Connection) -> list[tuple[str, str, int, int]]:
    """(office, stage, kept, counted) for each office and stage whose kept count (case_counts) is not the number of
    its read-model rows."""
    counted = {(office, stage): n for office, stage, n in conn.execute(COUNTED)}
    kept = {(office, stage): n for office, stage, n in conn.execute(select(case_counts)) if n}
    return sorted((office, stage, kept.get((office, stage), 0), counted.get((office, stage), 0))
                  for office, stage in set(counted) | set(kept)
                  if kept.get((office, stage), 0) != counted.get((office, stage), 0))
