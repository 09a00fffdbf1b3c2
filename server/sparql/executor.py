"""A pool of worker processes that run SPARQL queries with a hard deadline and bounded resources.

pyoxigraph cannot cancel a query and SIGALRM fires only after it returns (STACK-NOTES), so the
only real limit is a process that can be killed: each worker opens the store read-only once,
answers ``QueryRequest``s one at a time, and is killed (SIGKILL) and replaced when its query
overruns. The server keeps answering with the other workers meanwhile.

Each worker also runs under:

- a **memory limit** (``RLIMIT_DATA``): a query that needs more makes the engine abort; the
  worker's last words (its stderr, kept in a file) name the cause, and the client gets a 422
  naming the limit, not a dead connection;
- the **network guard** (``server.sparql.netguard``): it can reach the federation proxy only;
- a **fixed base IRI** (the dataset's), the nesting limit and the response size cap
  (``server.sparql.execute``).

A worker killed from outside (SIGKILL: the kernel's out-of-memory killer, an operator) fails
only its own attempt: the request is retried once on a fresh worker. A worker that cannot
start is retried every ``RETRY_DELAY`` seconds and requests meanwhile get a 503 saying why.
At most ``max_waiting`` requests wait for a worker; the next one gets a 503 with Retry-After.

Workers reopen the store when its version changes (``StoreBackend.version()``: a rebuild
swapped it), so a long-running server follows ``citykg build``; a query already running keeps
the version it opened. The SERVICE allowlist is enforced in the worker, before evaluation, with
the store's prefixes predeclared exactly as the query will see them.
"""

from __future__ import annotations

import atexit
import gc
import logging
import math
import multiprocessing
import os
import queue
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from multiprocessing import reduction
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from server.sparql.limits import (
    DEFAULT_MAX_NESTING,
    DEFAULT_MAX_RESPONSE,
    DEFAULT_MIN_TIMEOUT,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKER_MEMORY,
    format_bytes,
)
from server.sparql.request import (
    DEFAULT_MAX_ROWS,
    BadRequest,
    MemoryLimitExceeded,
    QueryRequest,
    QueryResponse,
    QueryTimeout,
    QueryTooComplex,
    SparqlError,
    StoreFailure,
    Unavailable,
)
from server.store.interface import StoreBackend

log = logging.getLogger(__name__)

DEFAULT_SERVICE_ALLOWLIST = ("https://query.wikidata.org/sparql",)
READY_LIMIT = 120.0  # seconds a new worker may take to import and open the store
RETRY_DELAY = 2.0  # seconds before replacing a worker that could not start
IDLE_RECHECK = 2.0  # seconds between an idle worker's looks at the store version
_STDERR_TAIL = 4096  # bytes of a dead worker's stderr read to tell why it died


@dataclass(frozen=True)
class ExecutorConfig:
    store: Path | StoreBackend  # what ``server.store.backends.backend`` takes; crosses to the workers as is
    workers: int = 2
    timeout: float = DEFAULT_TIMEOUT  # per query, when the request names none
    max_timeout: float = DEFAULT_TIMEOUT  # the most a request may ask for (raise it here only)
    min_timeout: float = DEFAULT_MIN_TIMEOUT  # the least a request may ask for
    service_allowlist: tuple[str, ...] = DEFAULT_SERVICE_ALLOWLIST
    max_rows: int = DEFAULT_MAX_ROWS
    service_rewrites: tuple[tuple[str, str], ...] = ()  # SERVICE IRI -> IRI (server.sparql.federation)
    base_iri: str | None = None  # resolves relative IRIs in every query: the dataset's base
    max_nesting: int = DEFAULT_MAX_NESTING
    max_response: int | None = DEFAULT_MAX_RESPONSE  # bytes of one answer
    memory_limit: int | None = DEFAULT_WORKER_MEMORY  # bytes of RLIMIT_DATA per worker
    network_guard: str = "auto"  # "auto" | "required" | "off" (server.sparql.netguard)
    egress_ports: tuple[int, ...] = ()  # 127.0.0.1 ports a guarded worker may reach (the proxy's)
    max_waiting: int | None = None  # requests that may wait for a worker before a 503
    nice: int = 0  # added to the workers' scheduling niceness
    name: str = "query"  # how messages name this pool's workers


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


