"""The overview's figures kept and shared for overview_max_age seconds (ADR 0025): the page says when they were
taken, a change shows once they are taken again (never before, never silently), each scope has its own, and at an
age of 0 every page is taken afresh."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from services.casework.adapters.tables import case_summaries
from services.casework.api.app import create_app
from services.casework.api.context import ApiContext
from services.casework.api.server import token_identity
from services.casework.api.snapshots import Snapshots
from services.casework.domain import commands as c
from services.clock import SimulatedClock
from services.embedded import EmbeddedRuntime
from tests.integration.api_world import World
from tests.integration.unrecorded_world import AS_OF, build
from tests.integration.web_world import Browser, browser

RECORDED = re.compile(r'<span class="value">([0-9,]+)</span><span class="what">recorded</span>')
TAKEN = "These figures were taken at 23:59:59 UTC and are taken again at most every 60 seconds"


class Monotonic:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def history(tmp_path: Path) -> EmbeddedRuntime:
    return build(tmp_path / "data")


def world(runtime: EmbeddedRuntime, max_age: float, monotonic: Monotonic) -> World:
    clock = SimulatedClock(AS_OF)
    ctx = ApiContext(runtime.casework, token_identity(runtime.casework), clock, overview_max_age=max_age,
                     snapshots=Snapshots(monotonic))
    app = create_app(ctx)
    app.config["TESTING"] = True
    return World(runtime.casework, app.test_client(), clock, {})


def recorded(reader: Browser) -> int:
    page = reader.get("/web/overview").get_data(as_text=True)
    found = RECORDED.findall(page)
    assert len(found) == 1, page[:2000]
    return int(found[0].replace(",", ""))


def record_one(runtime: EmbeddedRuntime) -> None:
    """A Team Leader of Mopti records one of its unrecorded incidents."""
    s = case_summaries.c

    def unrecorded(conn: Connection) -> str:
        return str(conn.scalar(select(s.case_id).where(s.office == "Mopti", s.recorded_at.is_(None)).limit(1)))

    runtime.casework.execute(c.RecordCase(runtime.casework.read(unrecorded), "tl_mopti"), AS_OF - timedelta(hours=1))


def test_kept_figures_say_when_they_were_taken_and_show_a_change_once_taken_again(history: EmbeddedRuntime) -> None:
    monotonic = Monotonic()
    director = browser(world(history, 60, monotonic), "dir")
    page = director.get("/web/overview").get_data(as_text=True)
    assert TAKEN in " ".join(page.split())
    assert recorded(director) == 4
    record_one(history)
    monotonic.seconds += 59
    assert recorded(director) == 4  # kept: the page says they are as at 23:59:59, which they are
    monotonic.seconds += 2
    assert recorded(director) == 4  # too old: served while the next are taken, in a thread of their own
    for _ in range(600):  # up to half a minute for the thread taking them (no duration is asserted)
        if recorded(director) == 5:
            break
        time.sleep(0.05)
    assert recorded(director) == 5


def test_each_scope_has_figures_of_its_own_and_an_age_of_0_takes_every_page_afresh(history: EmbeddedRuntime
                                                                                    ) -> None:
    kept = world(history, 60, Monotonic())
    assert recorded(browser(kept, "dir")) == 4
    gao = browser(kept, "tl_gao")
    assert recorded(gao) == 0 and "MOP-2026" not in gao.get("/web/overview").get_data(as_text=True)
    fresh = browser(world(history, 0, Monotonic()), "dir")
    assert "These figures were taken" not in fresh.get("/web/overview").get_data(as_text=True)
    record_one(history)
    assert recorded(fresh) == 5
    assert recorded(browser(kept, "dir")) == 4
