"""Search of cases on both databases (ADR 0021): accents, case and stems; notes and reasons found, identities never;
facets and their counts; the caller's read scope; the CSV export."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, delete, event, select, text, update

from schemas.topics import INCIDENTS
from services.casework import bootstrap
from services.casework.adapters import case_lists, search_index, search_query, token_store, web_store
from services.casework.adapters import repository as repo
from services.casework.adapters.search_query import Bounds
from services.casework.adapters.tables import case_search, case_summaries
from services.casework.api.app import create_app
from services.casework.api.server import context_for
from services.casework.auth import passwords
from services.casework.bootstrap import Casework
from services.casework.domain import commands as c
from services.casework.domain.roles import User
from services.casework.domain.schedules import Schedule, sla_state
from services.clock import SimulatedClock
from services.messaging import migrate as migrations
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.vault import IdentityVault
from sitreps.key import incident_key
from tests.integration.backends import BACKENDS, migrated
from tests.integration.web_world import Browser

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SERVED_AT = T0 + timedelta(days=6, hours=1)
KEY = IdentityVault.generate()
VICTIM = "Fatoumata Zerbo-Kanouté"
USERS = (User("awa", "hro", "Mopti"), User("tl_mopti", "team_leader", "Mopti"), User("garba", "hro", "Gao"),
         User("dir", "director", "Bamako"), User("aud", "auditor", "Bamako"), User("adm", "admin", "Bamako"))
# number: office, location, summary, violation, perpetrator
INCIDENTS_OF = {
    1: ("Mopti", "Konna", "Une attaque contre le marché de Ménaka a fait deux morts.", "killing", "armed_group"),
    2: ("Mopti", "Tombouctou", "Soldiers killed three herders near the well.", "killing", "state_armed_forces"),
    3: ("Gao", "Gao", "Les attaques répétées contre les écoles du cercle.", "abduction", "armed_group"),
    4: ("Mopti", "Konna", "A shop was looted at night.", "destruction_of_property", "unidentified"),
}


def incident(number: int) -> Message:
    office, location, summary, violation, perpetrator = INCIDENTS_OF[number]
    key = incident_key("SR-9", number)
    payload = {
        "incident_key": key, "sitrep_id": "SR-9", "incident_number": number, "reported_at": T0 + timedelta(days=number),
        "occurred_at": T0, "office": office, "location": location, "violation_types": [violation],
        "perpetrator_category": perpetrator, "victims": {"female_adult": 1}, "source_type": "ngo", "summary": summary,
        "assignee": "awa" if office == "Mopti" else "garba",
        "identities": KEY.seal({"victims": [{"name": VICTIM, "contact": "+223 7000 9999"}]}), "people": [],
    }
    out = emit(INCIDENTS, "IncidentAccepted", occurred_at=T0, key=key, producer="intake", payload=payload,
               event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"search-test:{key}")))
    return Message(INCIDENTS, 0, number, key, out.value, {"event_id": out.headers["event_id"]})


@dataclass
class World:
    casework: Casework
    client: FlaskClient
    tokens: dict[str, str]
    refs: dict[int, str]

    def get(self, path: str, caller: str, **query: Any) -> Any:
        return self.client.get(path, query_string=query, headers={"Authorization": f"Bearer {self.tokens[caller]}"})

    def found(self, caller: str = "dir", **query: Any) -> list[str]:
        answer = self.get("/cases/search", caller, **query)
        assert answer.status_code == 200, answer.get_json()
        return [item["reference"] for item in answer.get_json()["items"]]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from migrated(request, tmp_path, bootstrap.migrate)


@pytest.fixture
def world(engine: Engine) -> World:
    casework = bootstrap.build(engine, vault=KEY)

    def enrol(conn: Connection) -> dict[str, str]:
        for user in USERS:
            repo.save_user(conn, user)
        return {u.username: token_store.create(conn, u.username, T0).value for u in USERS}

    tokens = casework.write(enrol)
    casework.processor.process([incident(n) for n in INCIDENTS_OF], T0 + timedelta(days=5))
    # Incident n was reported on day n: listed by report time, the cases come in their numbers' order.
    refs = {n: case.reference for n, case in enumerate(casework.read(repo.list_cases), start=1)}
    at = T0 + timedelta(days=6)
    case4 = casework.read(lambda conn: repo.get_case(conn, refs[4]))
    assert case4 is not None
    casework.execute(c.RecordCase(case4.case_id, "awa"), at)
    casework.execute(c.LogActivity(case4.case_id, "awa", "Entretien avec le témoin à la clinique de Sévaré"), at)
    casework.execute(c.RequestClosure(case4.case_id, "awa", "duplicate", "Already reported by the prefecture"), at)
    return World(casework, served(casework), tokens, refs)


def served(casework: Casework, bounds: Bounds | None = None) -> FlaskClient:
    """The API and pages of this world, a search reading as much of its matches as `bounds` allow."""
    app = create_app(context_for(casework, clock=SimulatedClock(SERVED_AT), search=bounds))
    app.config["TESTING"] = True
    return app.test_client()


def test_words_are_found_whatever_their_accents_and_case(world: World) -> None:
    assert world.found(q="tombouctou") == [world.refs[2]]
    assert world.found(q="menaka") == [world.refs[1]]
    assert world.found(q="MÉNAKA") == [world.refs[1]]


def test_words_are_found_by_their_french_and_english_stems(world: World) -> None:
    assert sorted(world.found(q="attaques")) == sorted([world.refs[1], world.refs[3]])
    assert world.found(q="killings") == [world.refs[2]]
    assert world.found(q="attaque menaka") == [world.refs[1]]  # every word must match


def test_activity_notes_and_closure_reasons_are_found_with_the_hit_marked(world: World) -> None:
    answer = world.get("/cases/search", "dir", q="sevare").get_json()
    assert [item["reference"] for item in answer["items"]] == [world.refs[4]]
    shown = answer["items"][0]["excerpt"]
    assert shown["source"] == "notes"
    assert [shown["text"][h["start"]:h["end"]] for h in shown["highlights"]] == ["Sévaré"]
    assert world.found(q="prefecture") == [world.refs[4]]


def test_identities_are_never_found(world: World) -> None:
    for words in ("Fatoumata", "Zerbo", "Kanouté", "7000"):
        assert world.found(q=words) == []


def test_facets_combine_and_their_counts_cover_the_whole_search(world: World) -> None:
    answer = world.get("/cases/search", "dir", q="attaques").get_json()
    assert answer["facets"]["office"] == {"Gao": 1, "Mopti": 1}
    assert answer["facets"]["violation"] == {"abduction": 1, "killing": 1}
    assert answer["facets"]["perpetrator"] == {"armed_group": 2}
    assert answer["facets"]["region"] == {"ML05": 1, "ML07": 1}
    assert world.found(q="attaques", violation="killing") == [world.refs[1]]
    assert world.found(q="attaques", region_pcode="ML07") == [world.refs[3]]
    assert world.found(perpetrator="armed_group", office="Gao") == [world.refs[3]]
    assert world.found(stage="closure_requested") == [world.refs[4]]
    everyone = world.get("/cases/search", "dir").get_json()
    assert everyone["total"] == 4 and everyone["total_is_exact"] and everyone["order"] == "most_urgent"
    assert everyone["facets_over"] == 4  # the default bounds are far above this world: every count is complete
    assert everyone["facets"]["stage"] == {"reported": 3, "closure_requested": 1}
    assert sum(everyone["facets"]["sla_state"].values()) == 4
    assert world.found(reported_from="2026-03-03", reported_to="2026-03-04") == [world.refs[1], world.refs[2]]


def test_an_officer_searches_their_own_office_only(world: World) -> None:
    assert world.found("garba", q="attaques") == [world.refs[3]]
    assert world.found("awa", q="attaques") == [world.refs[1]]
    refused = world.get("/cases/search", "awa", office="Gao")
    assert refused.status_code == 403


def test_bad_filters_are_refused_naming_the_field(world: World) -> None:
    for query, field in (({"q": "?!"}, "q"), ({"stage": "nowhere"}, "stage"), ({"reported_from": "soon"},
                                                                                 "reported_from")):
        answer = world.get("/cases/search", "dir", **query)
        assert answer.status_code == 422
        assert field in answer.get_json()["errors"]


def test_the_export_is_a_csv_of_the_results_without_identities(world: World) -> None:
    answer = world.get("/cases/search.csv", "aud", q="attaques")
    assert answer.status_code == 200
    assert "q=attaques" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert sorted(r["reference"] for r in rows) == sorted([world.refs[1], world.refs[3]])
    assert {r["office"] for r in rows} == {"Mopti", "Gao"}
    assert VICTIM not in answer.get_data(as_text=True)
    assert world.get("/cases/search.csv", "adm").status_code == 403
    mine = list(csv.DictReader(io.StringIO(world.get("/cases/search.csv", "awa").get_data(as_text=True))))
    assert {r["office"] for r in mine} == {"Mopti"} and len(mine) == 3


def test_the_sql_sla_state_says_what_the_domain_rule_says(engine: Engine, world: World) -> None:
    due, warn = T0 + timedelta(days=10), T0 + timedelta(days=8)
    schedule = Schedule("x", "stall", "1", "running", T0, due, warn, None, T0 + timedelta(days=2), None, None, "p")
    moments = (T0, T0 + timedelta(days=2), T0 + timedelta(days=3), warn, due - timedelta(seconds=1), due,
               due + timedelta(days=1))
    with engine.connect() as conn:
        conn.execute(update(case_summaries).values(next_due_at=due, next_warn_at=warn,
                                                   next_paused_until=schedule.paused_until))
        said = [conn.scalar(select(case_lists.sla_state_sql(now)).select_from(case_summaries).limit(1))
                for now in moments]
        conn.execute(update(case_summaries).values(next_due_at=None))
        none = conn.scalar(select(case_lists.sla_state_sql(T0)).select_from(case_summaries).limit(1))
        conn.rollback()
    assert said == [sla_state(schedule, now) for now in moments]
    assert said == ["paused", "on_track", "on_track", "due_soon", "due_soon", "overdue", "overdue"]
    assert none == sla_state(None, T0) == "none"


def test_a_rebuild_gives_the_same_results(engine: Engine, world: World) -> None:
    before = world.found(q="sevare")
    with engine.begin() as conn:
        assert search_index.rebuild(conn) == 4
    assert world.found(q="sevare") == before == [world.refs[4]]
    assert world.found(q="menaka") == [world.refs[1]]


def test_words_within_an_office_are_matched_with_it_in_the_text_index(engine: Engine, world: World) -> None:
    assert world.found(q="attaques", office="Gao") == [world.refs[3]]
    assert world.found(q="attaques", office="Mopti") == [world.refs[1]]
    assert world.found("awa", q="sevare") == [world.refs[4]]  # an officer's own office, notes included
    assert world.found("garba", q="sevare") == []
    answer = world.get("/cases/search", "dir", q="attaques", office="Gao").get_json()
    assert (answer["total"], answer["total_is_exact"], answer["facets"]["office"]) == (1, True, {"Gao": 1})
    assert world.found(q=search_index.office_token("Gao")) == []  # an office's token is not a word of any case
    statements: list[tuple[str, Any]] = []
    with engine.connect() as conn:
        def listen(*args: Any) -> None:
            statements.append((args[2], args[3]))
        event.listen(conn, "before_cursor_execute", listen)
        assert search_query.count_up_to(conn, search_query.Filters(q="attaques", office="Gao"), SERVED_AT, 10) == 1
        event.remove(conn, "before_cursor_execute", listen)
        counted, values = next((sql, values) for sql, values in statements if "count(" in sql)
        # The count asks the text index alone: the office is intersected with the words there, no case looked up
        assert "case_summaries" not in counted
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # four cases: the planner would read them all
            plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {counted}", values))
            # With four cases it takes the office's entries alone; at scale, each word's too (docs/benchmarks.md)
            assert "Index Cond: ((office)::text = 'Gao'::text)" in plan and "ix_case_search_office_" in plan, plan
        else:
            plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {counted}", values))
            assert "case_search_fts VIRTUAL TABLE" in plan and "case_search " not in plan, plan


def _migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    schema = (engine.get_execution_options().get("schema_translate_map") or {}).get(None)
    config = migrations._config("services.casework", schema)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        step(config, revision)


def test_a_database_from_before_the_office_was_indexed_is_searched_within_an_office(
        engine: Engine, world: World) -> None:
    _migrate(engine, command.downgrade, "f3a8c1d6e2b7")  # the office out of the index again
    _migrate(engine, command.upgrade, "head")
    assert world.found(q="attaques", office="Gao") == [world.refs[3]]
    assert world.found(q="attaques", office="Mopti") == [world.refs[1]]
    # A database whose cases were registered before there was a search at all: every document made, offices in
    _migrate(engine, command.downgrade, "f3a8c1d6e2b7")
    with engine.begin() as conn:
        conn.execute(delete(case_search))
        if conn.dialect.name == "sqlite":
            conn.execute(text("DELETE FROM case_search_fts"))
    _migrate(engine, command.upgrade, "head")
    assert world.found(q="attaques", office="Gao") == [world.refs[3]]
    assert world.found(q="sevare", office="Mopti") == [world.refs[4]]


def test_an_amended_summary_is_searched_as_amended_with_its_reason(world: World) -> None:
    case = world.casework.read(lambda conn: repo.get_case(conn, world.refs[2]))
    assert case is not None
    old = "Soldiers killed three herders near the well."
    world.casework.execute(c.AmendIncident(case.case_id, "tl_mopti", "the sitrep misnamed the village of Gossi", {
        "summary": {"old": old, "new": "Soldiers shot three herders near the Gossi well."}}), T0 + timedelta(days=6))
    assert world.found(q="gossi shot") == [world.refs[2]]
    assert world.found(q="killings") == []  # the summary as it was is no longer searched
    assert world.found(q="misnamed") == [world.refs[2]]  # the amendment's reason is


def _noted(world: World, words: str) -> list[str]:
    """The same words noted in cases 1 to 3 (recorded first: case 4 awaits its closure); newest first."""
    for number in (1, 2, 3):
        case = world.casework.read(lambda conn, n=number: repo.get_case(conn, world.refs[n]))
        assert case is not None
        who = "garba" if INCIDENTS_OF[number][0] == "Gao" else "awa"
        world.casework.execute(c.RecordCase(case.case_id, who), T0 + timedelta(days=6))
        world.casework.execute(c.LogActivity(case.case_id, who, words), T0 + timedelta(days=6))
    return [world.refs[3], world.refs[2], world.refs[1]]  # incident n was reported on day n


def test_words_matching_more_than_the_bound_are_ranked_among_the_first_found(world: World) -> None:
    newest = _noted(world, "Convoy stopped at the checkpoint")  # the index's documents are written in this order
    world.client = served(world.casework, Bounds(window=2, exact_up_to=2))
    answer = world.get("/cases/search", "dir", q="convoy", page_size=5).get_json()
    assert (answer["total"], answer["total_is_exact"], answer["order"]) == (2, False, "best_match")
    assert answer["ranked_over"] == 2  # ranked among the first two found (the index's latest), and only those
    assert sorted(item["reference"] for item in answer["items"]) == sorted(newest[:2])
    assert answer["facets_over"] == 2  # the counts cover those two, and say so
    assert answer["facets"]["office"] == {"Mopti": 1, "Gao": 1}
    assert answer["facets"]["violation"] == {"killing": 1, "abduction": 1}
    beyond = world.get("/cases/search", "dir", q="convoy", page_size=2, page=2).get_json()
    assert beyond["items"] == [] and beyond["ranked_over"] == 2  # nothing past those found: narrow it, or export
    few = world.get("/cases/search", "dir", q="attaques").get_json()  # two matches: within the bound, all ranked
    assert (few["total"], few["total_is_exact"], few["ranked_over"], few["facets_over"]) == (2, True, None, 2)
    exported = list(csv.DictReader(io.StringIO(world.get("/cases/search.csv", "dir", q="convoy")
                                               .get_data(as_text=True))))
    assert [r["reference"] for r in exported] == newest  # the export is never bounded: every match, index order


def test_among_the_first_found_the_case_saying_the_words_most_often_comes_first(world: World) -> None:
    _noted(world, "Convoy stopped at the checkpoint")
    case = world.casework.read(lambda conn: repo.get_case(conn, world.refs[2]))
    assert case is not None
    world.casework.execute(c.LogActivity(case.case_id, "awa" if INCIDENTS_OF[2][0] != "Gao" else "garba",
                                         "Convoy convoy: a second convoy followed"), T0 + timedelta(days=7))
    world.client = served(world.casework, Bounds(window=3, exact_up_to=2))
    answer = world.get("/cases/search", "dir", q="convoys").get_json()
    assert (answer["total_is_exact"], answer["ranked_over"]) == (False, 3)
    assert answer["items"][0]["reference"] == world.refs[2]  # its note says it three times more


def test_the_export_goes_on_from_each_chunk_s_last_row_in_order(world: World) -> None:
    newest = _noted(world, "Convoy stopped at the checkpoint")
    bounds = Bounds(window=2, exact_up_to=2)
    with world.casework.engine.connect() as conn:
        for filters, expected in ((search_query.Filters(q="convoy"), newest), (search_query.Filters(), None)):
            order = search_query.export_order(conn, filters, SERVED_AT, bounds)
            whole = [r["reference"] for r in search_query.everything(conn, filters, SERVED_AT, order)]
            chunked = [r["reference"] for r in search_query.everything(conn, filters, SERVED_AT, order, chunk=1)]
            assert chunked == whole == (expected or whole) and len(set(whole)) == len(whole) == len(expected or "1234")


def test_facet_counts_over_part_of_the_matches_say_over_how_many(world: World) -> None:
    world.client = served(world.casework, Bounds(window=2, exact_up_to=10))
    answer = world.get("/cases/search", "dir").get_json()
    assert (answer["total"], answer["total_is_exact"], answer["facets_over"]) == (4, True, 2)
    assert sum(answer["facets"]["office"].values()) == 2


def test_the_search_page_says_what_its_counts_and_order_cover(world: World) -> None:
    _noted(world, "Convoy stopped at the checkpoint")
    world.casework.write(lambda conn: web_store.set_password(conn, "dir", passwords.hash_password("pw-search-1"),
                                                             SERVED_AT))
    page = Browser(served(world.casework, Bounds(window=2, exact_up_to=2)))
    assert page.sign_in("dir", "pw-search-1").status_code == 303
    page.get("/web/cases/search?q=convoy")
    text = " ".join(page.text().split())
    assert "More than 2 cases found: too many to rank them all. Shown: the first 2 found, best match first" in text
    assert "The counts beside each filter are among these first 2 found of more than 2." in text
    page.get("/web/cases/search?q=attaques")
    text = " ".join(page.text().split())
    assert "2 cases found, the best match first." in text
    assert "The counts beside each filter" not in text  # two matches, both counted: nothing to say
    page.get("/web/cases/search")
    text = " ".join(page.text().split())
    assert "More than 2 cases match, the nearest deadline first." in text
    assert "The counts beside each filter are among the 2 most urgent of more than 2." in text