def _worker_main(conn: Connection, settings: dict[str, Any], stderr_path: str) -> None:
    """Set the worker's bounds, open the store, then answer requests until told to stop
    (``None``) or killed. A worker is announced ready only when it can answer at once."""
    guard = _guard(conn, settings)  # first, while this process has a single thread
    if guard is None:
        return
    _bound(settings, stderr_path)
    from server.sparql.execute import CheckedQueries, execute
    from server.store.backends import backend
    from server.store.interface import StoreError
    from server.store.prefixes import store_prefixes

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us

    source = backend(settings["store"])
    store: Any = None
    version: str | None = None
    prefixes: dict[str, str] = {}
    checked = CheckedQueries()  # query texts that passed the checks, for this version

    def current_store() -> Any:
        nonlocal store, version, prefixes, checked
        latest = source.version()
        if latest != version:
            store = None
            gc.collect()  # close the previous version before opening the next
            store = source.open()
            version, prefixes, checked = latest, store_prefixes(store), CheckedQueries()
        return store

    try:
        current_store()
        conn.send(("ready", guard))
    except StoreError as exc:
        conn.send(("failed", str(exc)))
        return
    options = {
        "service_allowlist": tuple(settings["service_allowlist"]),
        "service_rewrites": dict(settings["service_rewrites"]),
        "base_iri": settings["base_iri"],
        "max_nesting": settings["max_nesting"],
        "max_response": settings["max_response"],
    }
    recheck = IDLE_RECHECK if source.evaluates_in_process else None  # a remote store is not polled
    while True:
        try:
            while recheck and not conn.poll(recheck):  # idle: follow a rebuild, so the old version can go
                try:
                    current_store()
                except StoreError:
                    pass
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        fatal = False
        try:
            reply: tuple[str, Any] = ("ok", execute(current_store(), request, prefixes=prefixes, checked=checked, **options))
        except SparqlError as exc:
            reply = ("error", exc)
        except StoreError as exc:
            reply = ("error", StoreFailure(str(exc)))
        except MemoryError:
            reply, fatal = ("error", MemoryLimitExceeded(_memory_message(settings["memory_limit"]))), True
        except BaseException as exc:  # noqa: BLE001 - a bug (or an engine panic) must reach the client as a 500
            reply = ("error", StoreFailure(f"internal error: {type(exc).__name__}: {exc}"))
        conn.send(reply)
        if fatal:
            os._exit(1)  # the heap may be in pieces: the parent starts a fresh worker


def _guard(conn: Connection, settings: dict[str, Any]) -> str | None:
    """Isolate this worker's network (``settings["network_guard"]``); hand the listening
    sockets to the parent. The guard's state as text, or None when a required guard failed."""
    from server.sparql.netguard import GuardUnavailable, isolate

    if settings["network_guard"] == "off":
        return "off (--network-guard off)"
    from server.store.backends import backend

    if not backend(settings["store"]).evaluates_in_process:  # a remote store: the workers must reach it
        if settings["network_guard"] == "required":
            conn.send(("failed", "the network guard is required, and a remote store must be reachable from the workers"))
            return None
        return "off (the store is remote: the workers must reach it)"
    try:
        listeners = isolate(settings["egress_ports"])
    except GuardUnavailable as exc:
        if settings["network_guard"] == "required":
            conn.send(("failed", f"the network guard is required and unavailable: {exc}"))
            return None
        return f"off (unavailable: {exc})"
    conn.send(("guard", [listener.getsockname()[1] for listener in listeners]))
    for listener in listeners:
        reduction.send_handle(conn, listener.fileno(), os.getppid())
        listener.close()
    return "on (network namespace: only the federation proxy is reachable)"


