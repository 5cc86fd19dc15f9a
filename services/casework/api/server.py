"""Serving the API from a thread of the runtime's process (waitress), on its own port, loopback by default."""

from __future__ import annotations

import logging
import threading
from typing import Any

from waitress import create_server

from services.casework.adapters import repository as repo
from services.casework.adapters import token_store
from services.casework.adapters.search_query import Bounds
from services.casework.api.app import create_app
from services.casework.api.context import DEFAULT_OFFICES, ApiContext
from services.casework.auth.identity import TokenIdentity
from services.casework.bootstrap import Casework
from services.clock import Clock, SystemClock
from services.config import ApiSettings

log = logging.getLogger(__name__)


def token_identity(casework: Casework) -> TokenIdentity:
    return TokenIdentity(lambda token_id: casework.read(lambda conn: token_store.find(conn, token_id)),
                         lambda username: casework.read(lambda conn: repo.get_user(conn, username)))


def context_for(casework: Casework, clock: Clock | None = None, offices: tuple[str, ...] = DEFAULT_OFFICES,
                overview_max_age: float = 0.0, search: Bounds | None = None) -> ApiContext:
    return ApiContext(casework, token_identity(casework), clock or SystemClock(), offices, overview_max_age,
                      search=search or Bounds())


class ApiServer:
    """The WSGI app under waitress in a daemon thread; `port` is the one bound (pass 0 for any free port)."""

    def __init__(self, ctx: ApiContext, host: str, port: int, threads: int = 4, trusted_proxy: str | None = None):
        # Forwarded headers count only from the proxy named; from anyone else they are dropped, never believed.
        proxy = {"trusted_proxy": trusted_proxy, "trusted_proxy_count": 1,
                 "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"}} if trusted_proxy else {}
        self._server: Any = create_server(create_app(ctx), host=host, port=port, threads=threads,
                                          ident="hrcase", clear_untrusted_proxy_headers=True, **proxy)
        self.host = host
        self.port: int = self._server.effective_port
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hrcase-api", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ApiServer:
        self._thread.start()
        log.info("casework API on %s (docs at /docs, OpenAPI at /openapi.json)", self.url)
        return self

    def _run(self) -> None:
        try:
            self._server.run()
        except (OSError, ValueError):  # the loop meeting sockets that stop() closed from another thread
            if not self._stopping.is_set():
                raise

    def stop(self) -> None:
        self._stopping.set()
        self._server.close()
        self._server.task_dispatcher.shutdown()
        self._thread.join(timeout=5)


def start_api(casework: Casework, settings: ApiSettings, offices: tuple[str, ...] = DEFAULT_OFFICES,
              clock: Clock | None = None) -> ApiServer | None:
    """Serve the API beside a runtime; a port already taken is logged and leaves the pipeline running."""
    ctx = context_for(casework, clock, offices, settings.overview_max_age,
                      Bounds(settings.search_window, settings.search_exact_up_to))
    try:
        server = ApiServer(ctx, settings.bind, settings.port, trusted_proxy=settings.trusted_proxy)
    except OSError as exc:
        log.error("casework API not served: cannot bind %s:%s (%s)", settings.bind, settings.port, exc)
        return None
    return server.start()
