"""The app on waitress, a production WSGI server (not Flask's own): ``citykg serve`` runs this.

Waitress threads only parse HTTP and wait; queries run in the executor's worker processes, so
a few more threads than workers keep the server answering while a query runs to its deadline.
SIGTERM stops the server as Ctrl-C does, and either way the query workers are stopped.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from typing import Any

from flask import Flask

from server.sparql.executor import ExecutorConfig
from server.sparql.federation import WikidataProxy
from server.web.app import PROXY, close_app, create_app
from server.web.context import EXECUTOR


class Serving:
    """An app bound to a listening socket; ``run()`` serves until Ctrl-C or SIGTERM."""

    def __init__(self, config: Mapping[str, Any], host: str, port: int) -> None:
        """Build the app (``StoreError`` without a store) and bind (``OSError``: port in use...)."""
        from waitress.server import create_server

        self.app: Flask = create_app(config)
        try:
            self._server = create_server(self.app, host=host, port=port, threads=self.executor.workers + 4, ident="citykg")
        except BaseException:
            close_app(self.app)
            raise
        self.host, self.port = self._server.getsockname()[:2]  # type: ignore[union-attr]

    @property
    def executor(self) -> ExecutorConfig:
        return self.app.extensions[EXECUTOR].config

    @property
    def proxy(self) -> WikidataProxy | None:
        """The Wikidata forwarding proxy, when federation is on."""
        return self.app.extensions.get(PROXY)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def run(self) -> None:
        signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            self._server.run()
        except KeyboardInterrupt:
            pass
        finally:
            self._server.close()
            close_app(self.app)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