def _bound(settings: dict[str, Any], stderr_path: str) -> None:
    """Memory limit, niceness, and stderr into a file the parent reads if this worker dies."""
    import resource

    if settings["memory_limit"]:
        limit = int(settings["memory_limit"])
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    if settings["nice"]:
        os.nice(settings["nice"])
    handle = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(handle, 2)
    os.close(handle)
    os.environ["RUST_BACKTRACE"] = "0"


def _memory_message(limit: int | None) -> str:
    shown = format_bytes(limit) if limit else "the memory it has"
    return (
        f"the query needed more than {shown} of memory, the limit of one query worker "
        "(`citykg serve --worker-memory`); narrow the query or build smaller values"
    )


# --- the pool, in the server process ------------------------------------------------------------


@dataclass(eq=False)  # identity, so workers can live in a set
class _Worker:
    process: BaseProcess
    conn: Connection
    stderr: Path
    ready: bool = False  # until then its _await_ready thread owns the connection
    conn_closed: bool = False
    bridges: list[Any] = field(default_factory=list)


class _WorkerDied(Exception):
    def __init__(self, killed_from_outside: bool, error: SparqlError) -> None:
        super().__init__(error.message)
        self.killed_from_outside, self.error = killed_from_outside, error


def too_little_left(lane: str, needs: float, left: float, limit: float) -> str:
    """Why a query was not started: it needs more of its timeout than waiting left it."""
    return (f"this query took {needs:.1f} s before, and waiting for a {lane} worker left {max(0.0, left):.1f} s "
            f"of its {limit:g} s timeout, so it was not started; try again later")


