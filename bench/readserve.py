"""One of the read-side benchmark's server processes: what `hrcase api serve` runs (the casework API and web pages
under waitress, nothing of the pipeline), on the benchmark's database with the clock fixed at the history's now.

It prints "port N", then serves until its stdin closes:

    python -m bench.readserve --sqlite DIR/data/casework.sqlite --threads 8
    python -m bench.readserve --url postgresql+psycopg://...     # the `casework` schema of that database
"""

from __future__ import annotations

import argparse
import logging
import sys

from bench.readgen import NOW


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sqlite", default=None, help="casework.sqlite")
    parser.add_argument("--url", default=None, help="PostgreSQL database whose `casework` schema is served")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--overview-max-age", type=float, default=0.0,
                        help="seconds the overview's figures are kept and shared (ADR 0025)")
    args = parser.parse_args(argv)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N": the load it is given
    from services.casework import bootstrap
    from services.casework.api.server import ApiServer, context_for
    from services.clock import SimulatedClock

    if args.sqlite:
        from services.messaging.sqlite import sqlite_engine

        engine = sqlite_engine(args.sqlite)
    else:
        from services.messaging.postgres import postgres_engine

        engine = postgres_engine(args.url).execution_options(schema_translate_map={None: "casework"})
    ctx = context_for(bootstrap.build(engine), clock=SimulatedClock(NOW), overview_max_age=args.overview_max_age)
    server = ApiServer(ctx, "127.0.0.1", 0, threads=args.threads).start()
    print(f"port {server.port}", flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin (or dies)
    server.stop()
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
