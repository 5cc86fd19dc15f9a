#!/usr/bin/env python3
"""Readers and writers: the embedded pipeline's incidents/s while people read `GET /cases` and the web overview.

Each measurement runs in a fresh process on a fresh data directory: `existing` incidents are carried through the
pipeline first (what the readers read), then `incidents` more are submitted and timed to the end (registered, clock
started) while `readers` threads each ask, in a loop, `GET /cases?page_size=50` with a Director's API token and
`/web/overview` with the Director's web session, through the app in-process (waitress's threads run the same WSGI
app). The baseline in the same run is the pipeline with no readers. With `--before COMMIT`, that commit's code
(checked out in a temporary worktree) runs by turns with this tree's, under this harness.

    .venv/bin/python bench/readers.py --runs 3 --readers 4 --before 7818f8b
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]


PASSWORD = "bench-readers-password-1"
Answer = tuple[float, str, int, float]  # when it came (wall clock), the call, its status, its latency in seconds


def start_readers(casework: Any, now: datetime, token: str, readers: int, stop: threading.Event,
                  answers: list[Answer]) -> list[threading.Thread]:
    """`readers` threads, each signed in as the Director, asking for a page of cases and the overview in turn."""
    from services.casework.api.app import create_app
    from services.casework.api.server import context_for
    from services.clock import SimulatedClock

    app = create_app(context_for(casework, clock=SimulatedClock(now)))

    def read_loop() -> None:
        client = app.test_client()
        page = client.get("/web/login", base_url="https://localhost").get_data(as_text=True)
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed = client.post("/web/login", base_url="https://localhost",
                             headers={"Referer": "https://localhost/web/login"},
                             data={"csrf_token": csrf, "username": "dir", "password": PASSWORD})
        assert signed.status_code == 303, signed.status_code
        bearer = {"Authorization": f"Bearer {token}"}
        calls = (("GET /cases", lambda: client.get("/cases?page_size=50", headers=bearer)),
                 ("overview", lambda: client.get("/web/overview", base_url="https://localhost")))
        while not stop.is_set():
            for name, call in calls:
                started = time.perf_counter()
                status = call().status_code
                answers.append((time.time(), name, status, time.perf_counter() - started))

    threads = [threading.Thread(target=read_loop, daemon=True) for _ in range(readers)]
    for t in threads:
        t.start()
    return threads


def reader_process(params: dict[str, Any]) -> list[Answer]:
    """The readers in a process of their own on the same casework.sqlite (as `hrcase api` or a report beside `hrcase
    serve`): read until a line arrives on stdin, then print every answer."""
    from services.casework import bootstrap
    from services.messaging.sqlite import sqlite_engine

    casework = bootstrap.build(sqlite_engine(params["path"]))
    stop, answers = threading.Event(), []  # type: ignore[var-annotated]
    threads = start_readers(casework, datetime.fromisoformat(params["now"]), params["token"], int(params["readers"]),
                            stop, answers)
    print("reading", flush=True)
    sys.stdin.readline()
    stop.set()
    for t in threads:
        t.join(120)
    return answers


def child(params: dict[str, Any]) -> dict[str, Any]:
    """One measurement, in this process: the code is whatever `services` PYTHONPATH names."""
    import services
    from bench.common import percentile, recent_incidents
    from services.casework.adapters import repository as repo
    from services.casework.adapters import token_store, web_store
    from services.casework.auth import passwords
    from services.casework.domain.roles import User
    from services.config import Settings
    from services.embedded import EmbeddedRuntime
    from services.sealing import sitrep_outgoing
    from sitreps.files import read_sitrep

    existing, count, readers = int(params["existing"]), int(params["incidents"]), int(params["readers"])
    apart = bool(params.get("apart"))
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="hrcase-bench-readers-") as tmp:
        folder = Path(tmp)
        runtime = EmbeddedRuntime(Settings(data_dir=folder / "data"))

        def enrol(conn: Any) -> str:
            repo.save_user(conn, User("dir", "director", "Bamako"))
            web_store.set_password(conn, "dir", passwords.hash_password(PASSWORD), now)
            return token_store.create(conn, "dir", now - timedelta(days=1)).value

        token = runtime.casework.write(enrol)
        records = list(read_sitrep(recent_incidents(folder / "sitrep.jsonl", existing + count, now)))
        runtime.submit(map(sitrep_outgoing, records[:existing]))
        runtime.run_until_idle(now)
        stop, answers, threads, process = threading.Event(), [], [], None  # type: ignore[var-annotated]
        if readers and apart:
            process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--reader", json.dumps({
                    "path": str(folder / "data/casework.sqlite"), "now": now.isoformat(), "token": token,
                    "readers": readers})], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert process.stdout is not None and process.stdout.readline().strip() == "reading"
        elif readers:
            threads = start_readers(runtime.casework, now, token, readers, stop, answers)
        time.sleep(1.0 if readers else 0)  # the readers signed in and reading before the clock starts
        started, wall = time.perf_counter(), time.time()
        error = None
        try:
            runtime.submit(map(sitrep_outgoing, records[existing:]))
            runtime.run_until_idle(now)
        except Exception as exc:  # "database is locked": the run's figure is its failure
            error = f"{type(exc).__name__}: {str(exc)[:120]}"
        seconds, ended = time.perf_counter() - started, time.time()
        stop.set()
        for t in threads:
            t.join(120)
        if process is not None:
            out, _err = process.communicate("stop\n", timeout=300)
            answers = [tuple(a) for a in json.loads(out.strip().splitlines()[-1])]
        cases = runtime.casework.read(lambda conn: conn.exec_driver_sql("select count(*) from cases").scalar())
    during = [a for a in answers if wall <= a[0] <= ended]
    latencies = [a[3] for a in during]
    return {"code": str(Path(services.__file__).parents[1]), "existing": existing, "incidents": count,
            "readers": readers, "apart": apart, "seconds": seconds, "rate": count / seconds, "cases": cases,
            "error": error, "reads": len(during), "reads_per_s": len(during) / seconds,
            "errors_5xx": sum(1 for a in during if a[2] >= 500),
            "read_p95_ms": percentile(latencies, 95) * 1000 if latencies else None}


def spawn(tree: Path, params: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{HERE}"}  # the tree's services, this harness's bench
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(params)], env=env,
                         capture_output=True, text=True, timeout=1800, check=False)
    if out.returncode != 0:
        raise SystemExit(f"measurement failed ({params}):\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--existing", type=int, default=2000, help="cases in the database before the timed batch")
    parser.add_argument("--incidents", type=int, default=2000, help="incidents timed through the pipeline")
    parser.add_argument("--before", help="a commit to measure by turns with this tree")
    parser.add_argument("--out", type=Path, default=HERE / "bench/results/readers.json")
    parser.add_argument("--apart", action="store_true", help="the readers in a process of their own")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--reader", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    if args.reader:
        print(json.dumps(reader_process(json.loads(args.reader))))
        return
    sys.path.insert(0, str(HERE))  # bench.common, for the summary
    trees = {"after": HERE}
    work = None
    if args.before:
        work = Path(tempfile.mkdtemp(prefix="hrcase-readers-before-")) / "tree"
        subprocess.run(["git", "-C", str(HERE), "worktree", "add", "--detach", str(work), args.before], check=True,
                       capture_output=True)
        trees = {"before": work, "after": HERE}
    runs: list[dict[str, Any]] = []
    try:
        for run in range(args.runs):
            order = list(trees.items()) if run % 2 == 0 else list(reversed(trees.items()))
            for readers in (0, args.readers):
                for label, tree in order:
                    params = {"existing": args.existing, "incidents": args.incidents, "readers": readers,
                              "apart": args.apart}
                    result = {"code_of": label, "run": run + 1, **spawn(tree, params)}
                    print(json.dumps(result), flush=True)
                    runs.append(result)
    finally:
        if work is not None:
            subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(work)], check=False)
    from bench.common import machine

    args.out.write_text(json.dumps({"when": datetime.now(UTC).isoformat(timespec="seconds"), "argv": sys.argv[1:],
                                    "machine": machine(), "runs": runs}, indent=1) + "\n")
    for label in trees:
        for readers in (0, args.readers):
            mine = [r for r in runs if r["code_of"] == label and r["readers"] == readers]
            rates = [round(r["rate"]) for r in mine]
            print(f"{label}, {readers} readers: median {statistics.median(rates)}/s, runs {rates}, "
                  f"errors {[r['error'] for r in mine if r['error']]}, reads/s "
                  f"{[round(r['reads_per_s'], 1) for r in mine]}, 5xx {[r['errors_5xx'] for r in mine]}")


if __name__ == "__main__":
    main()
