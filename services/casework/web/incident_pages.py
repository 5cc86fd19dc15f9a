"""Submitting an incident from a form, and importing a situation report file after a preview.

Both go to intake exactly as the API's `POST /incidents` and `hrcase sitrep load` do: the records are queued
for `sitrep-incidents`, and intake validates and de-duplicates them. The form and the preview check them first
with the sitrep contract's validation (`sitreps`, the one intake applies), so that the officer sees each problem
next to its field.
"""

from __future__ import annotations

import base64
import json
import zlib
from datetime import datetime, timedelta
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from schemas.errors import SchemaError
from schemas.text import normalised
from schemas.vocabulary import offered
from services.casework.adapters import read_model, units
from services.casework.adapters import repository as repo
from services.casework.api import incidents as api_incidents
from services.casework.api.errors import ApiError
from services.casework.api.request import context
from services.casework.auth.policy import INCIDENT_SUBMITTERS, incident_refusal
from services.casework.web import dates, forms, people_fields, place_fields
from services.casework.web.blueprint import bp, me, page
from services.casework.web.labels import choices
from services.messaging.ports import Outgoing
from services.sealing import sitrep_outgoing
from services.vault import WrongKey
from sitreps.files import SitrepFileError, read_csv, read_jsonl
from sitreps.key import key_of, split_key
from sitreps.parser import parse
from sitreps.validation import validate

VICTIM_GROUPS = ("female_adult", "female_child", "male_adult", "male_child", "unknown")
MAX_IMPORT = 512 * 1024  # the preview hands the file back sealed and compressed: it must fit in the next form
PREVIEW_MAX_AGE = timedelta(hours=1)


def _submitter() -> None:
    if me().role not in INCIDENT_SUBMITTERS:
        abort(403, _("Only officers, Team Leaders and Directors submit incidents."))


def _offices() -> tuple[str, ...]:
    user = me()
    return context().offices if user.role == "director" else (user.office,)


