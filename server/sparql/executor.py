"""A pool of worker processes that run SPARQL queries with a hard deadline.

pyoxigraph cannot cancel a query and SIGALRM fires only after it returns (STACK-NOTES), so the
only real limit is a process that can be killed: each worker opens the store read-only once,
answers ``QueryRequest``s one at a time, and is killed (SIGKILL) and replaced when its query
overruns. The server keeps answering with the other workers meanwhile.

Workers reopen the store when its version changes (``StoreBackend.version()``: a rebuild
swapped it), so a long-running server follows ``citykg build``. The SERVICE allowlist is enforced in the worker,
before evaluation, with the store's prefixes predeclared exactly as the query will see them.
"""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing
import os
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from server.sparql.request import (
    DEFAULT_MAX_ROWS,
    BadRequest,
    QueryRequest,
    QueryResponse,
    QueryTimeout,
    SparqlError,
    StoreFailure,
    Unavailable,
)
from server.store.interface import StoreBackend

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
DEFAULT_SERVICE_ALLOWLIST = ("https://query.wikidata.org/sparql",)
READY_LIMIT = 120.0  # seconds a new worker may take to import and open the store
RETRY_DELAY = 2.0  # seconds before replacing a worker that could not start


@dataclass(frozen=True)
class ExecutorConfig:
    store: Path | StoreBackend  # what ``server.store.backends.backend`` takes; crosses to the workers as is
    workers: int = 2
    timeout: float = DEFAULT_TIMEOUT  # per query, when the request names none
    max_timeout: float = DEFAULT_TIMEOUT  # the most a request may ask for (raise it here only)
    service_allowlist: tuple[str, ...] = DEFAULT_SERVICE_ALLOWLIST
    max_rows: int = DEFAULT_MAX_ROWS
    service_rewrites: tuple[tuple[str, str], ...] = ()  # SERVICE IRI -> IRI (server.sparql.federation)


def default_workers() -> int:
    """One per core, at least two: a query killed by its deadline must not stall the server."""
    return max(2, os.cpu_count() or 2)


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where available (fast restarts, no inherited threads or open stores), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["server.sparql.execute"])
        return context
    return multiprocessing.get_context("spawn")


# --- the worker process -------------------------------------------------------------------------


def _worker_main(conn: Connection, store_dir: Path | StoreBackend, allowlist: Sequence[str], rewrites: Sequence[tuple[str, str]] = ()) -> None:
    """Answer requests until told to stop (``None``) or killed. Opens the store eagerly, so a
    worker is announced ready only when it can answer at once."""
    import signal

    from server.sparql.execute import execute
    from server.store.backends import backend
    from server.store.interface import StoreError
    from server.store.prefixes import store_prefixes

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us

    source = backend(store_dir)
    store: Any = None
    version: str | None = None
    prefixes: dict[str, str] = {}

    def current_store() -> Any:
        nonlocal store, version, prefixes
        latest = source.version()
        if latest != version:
            store = None
            gc.collect()  # close the previous version before opening the next
            store = source.open()
            version, prefixes = latest, store_prefixes(store)
        return store

    try:
        current_store()
        conn.send(("ready", None))
    except StoreError as exc:
        conn.send(("failed", str(exc)))
        return
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            reply: tuple[str, Any] = ("ok", execute(current_store(), request, service_allowlist=allowlist, prefixes=prefixes, service_rewrites=dict(rewrites)))
        except SparqlError as exc:
            reply = ("error", exc)
        except StoreError as exc:
            reply = ("error", StoreFailure(str(exc)))
        except Exception as exc:  # noqa: BLE001 - a bug must reach the client as a 500, not kill the worker
            reply = ("error", StoreFailure(f"internal error: {type(exc).__name__}: {exc}"))
        conn.send(reply)


# --- the pool, in the server process ------------------------------------------------------------


@dataclass(eq=False)  # identity, so workers can live in a set
class _Worker:
    process: BaseProcess
    conn: Connection
    ready: bool = False  # until then its _await_ready thread owns the connection
    conn_closed: bool = False


