"""The Kafka runtime's PostgreSQL engines: planner costs for data held in memory, unless the URL says otherwise."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from services.config import Settings


def planner_cost(url: str) -> str:
    engine, _ = Settings(database_url=url).database("intake")
    try:
        with engine.connect() as conn:
            return str(conn.scalar(text("show random_page_cost")))
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_services_sessions_cost_a_random_page_as_a_page_in_memory(postgres_url: str) -> None:
    assert planner_cost(postgres_url) == "1.1"


@pytest.mark.postgres
def test_options_in_the_database_url_are_kept_instead(postgres_url: str) -> None:
    separator = "&" if "?" in postgres_url else "?"
    assert planner_cost(f"{postgres_url}{separator}options=-c%20random_page_cost%3D3") == "3"