def _form_page(values: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> tuple[str, int]:
    officers = [u for u in context().casework.read(repo.list_users)
                if u.role == "hro" and u.active and u.office in _offices()]
    return page("incident.html", title=_("Submit an incident"), values=values, errors=errors, offices=_offices(),
                officers=officers, violations=choices("violation", offered("violation_types")), groups=VICTIM_GROUPS,
                perpetrators=choices("perpetrator", offered("perpetrator_types")),
                sources=choices("source", offered("source_types")), places=place_fields.options(),
                place_kinds=place_fields.kinds(),
                coordinates="latitude" in place_fields.CONTRACT_FIELDS,
                people_rows=people_fields.rows(values, "people"), acts_rows=people_fields.rows(values, "acts"),
                person_options=people_fields.options(),
                occupations=choices("occupation", offered("occupation_categories")),
                units=[(u.code, f"{u.name} ({u.code})") for u in context().casework.read(units.list_units)
                       if not u.retired]), status


@bp.get("/incidents/new")
def new_incident() -> tuple[str, int]:
    _submitter()
    now = context().clock.now()
    sitrep = f"WEB-{now:%Y%m%d}"
    return _form_page({"sitrep_id": sitrep, "incident_number": str(_next_number(sitrep)),
                       "reported_at": dates.show(now, forms.locale()), "office": me().office}, {})


def _next_number(sitrep_id: str) -> int:
    keys = context().casework.read(lambda conn: read_model.incident_keys_of_sitrep(conn, sitrep_id))
    numbers = [parts[1] for parts in map(split_key, keys) if parts is not None]
    return max(numbers, default=0) + 1


def record_from_form(form: Any) -> dict[str, Any]:
    """The IncidentReported record a form stands for, as a sitrep line would give it (times in UTC)."""

    def when(name: str) -> str:
        value = form.get(name, "").strip()
        try:
            return dates.parse_datetime(value, forms.locale()).isoformat()
        except ValueError:
            return value  # left as typed: time_problems names the field and the format

    def names(name: str) -> list[dict[str, str]]:
        # One name a line, lines split at line breaks only: any other control character stays, to be refused.
        lines = normalised(form.get(name, "")).split("\n")
        return [{"name": line.strip()[:200]} for line in lines if line.strip()]

    record: dict[str, Any] = {
        "sitrep_id": form.get("sitrep_id", "").strip(), "incident_number": form.get("incident_number", "").strip(),
        "reported_at": when("reported_at"), "occurred_at": when("occurred_at"), "office": form.get("office", ""),
        "location": form.get("location", "").strip(), "violation_types": form.getlist("violation_types"),
        "perpetrator_category": form.get("perpetrator_category", ""), "source_type": form.get("source_type", ""),
        "summary": form.get("summary", "").strip(),
        "victims": {g: form.get(f"victims_{g}", "").strip() or "0" for g in VICTIM_GROUPS},
    }
    record |= place_fields.place_of_form(form)
    if form.get("assignee"):
        record["assignee"] = form["assignee"]
    people, identified = people_fields.people_of_form(form, forms.locale())
    acts = people_fields.acts_of_form(form, forms.locale())
    if people:
        record["people"] = people
    if acts:
        record["acts"] = acts
        # The acts say what was violated and who the victims are (sitreps.acts): fields left blank take theirs.
        if not record["violation_types"]:
            del record["violation_types"]
        if not any(form.get(f"victims_{g}", "").strip() for g in VICTIM_GROUPS):
            del record["victims"]
    identities: dict[str, Any] = {k: names(f"{k}_names") for k in ("victims", "witnesses", "sources")}
    if identified:
        identities["people"] = identified
    if any(identities.values()):
        record["identities"] = identities
    return {k: v for k, v in record.items() if v != ""}


TIME_FIELDS = {"reported_at": _l("Reported at (UTC)"), "occurred_at": _l("Occurred at (UTC)")}


def time_problems(form: Any) -> dict[str, list[str]]:
    """The date and time fields that are filled but not readable, each named with the format to use."""
    out = {}
    for name, label in TIME_FIELDS.items():
        value = form.get(name, "").strip()
        try:
            if value:
                dates.parse_datetime(value, forms.locale())
        except ValueError:
            out[name] = [forms.date_problem(str(label), with_time=True)]
    return out


def _field_errors(error: SchemaError, record: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    refs = {p.get("ref"): int(p["ref"][1:]) - 1 for p in record.get("people") or []}
    for name, texts in error.fields.items():
        row = people_fields.row_field(name, refs)
        if row is not None:
            out.setdefault(row, []).extend(forms.message(t) for t in texts)
            continue
        parts = [p for p in name.split(".") if not p.isdigit()]
        field = "victims_" + parts[1] if parts[0] == "victims" and len(parts) > 1 else parts[0]
        if field == "identities":
            field = (parts[1] + "_names") if len(parts) > 1 else "victims_names"
        out.setdefault(field, []).extend(forms.message(t) for t in texts)
    return out


@bp.post("/incidents/new")
def submit_incident() -> Any:
    _submitter()
    ctx = context()
    if request.form.get("more_rows"):  # more rows asked for: the same form again, longer, nothing checked yet
        return _form_page(people_fields.values_of(request.form), {})
    record = record_from_form(request.form)
    unreadable = (time_problems(request.form) | place_fields.place_problems(request.form)
                  | people_fields.row_problems(request.form, forms.locale(), forms.date_problem))
    try:
        validate(dict(record), ctx.clock.now(), ctx.offices)
    except SchemaError as exc:
        unreadable = _field_errors(exc, record) | unreadable
    if unreadable:
        return _form_page(people_fields.values_of(request.form), unreadable, 422)
    try:
        queued = api_incidents.queue_incident(record["office"], record, source="web")
    except ApiError as exc:
        return _form_page(people_fields.values_of(request.form), {"office": [forms.refusal(exc.message)]},
                          exc.status)
    place = place_fields.place_note(record.get("place_pcode"), record.get("location", ""))
    flash(_("Incident %(key)s submitted: intake checks it and its case appears in a few seconds.",
            key=queued["incident_key"]) + " " + place, "success")
    return redirect(url_for("web.my_cases" if me().role == "hro" else "web.queue"), code=303)


# Importing a situation report -------------------------------------------------------------------------------

def seal_upload(name: str, data: bytes, now: datetime) -> str:
    """The previewed file for the confirmation, sealed with the installation's identity vault (it holds names of
    victims and witnesses, like every sitrep): the page carries only ciphertext, bound to this sign-in."""
    upload = {"name": name, "data": base64.b64encode(data).decode(), "at": now.isoformat(),
              "session": g.principal.credential}
    return context().casework.vault.encrypt(zlib.compress(json.dumps(upload).encode()))


def open_upload(sealed: str, now: datetime) -> tuple[str, bytes] | None:
    """The file a preview sealed: None if altered, of another sign-in (or installation), or older than an hour."""
    try:
        upload = json.loads(zlib.decompress(context().casework.vault.decrypt(sealed)))
    except (WrongKey, zlib.error, ValueError):
        return None
    at = datetime.fromisoformat(upload["at"])
    if upload["session"] != g.principal.credential or not at <= now <= at + PREVIEW_MAX_AGE:
        return None
    return upload["name"], base64.b64decode(upload["data"])


def preview(name: str, data: bytes, now: datetime) -> list[dict[str, Any]]:
    """One row per record: what intake will accept, what it will reject and why, what you may not import."""
    reader = read_csv if name.lower().endswith(".csv") else read_jsonl
    records = reader(data, name)
    known = context().casework.read(read_model.incident_keys)
    seen: set[str] = set()
    rows = []
    user = me()
    for out in records:
        row: dict[str, Any] = {"line": out.headers["line"], "key": out.key, "outgoing": sitrep_outgoing(out),
                               "reasons": []}
        try:
            raw = parse(out.value)
            row["office"], row["location"] = raw.get("office"), raw.get("location")
            record = validate(raw, now, context().offices)
        except SchemaError as exc:
            row.update(status="rejected", reasons=forms.reasons(exc))
            if isinstance(row.get("office"), str) and incident_refusal(user, row["office"]):
                row["status"] = "refused"
            rows.append(row)
            continue
        key = key_of(record)
        row.update(key=key, office=record["office"], location=record["location"], reported_at=record["reported_at"],
                   place=place_fields.place_line(record.get("place_pcode"), record["location"]),
                   free_text=place_fields.is_free_text(record.get("place_pcode"), record["location"]))
        refusal = incident_refusal(user, record["office"])
        if refusal:
            row.update(status="refused", reasons=[forms.refusal(refusal)])
        elif key in seen or key in known:
            row.update(status="known", reasons=[_("already received: the same content changes nothing, "
                                                  "different content is rejected as a conflict")])
        else:
            row["status"] = "accepted"
        seen.add(key)
        rows.append(row)
    return rows


def _import_page(rows: list[dict[str, Any]] | None = None, token: str = "", name: str = "",
                 error: str | None = None, status: int = 200) -> tuple[str, int]:
    counts = {s: sum(1 for r in rows or [] if r["status"] == s) for s in ("accepted", "rejected", "known", "refused")}
    # The button names what it imports: the accepted records only, never one the preview shows as rejected.
    button = ngettext("Import %(num)d record", "Import %(num)d records", counts["accepted"])
    return page("import.html", title=_("Import a situation report"), rows=rows, token=token, name=name,
                error=error, counts=counts, button=button), status


@bp.get("/import")
def import_form() -> tuple[str, int]:
    _submitter()
    return _import_page()


@bp.post("/import")
def import_preview() -> tuple[str, int]:
    """Read the file and show what would happen to each record; nothing is saved yet."""
    _submitter()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(error=_("Choose a .jsonl or .csv file."), status=422)
    name = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120]
    if not name.lower().endswith((".jsonl", ".csv")):
        return _import_page(error=_("Unknown file format: use .jsonl or .csv."), status=422)
    data = upload.read(MAX_IMPORT + 1)
    if len(data) > MAX_IMPORT:
        return _import_page(error=_("The file is too large (at most 512 KiB): split it."), status=413)
    try:
        rows = preview(name, data, context().clock.now())
    except SitrepFileError as exc:
        return _import_page(error=forms.file_problem(exc, name), status=422)
    return _import_page(rows, seal_upload(name, data, context().clock.now()), name)


@bp.post("/import/confirm")
def import_confirm() -> Any:
    """Queue the previewed records (all but those outside your offices) for intake, as `sitrep load` does."""
    _submitter()
    ctx = context()
    upload = open_upload(request.form.get("token", ""), ctx.clock.now())
    if upload is None:
        return _import_page(error=_("The preview has expired: choose the file again."), status=400)
    name, data = upload
    rows = preview(name, data, ctx.clock.now())
    # The rejected go to intake too, which keeps each with its reason (nothing dropped); none of them is imported.
    chosen: list[Outgoing] = [r["outgoing"] for r in rows if r["status"] != "refused"]
    tagged = [Outgoing(o.topic, o.key, o.value, {**o.headers, "file": f"web:{me().username}:{name}"}) for o in chosen]
    with ctx.casework.unit_of_work() as uow:
        uow.submit_incidents(tagged)
    rejected = sum(1 for r in rows if r["status"] == "rejected")
    sent = ngettext("%(num)s record of %(name)s sent to intake.", "%(num)s records of %(name)s sent to intake.",
                    len(tagged), name=name)
    if rejected:  # where a web user reads the reasons: the preview they just saw, not a command line
        sent += " " + ngettext("%(num)s of them will be rejected, for the reason shown in the preview.",
                               "%(num)s of them will be rejected, for the reasons shown in the preview.", rejected)
    flash(sent, "success")
    return redirect(url_for("web.home"), code=303)


