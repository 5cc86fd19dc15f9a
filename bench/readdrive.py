"""The read-side benchmark's driver: the real casework web/API server (waitress) on a generated database, its clock
fixed at the history's now, asked for each list page, a search, the overview and the alert worklist by 1 client
and by 20 concurrent clients, each beside its baseline: the bare indexed SQL query behind the page, timed on the
same database in the same run.

The server is either a thread of this process (`processes=0`, as `hrcase serve` serves), or `processes` processes
as `hrcase api serve` runs them (bench/readserve.py), the clients spread over them round-robin as a load balancer
would: client i talks to process i mod P, keeping its connection (and its sign-in) to it."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from bench.common import REPO, percentile
from bench.readgen import PASSWORD

DIRECTOR, TEAM_LEADER = "director", "mopti.tl"


@dataclass(frozen=True)
class Page:
    """One page or call: who asks, the path, and the SQL a read model must at least run to answer it."""

    name: str
    who: str  # director | team_leader | hro
    path: str
    web: bool
    baseline: tuple[str, ...]  # statements (SQL) whose summed time is the baseline; () when there is none yet


def pages(cases: int, hro: str, dialect: str = "sqlite") -> list[Page]:
    deep = max(1, cases // 2 // 50)  # the middle of the division's list, 50 a page
    order = "order by urgency_at, reference"
    count_all = "select count(*) from case_summaries"
    worklist = ("select * from alerts where office = 'Mopti' and resolved_at is null and acknowledged_at is null "
                "order by rank desc, due_at limit 50")
    return [
        # The floor: the cheapest call of the API (a token checked, the user and their preferences read). What it
        # takes with 20 clients is what the server's stack alone costs at that load, whatever the page.
        Page("floor: API GET /me", "director", "/me", False,
             ("select * from api_tokens order by token_id limit 1",
              f"select * from users where username = '{DIRECTOR}'")),
        Page("API GET /cases, page 1", "director", "/cases?page=1&page_size=50", False,
             (f"select * from case_summaries {order} limit 50", count_all)),
        Page("API GET /cases, middle page", "director", f"/cases?page={deep}&page_size=50", False,
             (f"select s.* from (select urgency_at, reference from case_summaries {order} limit 50 "
              f"offset {(deep - 1) * 50}) as page join case_summaries s on s.reference = page.reference "
              "order by page.urgency_at, page.reference", count_all)),
        Page("web case list (Director)", "director", "/web/cases", True,
             (f"select * from case_summaries {order} limit 25", count_all)),
        Page("Team Leader's queue (web)", "team_leader", "/web/cases", True,
             (f"select * from case_summaries where office = 'Mopti' {order} limit 25",
              "select count(*) from case_summaries where office = 'Mopti'")),
        Page("HRO's cases (web)", "hro", "/web/my-cases", True,
             (f"select * from case_summaries where assignee = '{hro}' {order} limit 25",
              f"select count(*) from case_summaries where assignee = '{hro}'")),
        Page("closure queue (web)", "director", "/web/closures", True,
             ("select * from case_summaries where stage = 'closure_requested' order by closure_requested_at "
              "limit 50", "select count(*) from case_summaries where stage = 'closure_requested'")),
        Page("API GET /closures/pending", "director", "/closures/pending?page=1&page_size=50", False,
             ("select * from case_summaries where stage = 'closure_requested' order by closure_requested_at "
              "limit 50", "select count(*) from case_summaries where stage = 'closure_requested'")),
        Page("overview, all offices (web)", "director", "/web/overview", True,
             ("select office, stage, count(*) from case_summaries group by office, stage",
              "select office, count(*) from case_summaries where next_due_at <= :now group by office")),
        Page("alert worklist (web, Team Leader)", "team_leader", "/web/alerts", True, (worklist,)),
        Page("API GET /alerts/worklist", "team_leader", "/alerts/worklist", False, (worklist,)),
        Page("search 'tombouctou' (API)", "director", "/cases/search?q=tombouctou", False, _search(dialect)),
        *searches(cases, dialect),
    ]


def searches(cases: int, dialect: str) -> list[Page]:
    """Searches of every size (ADR 0026): a word of one case, of a sixth of them (one of the generator's PHRASES),
    of every case, a common word within an office, filters without words, and the web page."""
    rare = str(max(1, cases // 3))  # "Case N." closes each summary: the number N is in one case only
    common = "victims"  # "The victims were taken from their homes."
    return [
        Page("search, a word of one case (API)", "director", f"/cases/search?q={rare}", False,
             _search(dialect, rare)),
        Page("search, a word of 1 case in 6 (API)", "director", f"/cases/search?q={common}", False,
             _search(dialect, common)),
        Page("search, a word of every case (API)", "director", "/cases/search?q=alleged", False,
             _search(dialect, "alleged")),
        Page("search, 1 case in 6 and an office (API)", "director", f"/cases/search?q={common}&office=Gao", False,
             _search(dialect, common, "Gao")),
        Page("search, no words, a stage (API)", "director", "/cases/search?stage=investigation", False,
             ("select * from case_summaries where stage = 'investigation' order by urgency_at, reference limit 50",
              "select count(*) from case_summaries where stage = 'investigation'")),
        Page("search page, 1 case in 6 (web)", "director", f"/web/cases/search?q={common}", True,
             _search(dialect, common)),
    ]


def _search(dialect: str, word: str = "tombouctou", office: str | None = None) -> tuple[str, ...]:
    """The bare full-text query behind a search for one word (within an office): the index's matches, the office
    intersected with them in the index as the service asks, ranked, a page of them, counted."""
    if dialect == "postgresql":
        within = f"office = '{office}' and " if office else ""
        match = (f"from case_search where ({within}french @@ plainto_tsquery('french', "
                 f"public.hrcase_unaccent('{word}')) or {within}english @@ plainto_tsquery('english', "
                 f"public.hrcase_unaccent('{word}')))")
        return (f"select case_id {match} limit 50", f"select count(*) {match}")
    from services.casework.adapters.search_index import office_token
    from services.casework.domain.search import stems  # the index holds the words' stems, as the service asks

    either = "stems : (" + " OR ".join(f'"{stem}"' for stem in sorted(stems(word))) + ")"
    if office:
        either = f'office : "{office_token(office)}" AND {either}'
    match = f"from case_search_fts where case_search_fts match '{either}'"
    return (f"select case_search_fts.rowid {match} order by rank limit 50", f"select count(*) {match}")


class Client:
    """One person's keep-alive connection to the server: a bearer token for the API, a session cookie for the web."""

    def __init__(self, port: int, token: str, username: str, timeout: float):
        self.port, self.token, self.username, self.timeout = port, token, username, timeout
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def call(self, method: str, path: str, web: bool, body: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, str]:
        sent = dict(headers or {})
        if web and self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if not web:
            sent["Authorization"] = f"Bearer {self.token}"
        try:
            self.conn.request(method, path, body=body, headers=sent)
            answer = self.conn.getresponse()
            data = answer.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            raise
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return answer.status, data

    def sign_in(self) -> None:
        _status, page = self.call("GET", "/web/login", True)
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        form = urllib.parse.urlencode({"csrf_token": csrf, "username": self.username, "password": PASSWORD})
        status, _ = self.call("POST", "/web/login", True, form, {
            "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/web/login"})
        if status != 303:
            raise RuntimeError(f"sign-in of {self.username} answered {status}")


def enrol(engine: Engine, usernames: list[str], now: datetime) -> dict[str, str]:
    """A web password and an API token for each (as `hrcase users password` and `hrcase users token` give)."""
    from services.casework.adapters import token_store, web_store
    from services.casework.auth import passwords

    hashed = passwords.hash_password(PASSWORD)
    tokens = {}
    with engine.begin() as conn:
        for name in usernames:
            web_store.set_password(conn, name, hashed, now)
            tokens[name] = token_store.create(conn, name, now - timedelta(days=1)).value
    return tokens


def measure(make: Callable[[], Client], page: Page, clients: int, requests: int, budget: float,
            cpu: Callable[[], float] | None = None) -> dict[str, Any]:
    """`clients` threads, each its own signed-in client, asking `requests` times (or until `budget` seconds); with
    `cpu` (the servers' CPU seconds so far), the servers' CPU a request answered, the sign-ins before it left out."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    lock = threading.Lock()
    ready = [make() for _ in range(clients)]
    if page.web:
        for client in ready:
            client.sign_in()
    deadline = time.perf_counter() + budget

    def loop(client: Client) -> None:
        for _ in range(requests):
            started = time.perf_counter()
            try:
                status, _ = client.call("GET", page.path, page.web)
            except Exception as exc:  # a timeout or a dropped connection is an error of the page, recorded
                with lock:
                    errors.append(f"{type(exc).__name__}")
                continue
            with lock:
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
            if time.perf_counter() > deadline:
                return

    threads = [threading.Thread(target=loop, args=(c,)) for c in ready]
    cpu_before = cpu() if cpu else 0.0  # after the sign-ins: a password's hash is no part of a page's cost
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    used = cpu() - cpu_before if cpu else None
    bad = sum(n for s, n in statuses.items() if s >= 400)
    return {"clients": clients, "samples": len(latencies), "wall_s": wall,
            "p50_ms": percentile(latencies, 50) * 1000 if latencies else None,
            "p95_ms": percentile(latencies, 95) * 1000 if latencies else None,
            "max_ms": max(latencies) * 1000 if latencies else None,
            "errors": bad + len(errors), "statuses": {str(k): v for k, v in statuses.items()},
            "failures": sorted(set(errors)),
            **({"server_cpu_ms": used / len(latencies) * 1000} if used is not None and latencies else {})}


def baseline(conn: Connection, statements: tuple[str, ...], now: datetime, runs: int) -> dict[str, Any] | None:
    """The page's bare SQL, `runs` times in a read transaction: each run's time is the sum of its statements'."""
    if not statements:
        return None
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        for sql in statements:
            conn.execute(text(sql), {"now": now}).fetchall()
        times.append(time.perf_counter() - started)
    times = times[1:]  # the first warms the cache, as the pages' warm-up request does
    return {"p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000, "runs": runs}


def settle(server: Any, limit: float) -> None:
    """Wait until the server has finished every request given up on (timed out): the next page is measured alone."""
    deadline = time.perf_counter() + limit
    if isinstance(server, Processes):  # each answers /health only once its queue ahead of it is served
        for port in server.ports:
            while time.perf_counter() < deadline:
                try:
                    Client(port, "", "", limit).call("GET", "/health", True)
                    break
                except (OSError, http.client.HTTPException):
                    time.sleep(0.2)
        return
    dispatcher = server._server.task_dispatcher  # waitress's: its queue and its busy threads
    while (dispatcher.queue or dispatcher.active_count) and time.perf_counter() < deadline:
        time.sleep(0.2)


class Processes:
    """`count` server processes (bench/readserve.py, what `hrcase api serve` runs) on the engine's database."""

    def __init__(self, engine: Engine, count: int, threads: int, overview_max_age: float = 0.0):
        where = (["--sqlite", str(engine.url.database)] if engine.dialect.name == "sqlite"
                 else ["--url", engine.url.render_as_string(hide_password=False)])
        command = [sys.executable, "-m", "bench.readserve", *where, "--threads", str(threads),
                   "--overview-max-age", str(overview_max_age)]
        self.children = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
                         for _ in range(count)]
        self.ports = []
        for child in self.children:
            line = child.stdout.readline() if child.stdout else ""
            if not line.startswith("port "):
                self.stop()
                raise RuntimeError(f"a server process did not start (it said {line!r})")
            self.ports.append(int(line.split()[1]))

    def cpu_seconds(self) -> float:
        """The server processes' CPU time so far (user and system), from /proc: load on the machine aside."""
        ticks = 0
        for child in self.children:
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        for child in self.children:
            if child.stdin:
                child.stdin.close()
        for child in self.children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()


def drive(engine: Engine, cases: int, now: datetime, *, concurrency: int = 20, requests: int = 20,
          concurrent_requests: int = 5, budget: float = 60.0, timeout: float = 120.0, threads: int = 8,
          only: list[str] | None = None, log: Callable[[str], None] = print, overview_max_age: float = 0.0,
          processes: int = 0) -> list[dict[str, Any]]:
    """Every page at 1 client then at `concurrency` clients, each beside its baseline; the server's clock at `now`;
    the overview's figures taken at most every `overview_max_age` seconds (0: at every request, ADR 0025); the server
    a thread of this process, or `processes` processes with the clients spread round-robin."""
    from services.casework import bootstrap
    from services.casework.adapters import repository as repo
    from services.casework.api.server import ApiServer, context_for
    from services.casework.domain.roles import User
    from services.clock import SimulatedClock
    from services.messaging.sqlite import reading

    with reading(engine) as conn:
        hro = conn.execute(text("select assignee from case_summaries where office = 'Mopti' and assignee is not null "
                                "group by assignee order by count(*) desc, assignee limit 1")).scalar()
    names = {"director": DIRECTOR, "team_leader": TEAM_LEADER, "hro": hro or "mopti.hro1"}
    users: list[User] = []
    with engine.connect() as conn:
        users = repo.list_users(conn)
    missing = set(names.values()) - {u.username for u in users}
    if missing:
        raise RuntimeError(f"the database has no user {sorted(missing)}: generate it with bench.readgen")
    tokens = enrol(engine, list(names.values()), now)
    server: Any
    if processes:
        server = Processes(engine, processes, threads, overview_max_age)
        ports = server.ports
    else:
        ctx = context_for(bootstrap.build(engine), clock=SimulatedClock(now), overview_max_age=overview_max_age)
        server = ApiServer(ctx, "127.0.0.1", 0, threads=threads).start()
        ports = [server.port]
    results: list[dict[str, Any]] = []
    try:
        for page in pages(cases, names["hro"], engine.dialect.name):
            if only and not any(part.lower() in page.name.lower() for part in only):
                continue
            who = names[page.who]

            handed = iter(range(1_000_000))

            def make(who: str = who, handed: Any = handed) -> Client:  # the next process in turn (round-robin)
                return Client(ports[next(handed) % len(ports)], tokens[who], who, timeout)

            probe = make()
            if page.web:
                probe.sign_in()
            status, _ = probe.call("GET", page.path, page.web)  # the warm-up, and whether the page is there at all
            if status == 404 and "search" in page.path:
                log(f"  {page.name}: 404, no search endpoint in this code: skipped")
                results.append({"page": page.name, "path": page.path, "skipped": "404: no such endpoint"})
                continue
            with reading(engine) as conn:  # first, on an idle server: nothing else holds the interpreter
                base = baseline(conn, page.baseline, now, max(5, requests // 2))
            # the servers' CPU time per request answered, one client at a time (when they are processes of their own)
            one = measure(make, page, 1, requests, budget, server.cpu_seconds if processes else None)
            many = measure(make, page, concurrency, concurrent_requests, budget) if concurrency > 1 else None
            settle(server, timeout * concurrency)
            row = {"page": page.name, "path": page.path, "who": who, "one": one, "many": many, "baseline": base}
            results.append(row)
            log(f"  {page.name}: 1 client p50 {one['p50_ms'] or 0:,.0f} ms p95 {one['p95_ms'] or 0:,.0f} ms; "
                f"{concurrency} clients p95 {(many or {}).get('p95_ms') or 0:,.0f} ms; "
                f"errors {one['errors'] + (many or {}).get('errors', 0)};"
                f" baseline p50 {base['p50_ms'] if base else float('nan'):,.1f} ms")
    finally:
        server.stop()
    return results
