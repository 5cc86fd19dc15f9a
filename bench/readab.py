#!/usr/bin/env python3
"""Before and after for read pages: one server process of each commit (bench/readserve.py, as `hrcase api serve`
runs) on the same kept database, one client asking each page of each in turn, in blocks, so that a noisy host's
swings fall on both alike. The servers' CPU time per request comes from /proc (and PostgreSQL's, all its processes'
together), beside the wall time the client waited.

    .venv/bin/python -m bench.readab BEFORE AFTER --sqlite /work/bench-data/1m-sqlite --pages "HRO's cases"
    .venv/bin/python -m bench.readab BEFORE AFTER --postgres hrcase_bench_1m --pages alert search

Each commit is checked out as bench/ab.py does (a worktree under --work, this harness copied in). Block k asks
BEFORE then AFTER when k is even, AFTER then BEFORE when odd. Pages and users are those of bench/readdrive.py.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.ab import worktree
from bench.readdrive import DIRECTOR, TEAM_LEADER, Client, enrol, pages
from bench.readgen import NOW
from services.config import ApiSettings

TICK = os.sysconf("SC_CLK_TCK")


def _ticks(pid: str, children: bool = False) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15 if children else 13])  # utime stime (cutime cstime)


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process, with the children they reaped (parallel workers that have ended)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/comm").read_text().startswith("postgres"):
                total += _ticks(pid, children=True)
        except OSError:  # ended while we looked
            continue
    return total / TICK


# The overview's figures kept as the service keeps them (ADR 0025): at 0 each request would take them again, 7 s of
# CPU at a million cases on SQLite, and the page's own cost would be lost in it.
OVERVIEW_MAX_AGE = ApiSettings().overview_max_age


class Server:
    """One commit's server process on the database, and the CPU it has used."""

    def __init__(self, tree: Path, where: list[str]):
        self.child = subprocess.Popen([sys.executable, "-m", "bench.readserve", *where, "--threads", "4",
                                       "--overview-max-age", str(OVERVIEW_MAX_AGE)], cwd=tree,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.child.stdout.readline() if self.child.stdout else ""
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"the server of {tree} did not start (it said {line!r})")
        self.port = int(line.split()[1])

    def cpu(self) -> float:
        return _ticks(str(self.child.pid)) / TICK

    def stop(self) -> None:
        if self.child.stdin:
            self.child.stdin.close()
        self.child.wait(timeout=30)


def compare(servers: list[Server], engine: Engine, wanted: list[str], blocks: int, per_block: int) -> list[str]:
    """Each page asked of both servers by turns; a line per page: each side's CPU and wall a request."""
    with engine.connect() as conn:
        table = "casework.case_summaries" if engine.dialect.name == "postgresql" else "case_summaries"
        hro = conn.execute(text(f"select assignee from {table} where office = 'Mopti' and assignee is not null "
                                "group by assignee order by count(*) desc, assignee limit 1")).scalar()
    names = {"director": DIRECTOR, "team_leader": TEAM_LEADER, "hro": hro or "mopti.hro1"}
    tokens = enrol(engine, list(names.values()), NOW)
    lines = []
    for page in pages(1_000_000, names["hro"], engine.dialect.name):
        if wanted and not any(part.lower() in page.name.lower() for part in wanted):
            continue
        who = names[page.who]
        clients = [Client(s.port, tokens[who], who, 120) for s in servers]
        for client in clients:
            if page.web:
                client.sign_in()
            for _ in range(3):  # warm-up: caches, compiled templates, prepared statements
                client.call("GET", page.path, page.web)
        spent: list[dict[str, Any]] = [{"cpu": 0.0, "db": 0.0, "wall": 0.0, "n": 0} for _ in servers]
        for block in range(blocks):
            for side in (0, 1) if block % 2 == 0 else (1, 0):
                cpu, db, wall = servers[side].cpu(), postgres_cpu(), time.perf_counter()
                for _ in range(per_block):
                    clients[side].call("GET", page.path, page.web)
                took = spent[side]
                took["wall"] += time.perf_counter() - wall
                took["db"] += postgres_cpu() - db
                took["cpu"] += servers[side].cpu() - cpu
                took["n"] += per_block
        on_postgres = engine.dialect.name == "postgresql"  # SQLite's work is the server's own CPU
        cells = [f"{s['cpu'] / s['n'] * 1000:.1f} ms server CPU, "
                 + (f"{s['db'] / s['n'] * 1000:.1f} ms database CPU, " if on_postgres else "")
                 + f"{s['wall'] / s['n'] * 1000:.1f} ms wall" for s in spent]
        lines.append(f"{page.name}: before {cells[0]}; after {cells[1]} ({spent[0]['n']} requests each)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before")
    parser.add_argument("after")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", type=Path, help="a kept SQLite benchmark folder (bench/readpath.py --keep)")
    where.add_argument("--postgres", help="a kept PostgreSQL benchmark database on the local cluster")
    parser.add_argument("--url", default="postgresql+psycopg://hrcase:hrcase@127.0.0.1:55432/",
                        help="the cluster the --postgres database is on")
    parser.add_argument("--pages", nargs="*", default=[], help="parts of page names (bench/readdrive.py); all if none")
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--per-block", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/hrcase-ab"))
    args = parser.parse_args(argv)
    engine: Engine
    if args.sqlite:
        from services.messaging.sqlite import sqlite_engine

        database = str(args.sqlite / "data" / "casework.sqlite")
        engine, serve = sqlite_engine(database), ["--sqlite", database]
    else:
        from services.messaging.postgres import postgres_engine

        url = args.url + args.postgres
        engine = postgres_engine(url).execution_options(schema_translate_map={None: "casework"})
        serve = ["--url", url]
    args.work.mkdir(parents=True, exist_ok=True)
    servers: list[Server] = []
    try:
        for commit in (args.before, args.after):
            servers.append(Server(worktree(commit, args.work), serve))
        for line in compare(servers, engine, args.pages, args.blocks, args.per_block):
            print(line, flush=True)
    finally:
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