class Executor:
    """Runs requests on idle workers; one worker per request at a time, from any thread."""

    def __init__(self, config: ExecutorConfig) -> None:
        if config.workers < 1:
            raise ValueError("an executor needs at least one worker")
        if config.network_guard not in ("auto", "required", "off"):
            raise ValueError(f"network_guard must be auto, required or off, not {config.network_guard!r}")
        self.config = config
        self._context = _context()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._closed = False
        self._failure: str | None = None
        self._waiting = 0
        self._busy = 0
        self._started = 0
        self.network_guard: str | None = None  # the state the last ready worker reported
        self.retried = 0  # requests retried after their worker was killed from outside
        self._ready = threading.Event()  # set once a worker has been ready
        self._logs = Path(tempfile.mkdtemp(prefix="citykg-workers-"))
        self._settings = {item.name: getattr(config, item.name) for item in fields(config)}  # the store crosses as is
        for _ in range(config.workers):
            self._start_worker()
        atexit.register(self.close)

    # public --------------------------------------------------------------------------------

    def run(self, request: QueryRequest, timeout: float | None = None) -> QueryResponse:
        """The response, or a ``SparqlError``; ``QueryTimeout`` after ``timeout`` seconds of
        evaluation, the worker killed. Waiting for a free worker is bounded by the same time.
        A worker killed from outside while it ran the query: tried once more on a fresh one."""
        return self.run_for(request, self.effective_timeout(timeout))

    def run_for(self, request: QueryRequest, limit: float, shown_limit: float | None = None,
                deadline: float | None = None, min_run: float = 0.0,
                ran: Callable[[float], None] | None = None) -> QueryResponse:
        """``run`` with ``limit`` seconds of evaluation already checked (``effective_timeout``).
        Waiting for a worker may last until ``deadline`` (``time.monotonic()``; default: now +
        ``limit``), and evaluation never past it; a timeout message states ``shown_limit``
        (default ``limit``): the request's whole allowance. A query known to need ``min_run``
        seconds is not started with less time left (503: a worker it would hold for nothing is
        free for others); ``ran`` hears how long a successful evaluation took."""
        deadline = deadline if deadline is not None else time.monotonic() + limit
        for attempt in (1, 2):
            try:
                return self._run_once(request, limit, shown_limit or limit, deadline, min_run, ran)
            except _WorkerDied as death:
                if not death.killed_from_outside:
                    raise death.error from None
                if attempt == 2:
                    raise Unavailable(
                        f"the {self.config.name} worker running this query was killed by the operating system twice "
                        "(out of memory?); try again later", retry_after=math.ceil(limit)
                    ) from None
                self.retried += 1
                log.warning("a %s worker was killed from outside while running a query; retrying once", self.config.name)
        raise AssertionError("unreachable")

    def _run_once(self, request: QueryRequest, limit: float, shown_limit: float, deadline: float,
                  min_run: float = 0.0, ran: Callable[[float], None] | None = None) -> QueryResponse:
        worker = self._take(max(0.0, deadline - time.monotonic()), shown_limit)
        left = deadline - time.monotonic()
        if min_run and left < min_run:
            self._idle.put(worker)
            raise Unavailable(too_little_left(self.config.name, min_run, left, shown_limit), retry_after=math.ceil(min_run))
        limit = max(0.01, min(limit, left))
        started = time.monotonic()
        replace = True
        with self._lock:
            self._busy += 1
        try:
            worker.conn.send(request)
            if not worker.conn.poll(limit):
                raise QueryTimeout(
                    f"the query ran longer than {shown_limit:g} s and was stopped; "
                    f"simplify it or add a LIMIT (this endpoint allows at most {self.config.max_timeout:g} s)"
                )
            status, payload = worker.conn.recv()
            replace = isinstance(payload, MemoryLimitExceeded)  # that worker exits: its heap may be in pieces
        except (EOFError, OSError):
            raise self._death(worker) from None
        finally:
            with self._lock:
                self._busy -= 1
            if replace:
                self._replace(worker)
            else:
                self._idle.put(worker)
        if status == "ok":
            if ran is not None:
                ran(time.monotonic() - started)
            return payload
        raise payload

    def effective_timeout(self, requested: float | None) -> float:
        """The request's own timeout if it lowers the default, within the configured bounds."""
        if requested is None:
            return min(self.config.timeout, self.config.max_timeout)
        if not requested > 0 or not math.isfinite(requested):
            raise BadRequest(f"timeout must be a positive number of seconds, not {requested:g}")
        if requested < self.config.min_timeout:
            raise BadRequest(
                f"timeout {requested:g} s is below this endpoint's minimum of {self.config.min_timeout:g} s "
                "(each timeout stops and replaces a worker process)"
            )
        if requested > self.config.max_timeout:
            raise BadRequest(
                f"timeout {requested:g} s is above this endpoint's limit of {self.config.max_timeout:g} s "
                "(raise it with CITYKG_MAX_TIMEOUT / `citykg serve --max-timeout`)"
            )
        return requested

    def wait_ready(self, timeout: float) -> bool:
        """True once a worker has started (within ``timeout`` seconds), False if none did."""
        return self._ready.wait(timeout)

    @property
    def failure(self) -> str | None:
        """Why the last worker could not start (None once one has)."""
        return self._failure

    @property
    def busy(self) -> int:
        """Workers running a query now."""
        return self._busy

    @property
    def waiting(self) -> int:
        """Requests waiting for a worker now."""
        return self._waiting

    @property
    def idle(self) -> int:
        """Workers ready and waiting for a query."""
        return self._idle.qsize()

    def pids(self) -> set[int]:
        with self._lock:
            return {w.process.pid for w in self._all if w.process.pid is not None}

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
        shutil.rmtree(self._logs, ignore_errors=True)
        atexit.unregister(self.close)

    @property
    def closed(self) -> bool:
        return self._closed

    # internals -----------------------------------------------------------------------------

    def _take(self, limit: float, shown_limit: float | None = None) -> _Worker:
        if self._closed:
            raise Unavailable("the query executor is shut down")
        with self._lock:
            starting = sum(1 for worker in self._all if not worker.ready)  # each will take a waiting request
            if self.config.max_waiting is not None and self._idle.empty() and self._waiting >= self.config.max_waiting + starting:
                raise Unavailable(
                    f"all {self.config.workers} {self.config.name} workers are busy and {self._waiting} requests "
                    "are already waiting; try again later",
                    retry_after=max(1, math.ceil(min(limit, self.config.timeout))),
                )
            self._waiting += 1
        try:
            return self._idle.get(timeout=limit)
        except queue.Empty:
            reason = f" ({self._failure})" if self._failure else ""
            waited = shown_limit if shown_limit is not None else limit
            raise Unavailable(
                f"all {self.config.workers} {self.config.name} workers stayed busy for {waited:g} s; try again later{reason}",
                retry_after=max(1, math.ceil(waited)),
            ) from None
        finally:
            with self._lock:
                self._waiting -= 1

    def _death(self, worker: _Worker) -> _WorkerDied:
        """Why ``worker`` died while running a query: its exit status and its last words."""
        worker.process.join(5)
        code = worker.process.exitcode
        try:
            with open(worker.stderr, "rb") as handle:
                handle.seek(max(0, os.path.getsize(worker.stderr) - _STDERR_TAIL))
                words = handle.read().decode("utf-8", "replace")
        except OSError:
            words = ""
        if words.strip():
            log.warning("a %s worker died (exit status %s): %s", self.config.name, code, words.strip()[-500:])
        if "memory allocation of" in words or "MemoryError" in words:
            return _WorkerDied(False, MemoryLimitExceeded(_memory_message(self.config.memory_limit)))
        if "overflowed its stack" in words or code == -signal.SIGSEGV:
            return _WorkerDied(False, QueryTooComplex(
                "the query is nested too deeply for the query engine (its worker ran out of stack); "
                "flatten it (fewer nested groups, chained UNION/MINUS/BIND, or nested function calls)"
            ))
        if code == -signal.SIGKILL:
            return _WorkerDied(True, StoreFailure(f"the {self.config.name} worker was killed from outside"))
        return _WorkerDied(False, StoreFailure(f"the {self.config.name} worker stopped while running the query (exit status {code})"))

    def _start_worker(self) -> None:
        """Start a worker; a background thread waits for it to be ready, then makes it idle."""
        parent, child = self._context.Pipe()
        with self._lock:
            self._started += 1
            stderr = self._logs / f"worker-{self._started}.log"
        process = self._context.Process(
            target=_worker_main,
            args=(child, self._settings, str(stderr)),
            name=f"citykg-{self.config.name}-worker",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent, stderr)
        with self._lock:
            if self._closed:
                process.kill()
                return
            self._all.add(worker)
        threading.Thread(target=self._await_ready, args=(worker,), daemon=True).start()

    def _await_ready(self, worker: _Worker) -> None:
        from server.sparql.netguard import Bridge

        deadline = time.monotonic() + READY_LIMIT
        status, detail = "failed", "did not start in time"
        try:
            while worker.conn.poll(max(0.0, deadline - time.monotonic())):
                status, detail = worker.conn.recv()
                if status != "guard":
                    break
                for port in detail:  # the worker's listening sockets, one per egress port
                    listener = socket.socket(fileno=reduction.recv_handle(worker.conn))
                    worker.bridges.append(Bridge(listener, port))
                status, detail = "failed", "did not start in time"
        except (EOFError, OSError) as exc:
            status, detail = "failed", f"exited while starting ({exc or type(exc).__name__})"
        if status != "ready" and self._closed:
            self._discard(worker)
            return
        if status == "ready" and not self._closed:
            self._failure = None
            self.network_guard = detail
            worker.ready = True
            self._idle.put(worker)
            self._ready.set()
            return
        self._discard(worker)
        if status != "ready" and not self._closed:
            if self._failure is None:
                log.error("a %s worker could not start: %s", self.config.name, detail)
            self._failure = f"a {self.config.name} worker could not start: {detail}"
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
        for bridge in worker.bridges:
            bridge.close()
        if closing:
            worker.conn.close()
            worker.stderr.unlink(missing_ok=True)