class Executor:
    """Runs requests on idle workers; one worker per request at a time, from any thread."""

    def __init__(self, config: ExecutorConfig) -> None:
        if config.workers < 1:
            raise ValueError("an executor needs at least one worker")
        self.config = config
        self._context = _context()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._closed = False
        self._failure: str | None = None
        for _ in range(config.workers):
            self._start_worker()
        atexit.register(self.close)

    # public --------------------------------------------------------------------------------

    def run(self, request: QueryRequest, timeout: float | None = None) -> QueryResponse:
        """The response, or a ``SparqlError``; ``QueryTimeout`` after ``timeout`` seconds of
        evaluation, the worker killed. Waiting for a free worker is bounded by the same time."""
        limit = self.effective_timeout(timeout)
        worker = self._take(limit)
        replace = True
        try:
            worker.conn.send(request)
            if not worker.conn.poll(limit):
                raise QueryTimeout(
                    f"the query ran longer than {limit:g} s and was stopped; "
                    f"simplify it or add a LIMIT (this endpoint allows at most {self.config.max_timeout:g} s)"
                )
            status, payload = worker.conn.recv()
            replace = False
        except (EOFError, OSError) as exc:
            raise StoreFailure(f"the query worker died: {exc or type(exc).__name__}") from None
        finally:
            if replace:
                self._replace(worker)
            else:
                self._idle.put(worker)
        if status == "ok":
            return payload
        raise payload

    def effective_timeout(self, requested: float | None) -> float:
        """The request's own timeout if it lowers the default, within the configured ceiling."""
        if requested is None:
            return min(self.config.timeout, self.config.max_timeout)
        if not requested > 0:
            raise BadRequest(f"timeout must be a positive number of seconds, not {requested:g}")
        if requested > self.config.max_timeout:
            raise BadRequest(
                f"timeout {requested:g} s is above this endpoint's limit of {self.config.max_timeout:g} s "
                "(raise it with CITYKG_MAX_TIMEOUT / `citykg serve --max-timeout`)"
            )
        return requested

    def close(self) -> None:
        """Stop every worker: idle ones are asked to exit, the rest are killed."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            if not worker.ready:
                worker.process.kill()  # its _await_ready thread sees EOF and cleans up
                continue
            try:
                worker.conn.send(None)
            except OSError:
                pass
        for worker in workers:
            if worker.ready:
                self._discard(worker, grace=2.0)
        atexit.unregister(self.close)

    @property
    def closed(self) -> bool:
        return self._closed

    # internals -----------------------------------------------------------------------------

    def _take(self, limit: float) -> _Worker:
        if self._closed:
            raise Unavailable("the query executor is shut down")
        try:
            return self._idle.get(timeout=limit)
        except queue.Empty:
            reason = f" ({self._failure})" if self._failure else ""
            raise Unavailable(
                f"all {self.config.workers} query workers stayed busy for {limit:g} s; try again later{reason}"
            ) from None

    def _start_worker(self) -> None:
        """Start a worker; a background thread waits for it to be ready, then makes it idle."""
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main,
            args=(child, self.config.store, tuple(self.config.service_allowlist), tuple(self.config.service_rewrites)),
            name="citykg-query-worker",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            if self._closed:
                process.kill()
                return
            self._all.add(worker)
        threading.Thread(target=self._await_ready, args=(worker,), daemon=True).start()

    def _await_ready(self, worker: _Worker) -> None:
        try:
            ready = worker.conn.poll(READY_LIMIT)
            status, detail = worker.conn.recv() if ready else ("failed", "did not start in time")
        except (EOFError, OSError) as exc:
            status, detail = "failed", f"exited while starting ({exc or type(exc).__name__})"
        if status != "ready" and self._closed:
            self._discard(worker)
            return
        if status == "ready" and not self._closed:
            self._failure = None
            worker.ready = True
            self._idle.put(worker)
            return
        self._discard(worker)
        if status != "ready" and not self._closed:
            if self._failure is None:
                log.error("a query worker could not start: %s", detail)
            self._failure = f"a query worker could not start: {detail}"
            threading.Timer(RETRY_DELAY, self._start_worker).start()  # the store may come back

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` (its query may still be running) and start another in its place."""
        self._discard(worker)
        if not self._closed:
            self._start_worker()

    def _discard(self, worker: _Worker, grace: float = 0.0) -> None:
        """Forget ``worker``: give it ``grace`` seconds to exit, then kill it; close its pipe once."""
        with self._lock:
            self._all.discard(worker)
            closing, worker.conn_closed = not worker.conn_closed, True
        if grace:
            worker.process.join(grace)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        if closing:
            worker.conn.close()
