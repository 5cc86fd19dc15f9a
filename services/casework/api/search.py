"""Searching cases (ADR 0021): words and facets within the caller's read scope, ranked, with excerpts and facet
counts; and the same results as CSV, without identities, for the roles that may take cases away."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Response, stream_with_context

from services.casework.adapters import search_query
from services.casework.api.bodies import Blueprint
from services.casework.api.common import documented
from services.casework.api.errors import ApiError, forbidden
from services.casework.api.request import context, now, user
from services.casework.api.schemas import SearchArgs, SearchFilterArgs, SearchPageSchema
from services.casework.auth.policy import may_export_cases, read_scope
from services.casework.domain.search import excerpt, query_words, region_name
from services.casework.domain.summaries import FLAGS
from services.messaging.sqlite import reading
from services.messaging.times import as_utc

blp = Blueprint("search", __name__, description="Search: cases by words and facets, and their export")
CSV_COLUMNS = ("reference", "office", "stage", "assignee", "reported_at", "occurred_at", "place", "place_pcode",
               "region_pcode", "region", "violations", "perpetrator", "victims", "sla_state", "next_due_at", "flags",
               "excerpt")
_FILTERS = ("q", "office", "stage", "sla_state", "violation", "perpetrator", "place_pcode", "region_pcode",
            "reported_from", "reported_to", "occurred_from", "occurred_to", "assignee")


def filters_of(args: dict[str, Any]) -> search_query.Filters:
    """The search a caller asked for, within what they may read: 403 for another office, 422 for words of nothing."""
    scope = read_scope(user())
    office = args.get("office")
    if office is not None and scope is not None and office != scope:
        raise forbidden(f"you may read the cases of {scope} only")
    q = args.get("q")
    if q is not None and not query_words(q):
        raise ApiError(422, "invalid_request", "the request does not match its schema",
                       {"q": ["say what to search for: at least one letter or digit"]})
    values: dict[str, Any] = {name: args.get(name) for name in _FILTERS}
    return search_query.Filters(**{**values, "office": office or scope, "flags": tuple(args.get("flag") or ())})


def hit(row: dict[str, Any], words: list[str]) -> dict[str, Any]:
    """One result as the API gives it: the excerpt from the first of summary, place or notes holding a hit."""
    shown = {"text": row["excerpt"], "source": "summary", "highlights": []}
    for source in ("summary", "place", "notes") if words else ():
        text = (row.get(f"doc_{source}") or "").strip()
        piece, marks = excerpt(text, words)
        if marks:
            shown = {"text": piece, "source": source, "highlights": [{"start": a, "end": b} for a, b in marks]}
            break
    return {
        "case_id": row["case_id"], "reference": row["reference"], "office": row["office"], "stage": row["stage"],
        "assignee": row["assignee"], "reported_at": as_utc(row["reported_at"]),
        "occurred_at": as_utc(row["occurred_at"]), "place": row["place"], "place_pcode": row["place_pcode"],
        "region_pcode": row["region_pcode"], "region": region_name(row["region_pcode"]),
        "violations": row["violations"].split(), "perpetrator": row["perpetrator"], "victims": row["victims"],
        "sla_state": row["sla_state"], "next_due_at": as_utc(row["next_due_at"]),
        "flags": [flag for flag in FLAGS if row[flag]], "excerpt": shown,
    }


def search_page(args: dict[str, Any]) -> dict[str, Any]:
    """A page of results with the search's total and facet counts, each saying how far it goes (ADR 0026)."""
    found, at, bounds = filters_of(args), now(), context().search
    page, size = args["page"], args["page_size"]
    result = context().casework.read(lambda conn: search_query.search(conn, found, at, size, (page - 1) * size,
                                                                      bounds))
    words = query_words(found.q or "")
    return {"items": [hit(row, words) for row in result.rows], "total": result.total,
            "total_is_exact": result.total_is_exact, "order": result.order, "ranked_over": result.ranked_over,
            "page": page, "page_size": size, "facets": result.facets, "facets_over": result.facets_over}


@blp.route("/cases/search", methods=["GET"])
@blp.arguments(SearchArgs, location="query", as_kwargs=False)
@blp.response(200, SearchPageSchema)
@documented(blp, 403)
def search_cases(args: dict[str, Any]) -> dict[str, Any]:
    """Cases you may read, by words and facets, in the order `order` names.

    Words are searched in summaries, places (as written, the gazetteer's unit and its region), activity notes and
    closure reasons, never in identities, without regard to accents or case, and by their French and English stems.
    Each excerpt is plain text with the positions of the words found.

    A search reads a bounded part of its matches, and says so (ADR 0026): `total` is exact when `total_is_exact`,
    otherwise more than `total` cases match (the server's bound, 10,000 unless configured). Results are the best
    match first (`best_match`), or without words the most urgent first (`most_urgent`). Words matching more cases
    than the bound are ranked among the first 1,000 matches found (unless configured), the index's latest documents
    first: `ranked_over` then says how many, and there are no results past them (narrow the search, or export it);
    it is null when every match is in order. Facet counts cover the first `facets_over` results in that order: every
    match when it equals `total`.
    The CSV export holds every match.
    """
    return search_page(args)


def export_rows(args: dict[str, Any]) -> tuple[str, Iterator[str]]:
    """The filename and CSV lines of every matching case (403 for roles that may not export)."""
    caller = user()
    if not may_export_cases(caller):
        raise forbidden("only officers, Team Leaders, Directors and auditors export cases")
    found, at = filters_of(args), now()
    bounds, engine = context().search, context().casework.engine
    words = query_words(found.q or "")
    said = [f"{name}={getattr(found, name)}" for name in _FILTERS if getattr(found, name) is not None]
    said += [f"flag={flag}" for flag in found.flags]

    def lines() -> Iterator[str]:
        """Streamed from one read transaction (one snapshot, holding up no writer), a chunk of rows at a time."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        with reading(engine) as conn:
            for row in search_query.everything(conn, found, at, search_query.export_order(conn, found, at, bounds)):
                item = hit(row, words)
                writer.writerow([_cell(v) for v in _csv_values(item)])
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    return f"cases-{at:%Y%m%dT%H%M}Z{'-' if said else ''}{'_'.join(_slug(s) for s in said)[:120]}.csv", lines()


def _csv_values(item: dict[str, Any]) -> list[Any]:
    values = {**item, "violations": " ".join(item["violations"]), "flags": " ".join(item["flags"]),
              "excerpt": item["excerpt"]["text"]}
    return [values[name].isoformat() if isinstance(values[name], datetime) else values[name] for name in CSV_COLUMNS]


def _cell(value: Any) -> Any:
    """A cell a spreadsheet shows as written: text starting like a formula is quoted (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "=-" else "-" for c in text)


@blp.route("/cases/search.csv", methods=["GET"])
@blp.arguments(SearchFilterArgs, location="query", as_kwargs=False)
@blp.response(200, content_type="text/csv", description="a header row, then one row per matching case")
@documented(blp, 403)
def export_cases(args: dict[str, Any]) -> Response:
    """Every matching case as CSV, without identities (as `GET /cases/search` filters them), in the search's order;
    words matching more cases than the search ranks (ADR 0026) come in the index's order, unranked, all of them.

    For HROs, Team Leaders, Directors and auditors, within their read scope; the filters in effect name the file.
    """
    name, lines = export_rows(args)
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
