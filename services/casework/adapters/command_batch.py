"""The cases a unit of work's commands read and write: users and cases read once, cases and history written once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select

from services.casework.adapters import repository as repo
from services.casework.adapters import state
from services.casework.adapters.tables import cases
from services.casework.domain.case import Case
from services.casework.domain.roles import User

CHUNK = 500  # ids per IN (...) list: two lists a query stays under SQLite's bound-parameter limit

_CASES = select(cases.c.state).where(or_(cases.c.case_id.in_(bindparam("refs", expanding=True)),
                                         cases.c.reference.in_(bindparam("refs", expanding=True))))


class CommandBatch:
    """What `handlers.execute` reads and writes, for the commands of one unit of work: one (the API, the pages, the
    command line) or many back to back (the history import).

    Each command sees what the ones before it did, exactly as if each had run alone: a case is read once (all of a
    batch's cases in one query by `prefetch`) and kept as it stands after each command; `flush` writes each case's
    last state with one optimistic update from its stored version, and the history rows in command order.
    """

    def __init__(self) -> None:
        self.users: dict[str, User | None] = {}
        self.ids: dict[str, str | None] = {}  # a case id or reference: the case id (None: no such case)
        self.stored: dict[str, Case] = {}  # case id: as in the database before the batch
        self.current: dict[str, Case] = {}  # case id: as the batch's commands left it
        self.history: list[dict[str, Any]] = []

    def prefetch(self, conn: Connection, refs: Sequence[str]) -> None:
        wanted = list(dict.fromkeys(r for r in refs if r not in self.ids))
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            for ref in chunk:
                self.ids[ref] = None
            for text in conn.scalars(_CASES, {"refs": chunk}):
                self._keep(state.loads(text))

    def get_user(self, conn: Connection, username: str) -> User | None:
        if username not in self.users:
            self.users[username] = repo.get_user(conn, username)
        return self.users[username]

    def get_case(self, conn: Connection, ref: str) -> Case | None:
        if ref not in self.ids:
            found = repo.get_case(conn, ref)
            self.ids[ref] = None
            if found is not None:
                self._keep(found)
        case_id = self.ids[ref]
        return None if case_id is None else self.current[case_id]

    def update_case(self, conn: Connection, before: Case, after: Case) -> None:
        if self.current.get(before.case_id) is not before:  # what the live path's version check would refuse
            raise repo.StaleCase(before.case_id)
        self.current[after.case_id] = after

    def append_history(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        self.history.extend(rows)

    def flush(self, conn: Connection) -> None:
        for case_id, after in self.current.items():
            before = self.stored[case_id]
            if after is not before:
                repo.update_case(conn, before, after)
        repo.append_history(conn, self.history)
        self.stored, self.history = dict(self.current), []

    def _keep(self, case: Case) -> None:
        if case.case_id not in self.current:  # already read under its other name: the batch's state stands
            self.stored[case.case_id] = self.current[case.case_id] = case
        self.ids[case.case_id] = self.ids[case.reference] = case.case_id
