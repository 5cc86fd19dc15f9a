"""Behind a TLS proxy the API sees the client the proxy names, and only the proxy it trusts may name one: the
access log and the sign-in throttle count per real address, and a forged X-Forwarded-For changes nothing."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.casework.adapters import access_log, token_store
from services.casework.adapters import repository as repo
from services.casework.api.server import ApiServer, context_for
from services.casework.domain.roles import User
from services.clock import SimulatedClock
from services.config import Settings
from services.embedded import EmbeddedRuntime

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def runtime(tmp_path: Path) -> EmbeddedRuntime:
    return EmbeddedRuntime(Settings(data_dir=tmp_path / "data"))


def served(runtime: EmbeddedRuntime, trusted_proxy: str | None) -> Iterator[str]:
    token = runtime.casework.write(lambda conn: (repo.save_user(conn, User("awa", "hro", "Mopti")),
                                                 token_store.create(conn, "awa", NOW).value)[1])
    server = ApiServer(context_for(runtime.casework, SimulatedClock(NOW)), "127.0.0.1", 0,
                       trusted_proxy=trusted_proxy).start()
    try:
        headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "203.0.113.9"}
        with urllib.request.urlopen(urllib.request.Request(f"{server.url}/me", headers=headers), timeout=10) as r:
            assert r.status == 200
        yield server.url
    finally:
        server.stop()


def logged_address(runtime: EmbeddedRuntime) -> str | None:
    _total, page = runtime.casework.read(lambda conn: access_log.entries(conn, username="awa"))
    [entry] = [e for _seq, e in page if e.endpoint == "/me"]
    return entry.remote_addr


def test_the_client_the_trusted_proxy_names_is_the_address_the_access_log_keeps(runtime: EmbeddedRuntime) -> None:
    for _ in served(runtime, trusted_proxy="127.0.0.1"):
        assert logged_address(runtime) == "203.0.113.9"


def test_without_a_trusted_proxy_a_forwarded_address_is_not_believed(runtime: EmbeddedRuntime) -> None:
    for _ in served(runtime, trusted_proxy=None):
        assert logged_address(runtime) == "127.0.0.1"


def test_the_setting_comes_from_the_environment_and_the_settings_file(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRCASE_API_TRUSTED_PROXY", "10.0.0.7")
    assert Settings.from_env().api.trusted_proxy == "10.0.0.7"
    monkeypatch.delenv("HRCASE_API_TRUSTED_PROXY")
    config = tmp_path / "hrcase.toml"
    config.write_text('[api]\ntrusted_proxy = "*"\n')
    assert Settings().with_file(config).api.trusted_proxy == "*"
