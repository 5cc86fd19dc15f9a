"""The access log, for Directors and auditors: who read or changed which case, when, from where, how."""

from __future__ import annotations

from typing import Any

from services.casework.adapters import access_log
from services.casework.adapters import repository as repo
from services.casework.api import present
from services.casework.api.bodies import Blueprint
from services.casework.api.common import documented
from services.casework.api.errors import forbidden
from services.casework.api.request import context, user
from services.casework.api.schemas import AccessLogArgs, AccessLogPageSchema
from services.casework.auth.policy import may_read_access_log

blp = Blueprint("audit", __name__, description="The append-only access log")


@blp.route("/access-log", methods=["GET"])
@blp.arguments(AccessLogArgs, location="query", as_kwargs=True)
@blp.response(200, AccessLogPageSchema)
@documented(blp, 403)
def read_access_log(page: int, page_size: int, case: str | None = None, username: str | None = None
                    ) -> dict[str, Any]:
    """Entries newest first, optionally for one case (id or reference) or one user. Directors and auditors."""
    if not may_read_access_log(user()):
        raise forbidden("only Directors and auditors read the access log")

    def query(conn: Any) -> tuple[int, list[Any]]:
        case_id = None
        if case is not None:
            found = repo.get_case(conn, case)
            case_id = found.case_id if found else case
        return access_log.entries(conn, case_id=case_id, username=username, limit=page_size,
                                  offset=(page - 1) * page_size)

    total, entries = context().casework.read(query)
    return present.page([present.access(seq, e) for seq, e in entries], total, page, page_size)
