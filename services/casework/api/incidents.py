"""Submitting an incident: a raw IncidentReported record, identities sealed, to `sitrep-incidents` for intake."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from schemas.incident import IncidentAsWrittenSchema
from schemas.topics import SITREP_INCIDENTS
from services.casework.api.bodies import Blueprint
from services.casework.api.common import documented
from services.casework.api.errors import forbidden
from services.casework.api.request import context, user
from services.casework.api.schemas import IncidentQueuedSchema
from services.casework.auth.policy import incident_refusal
from services.messaging.ports import Outgoing
from sitreps.key import incident_key

blp = Blueprint("incidents", __name__, description="Incidents, as a situation report would give them")


@blp.route("/incidents", methods=["POST"])
@blp.arguments(IncidentAsWrittenSchema)
@blp.response(202, IncidentQueuedSchema)
@documented(blp, 403)
def submit_incident(incident: dict[str, Any]) -> dict[str, Any]:
    """Report an incident. It goes through intake exactly like a sitrep line (validation, de-duplication);
    a case appears once intake accepts it. An HRO who names nobody is taken to be the officer who records it."""
    # The record as sent: intake, not casework, decides what it means.
    return queue_incident(incident["office"], dict(request.get_json()))


def queue_incident(office: str, record: dict[str, Any], source: str = "api", line: int = 1) -> dict[str, Any]:
    """Authorise the caller for `office` and queue the raw record for intake (the API's and the web forms'), its
    identities sealed: the outbox and the log never hold them in the clear (ADR 10)."""
    caller = user()
    refusal = incident_refusal(caller, office)
    if refusal:
        raise forbidden(refusal)
    if caller.role == "hro" and not record.get("assignee"):
        record["assignee"] = caller.username
    key = incident_key(str(record["sitrep_id"]).strip(), int(record["incident_number"]))
    value = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"format": source, "file": f"{source}:{caller.username}", "line": str(line)}
    with context().casework.unit_of_work() as uow:
        uow.submit_incidents([Outgoing(SITREP_INCIDENTS, key, value, headers)])
    return {"incident_key": key, "status": "queued", "topic": SITREP_INCIDENTS}
