"""The app on waitress, a production WSGI server (not Flask's own): ``citykg serve`` runs this.

Waitress threads only parse HTTP and wait; queries run in the executor's worker processes. There
are enough threads for every worker, every queue place and a few more, so requests wait in
citykg's own bounded queues (which answer 503 with Retry-After when full), never unseen in
waitress's. SIGTERM stops the server as Ctrl-C does, and either way the query workers are stopped.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from typing import Any

from flask import Flask

from server.sparql.admission import Lanes
from server.sparql.executor import ExecutorConfig
from server.sparql.federation import WikidataProxy
from server.web.app import PROXY, close_app, create_app
from server.web.caching import RESPONSE_CACHE, SHELF
from server.web.context import EXECUTOR
from server.web.precompute import DEFAULT_TIMEOUT, Precomputer
from server.web.views.queries import load_current_context

SPARE_THREADS = 8  # beyond workers and queue places: quick answers (static files, 429s) meanwhile


class Serving:
    """An app bound to a listening socket; ``run()`` serves until Ctrl-C or SIGTERM."""

    def __init__(self, config: Mapping[str, Any], host: str, port: int) -> None:
        """Build the app (``StoreError`` without a store) and bind (``OSError``: port in use...)."""
        from waitress.server import create_server

        self.app: Flask = create_app(config)
        try:
            self._server = create_server(self.app, host=host, port=port, threads=self.threads(), ident="citykg")
        except BaseException:
            close_app(self.app)
            raise
        self.host, self.port = self._server.getsockname()[:2]  # type: ignore[union-attr]
        if not config.get("CITYKG_PUBLIC_URL"):  # else the URL a reverse proxy publishes
            self.app.config["CITYKG_PUBLIC_URL"] = self.url

    @property
    def executor(self) -> ExecutorConfig:
        return self.app.extensions[EXECUTOR].config

    @property
    def lanes(self) -> Lanes:
        return self.app.extensions[EXECUTOR]

    def threads(self) -> int:
        """Enough for every worker and queue place of both lanes, and spares."""
        total = SPARE_THREADS
        for config in (self.lanes.interactive.config, self.lanes.heavy_config):
            if config is not None:
                total += config.workers + (config.max_waiting or config.workers * 4)
        return total

    @property
    def proxy(self) -> WikidataProxy | None:
        """The Wikidata forwarding proxy, when federation is on."""
        return self.app.extensions.get(PROXY)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def close(self) -> None:
        """Stop without serving (e.g. the workers could not start)."""
        self._server.close()
        close_app(self.app)

    def precomputer(self) -> Precomputer | None:
        """The supervisor of this app's precomputed answers (``CITYKG_ANSWERS``), not started."""
        shelf = self.app.extensions.get(SHELF)
        if shelf is None:
            return None
        clock = self.app.extensions[RESPONSE_CACHE][0]
        timeout = float(self.app.config.get("CITYKG_PRECOMPUTE_TIMEOUT") or DEFAULT_TIMEOUT)

        def warm() -> None:
            with self.app.app_context():
                load_current_context()

        return Precomputer(shelf, clock.fresh, self.app.config, timeout, warm)

    def run(self) -> None:
        signal.signal(signal.SIGTERM, _raise_interrupt)
        precomputer = self.precomputer()
        try:
            if precomputer is not None:
                precomputer.start()
            self._server.run()
        except KeyboardInterrupt:
            pass
        finally:
            if precomputer is not None:
                precomputer.close()
            self._server.close()
            close_app(self.app)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
