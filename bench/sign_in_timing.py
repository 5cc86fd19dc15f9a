"""Sign-in timing: failed sign-ins for a known user, an unknown username and a user without a password, alike?

Runs the web app over a temporary SQLite file (no server, no network) and times 20 failed sign-ins of each kind,
interleaved, each from its own address so that the throttle never answers first. Prints the medians in
milliseconds. `.venv/bin/python -m bench.sign_in_timing [--rounds N]`
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.casework import bootstrap
from services.casework.adapters import repository as repo
from services.casework.adapters import web_store
from services.casework.api.app import create_app
from services.casework.api.server import context_for
from services.casework.auth import passwords
from services.casework.domain.roles import User
from services.clock import SimulatedClock
from services.messaging.sqlite import sqlite_engine
from services.vault import IdentityVault

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
KINDS = {"known user, wrong password": "awa", "unknown username": "nobody", "user without a password": "bakary"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        engine = sqlite_engine(Path(folder) / "casework.sqlite")
        bootstrap.migrate(engine)  # the real schema, through the migrations
        casework = bootstrap.build(engine, vault=IdentityVault.generate())

        def enrol(conn: object) -> None:
            for name in ("awa", "bakary"):
                repo.save_user(conn, User(name, "hro", "Mopti"))  # type: ignore[arg-type]
            web_store.set_password(conn, "awa", passwords.hash_password("the right password 1"), now)  # type: ignore[arg-type]

        casework.write(enrol)
        clock = SimulatedClock(now)
        client = create_app(context_for(casework, clock=clock)).test_client()
        times: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for n in range(rounds):
            for kind, username in KINDS.items():
                clock.advance(timedelta(hours=2))  # past every run: the throttle never answers first
                address = {"REMOTE_ADDR": f"10.0.{n}.{len(times[kind])}"}
                form = client.get("/web/login", base_url="https://localhost", environ_base=address)
                token = TOKEN.search(form.get_data(as_text=True))
                assert token
                started = time.perf_counter()
                response = client.post("/web/login", base_url="https://localhost", environ_base=address,
                                       headers={"Referer": "https://localhost/web/login"},
                                       data={"csrf_token": token.group(1), "username": username,
                                             "password": "a wrong password"})
                times[kind].append(time.perf_counter() - started)
                assert response.status_code == 401, response.status_code
        engine.dispose()
    for kind, values in times.items():
        print(f"{kind:28} median {statistics.median(values) * 1000:7.1f} ms  "
              f"(min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f}, n={len(values)})")


if __name__ == "__main__":
    main()
