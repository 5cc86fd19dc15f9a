"""Deactivation holds until an admin reactivates on purpose, and reactivation never revives old tokens or sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from services.casework.adapters import accounts, token_store
from services.cli import cli
from tests.integration.api_world import World
from tests.integration.web_world import browser, template, web_world


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-deactivation"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from web_world(made[0], made[1], tmp_path)


def test_after_deactivation_and_reactivation_the_old_token_and_cookie_stay_dead_and_new_ones_work(world: World) -> None:
    awa = browser(world, "awa")
    assert awa.get("/web/my-cases").status_code == 200
    assert world.call("GET", "/me", "awa").status_code == 200
    world.casework.write(lambda conn: accounts.deactivate(conn, "awa", world.clock.now()))
    assert world.call("GET", "/me", "awa").status_code == 401
    world.casework.write(lambda conn: accounts.reactivate(conn, "awa", world.clock.now()))

    old = world.call("GET", "/me", "awa")
    assert (old.status_code, old.get_json()["message"]) == (401, "the API token has been revoked")
    page = awa.get("/web/my-cases")
    assert page.status_code == 302 and "/web/login" in page.headers["Location"]
    new = world.casework.write(lambda conn: token_store.create(conn, "awa", world.clock.now())).value
    assert world.client.get("/me", headers={"Authorization": f"Bearer {new}"}).get_json()["username"] == "awa"
    assert browser(world, "awa").get("/web/my-cases").status_code == 200


def test_reactivating_a_user_deactivated_before_revocation_existed_still_revokes_what_they_held(world: World) -> None:
    from dataclasses import replace

    from services.casework.adapters import repository as repo

    awa = browser(world, "awa")

    def old_style(conn: object) -> None:  # only the flag, as `users deactivate` used to do
        user = repo.get_user(conn, "awa")  # type: ignore[arg-type]
        assert user is not None
        repo.save_user(conn, replace(user, active=False))  # type: ignore[arg-type]

    world.casework.write(old_style)
    world.casework.write(lambda conn: accounts.reactivate(conn, "awa", world.clock.now()))
    assert world.call("GET", "/me", "awa").status_code == 401
    assert awa.get("/web/my-cases").status_code == 302


def hrcase(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_users_add_refuses_a_deactivated_user_and_points_to_reactivate(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert hrcase("users", "add", *data, "awa", "--role", "hro", "--office", "Mopti").exit_code == 0
    old = hrcase("users", "token", "create", *data, "awa").output.splitlines()[0]
    deactivated = hrcase("users", "deactivate", *data, "awa")
    assert "deactivated; 1 API token(s) revoked, 0 web session(s) ended" in deactivated.output

    again = hrcase("users", "add", *data, "awa", "--role", "team_leader", "--office", "Mopti")
    assert again.exit_code != 0
    assert "user 'awa' is deactivated" in again.output and "hrcase users reactivate awa" in again.output
    assert "(inactive)" in hrcase("users", "list", *data).output
    assert "no active user 'awa'" in hrcase("users", "token", "create", *data, "awa").output

    back = hrcase("users", "reactivate", *data, "awa")
    assert back.exit_code == 0 and "reactivated; no API token or web session from before works" in back.output
    assert "is active" in hrcase("users", "reactivate", *data, "awa").output
    assert "unknown user 'nobody'" in hrcase("users", "reactivate", *data, "nobody").output
    listing = hrcase("users", "token", "list", *data, "awa").output
    assert f"{old.split('_')[1]}  awa" in listing and "revoked" in listing
    new = hrcase("users", "token", "create", *data, "awa")
    assert new.exit_code == 0 and new.output.startswith("hrc_")
    promoted = hrcase("users", "add", *data, "awa", "--role", "team_leader", "--office", "Mopti")
    assert promoted.exit_code == 0 and "awa: team_leader at Mopti" in promoted.output
