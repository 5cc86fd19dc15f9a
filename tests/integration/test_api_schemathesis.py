"""Schemathesis against the generated OpenAPI: no server error, no response that breaks its own schema; and its
coverage phase (missing bodies, undeclared methods, values just outside the schema) finds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.engine import events, from_schema

from services.casework.api.app import openapi
from tests.integration.api_world import REFS, World, build_template, open_world

CALLERS = ("dir_mopti", "tl_mopti", "awa", "aud_gao", None)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
# The document is generated from code (no I/O), so the operations are known when tests are collected.
OPERATIONS = sorted((m.upper(), p) for p, ops in openapi()["paths"].items() for m in ops if m != "parameters")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path = tmp_path_factory.mktemp("template") / "casework.sqlite"
    tokens = build_template(path)
    yield from open_world(path, tokens, tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def api_schema(world: World) -> Any:
    return schemathesis.openapi.from_wsgi("/openapi.json", world.client.application)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_generated_request_makes_a_server_error_or_a_response_outside_its_schema(
        api_schema: Any, world: World, method: str, path: str) -> None:
    operation = api_schema[path][method]

    # Random path parameters only ever find nothing: half the time, aim at a real case or alert instead.
    @given(case=operation.as_strategy(), real=st.sampled_from([None, *REFS.values()]))
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: Any, real: str | None) -> None:
        if real and case.path_parameters:
            case.path_parameters = {name: real if name == "ref" else "alert-R" for name in case.path_parameters}
        for caller in CALLERS:  # each generated request, as people of several roles and offices, and as nobody
            headers = {"Authorization": f"Bearer {world.tokens[caller]}"} if caller else {}
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

    check()


def test_the_generated_requests_also_got_past_validation_and_authorisation(world: World) -> None:
    """Run after the above: the fuzzing did change cases, not only collect refusals."""
    from services.casework.adapters import access_log

    total, entries = world.casework.read(lambda conn: access_log.entries(conn, limit=1_000_000))
    statuses = {(e.action, e.status // 100) for _, e in entries}
    assert total > 500 and {("change", 2), ("read", 2), ("change", 4), ("read", 4)} <= statuses
    assert not any(e.status >= 500 for _, e in entries)


COVERAGE_CHECKS = ("not_a_server_error", "negative_data_rejection", "unsupported_method", "missing_required_header",
                   "allow_header_conformance", "positive_data_acceptance")


def test_the_coverage_phase_finds_no_schema_violating_request_accepted_and_no_405_without_allow(world: World) -> None:
    """What a review ran: every operation without its body, with each undeclared method, with values at and just
    past the schema's bounds, as a Team Leader of the office whose cases the world holds."""
    config = schemathesis.Config.from_dict({
        "headers": {"Authorization": f"Bearer {world.tokens['tl_mopti']}"},
        "phases": {"examples": {"enabled": False}, "fuzzing": {"enabled": False},
                   "stateful": {"enabled": False}, "coverage": {"enabled": True}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in COVERAGE_CHECKS}},
    })
    schema = schemathesis.openapi.from_wsgi("/openapi.json", world.client.application, config=config)
    ran: dict[str, int] = {}
    failed: set[tuple[str, str, str]] = set()
    for event in from_schema(schema).execute():
        assert not isinstance(event, events.NonFatalError | events.FatalError), event
        if isinstance(event, events.ScenarioFinished):
            for check in (c for checks in event.recorder.checks.values() for c in checks):
                ran[check.name] = ran.get(check.name, 0) + 1
                if check.status.name == "FAILURE":
                    title = check.failure_info.failure.title if check.failure_info else ""
                    failed.add((check.name, event.recorder.label, title))
    assert failed == set()
    assert set(ran) == set(COVERAGE_CHECKS) and min(ran.values()) > 100
