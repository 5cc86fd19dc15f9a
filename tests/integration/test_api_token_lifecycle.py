"""Tokens from `hrcase users token ...` against the API: shown once, expiring, revocable; `hrcase api spec`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from services.casework.adapters import tables
from services.casework.api.app import create_app
from services.casework.api.server import context_for
from services.cli import cli
from services.cli.common import open_runtime
from services.clock import SimulatedClock


def hrcase(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def call_me(data: Path, token: str, at: datetime) -> tuple[int, dict]:
    runtime = open_runtime(str(data))
    client = create_app(context_for(runtime.casework, clock=SimulatedClock(at))).test_client()
    response = client.get("/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.get_json()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    hrcase("users", "add", "--data-dir", str(folder), "awa", "--role", "hro", "--office", "Mopti")
    return folder


def test_a_token_is_printed_once_and_only_its_hash_is_stored(data: Path) -> None:
    token = hrcase("users", "token", "create", "--data-dir", str(data), "awa").splitlines()[0]
    assert token.startswith("hrc_")
    status, me = call_me(data, token, datetime.now(UTC))
    assert (status, me["username"], me["role"], me["office"]) == (200, "awa", "hro", "Mopti")
    with open_runtime(str(data)).casework.engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(tables.api_tokens.select())]
    assert token.split("_", 2)[2] not in repr(stored)
    listing = hrcase("users", "token", "list", "--data-dir", str(data))
    assert "awa" in listing and "active" in listing and token.split("_", 2)[2] not in listing


def test_an_expired_token_answers_401_with_its_reason(data: Path) -> None:
    token = hrcase("users", "token", "create", "--data-dir", str(data), "awa", "--expires-in", "1").splitlines()[0]
    assert call_me(data, token, datetime.now(UTC) + timedelta(hours=23))[0] == 200
    status, error = call_me(data, token, datetime.now(UTC) + timedelta(days=1, minutes=1))
    assert (status, error["code"], error["message"]) == (401, "unauthenticated", "the API token has expired")


def test_a_revoked_token_answers_401_at_once_and_others_keep_working(data: Path) -> None:
    first = hrcase("users", "token", "create", "--data-dir", str(data), "awa").splitlines()[0]
    second = hrcase("users", "token", "create", "--data-dir", str(data), "awa").splitlines()[0]
    hrcase("users", "token", "revoke", "--data-dir", str(data), first.split("_")[1])
    status, error = call_me(data, first, datetime.now(UTC))
    assert (status, error["code"], error["message"]) == (401, "unauthenticated", "the API token has been revoked")
    assert call_me(data, second, datetime.now(UTC))[0] == 200
    assert "revoked" in hrcase("users", "token", "list", "--data-dir", str(data), "awa")


def test_deactivating_a_user_stops_their_tokens(data: Path) -> None:
    token = hrcase("users", "token", "create", "--data-dir", str(data), "awa").splitlines()[0]
    hrcase("users", "deactivate", "--data-dir", str(data), "awa")
    assert call_me(data, token, datetime.now(UTC))[0] == 401


def test_api_spec_writes_the_openapi_document_generated_from_the_schemas(tmp_path: Path) -> None:
    hrcase("api", "spec", str(tmp_path / "openapi.json"))
    spec = json.loads((tmp_path / "openapi.json").read_text())
    assert spec["openapi"].startswith("3.") and "/cases/{ref}/closure/approve" in spec["paths"]
    assert spec["components"]["schemas"]["CaseDetail"]["properties"]["identities"]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
