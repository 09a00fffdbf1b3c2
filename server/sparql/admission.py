"""Admission control: cheap queries stay fast while heavy ones run, and no client takes it all.

- **Two lanes.** Every query starts in the *interactive* pool, where it may run for
  ``interactive_budget`` seconds (1 s by default). Most queries finish there. One that does not
  is stopped (its worker is replaced), remembered as heavy, and run again in the *heavy* pool
  for what is left of its timeout; a query remembered as heavy goes there directly. The heavy
  pool's workers run at a lower CPU priority (``nice``), and it has its own queue bound, so
  however many heavy queries arrive, an interactive worker is never held longer than the budget
  and cheap queries never queue behind heavy ones.
- **No start without time to finish.** The heavy lane remembers how long it recently took to
  answer each heavy query (a running mean of its answered runs, so it follows the machine's
  load); when waiting for a heavy worker left less of a request's timeout than that, the query
  is not started: 503 with ``Retry-After`` at once, rather than a worker held until a 504 while
  other heavy queries wait (a timeout shorter than that time is left to say so itself).
- **Bounded queues.** Each pool lets at most ``max_waiting`` requests wait for a worker; the
  next gets 503 with ``Retry-After`` (``server.sparql.executor``).
- **Lookups in-process.** A query proven cheap before it runs (one triple pattern about one
  IRI with a bounded number of statements: ``server.sparql.lookup``) is answered in the server
  process, with no worker hop; every other query takes the lanes above.
- **Per-client concurrency** (``ClientSlots``): one client (an address) may have at most
  ``per_client`` requests in progress; the next gets 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from server.sparql.executor import Executor, ExecutorConfig
from server.sparql.request import QueryRequest, QueryResponse, QueryTimeout, TooManyRequests

DEFAULT_INTERACTIVE_BUDGET = 1.0  # seconds in the interactive lane before a query moves to the heavy one
DEFAULT_PER_CLIENT = 8  # requests one client may have in progress
DEFAULT_HEAVY_WORKERS = 2
DEFAULT_INTERACTIVE_QUEUE = 64  # requests that may wait for an interactive worker
DEFAULT_HEAVY_QUEUE = 8  # requests that may wait for a heavy worker
HEAVY_NICE = 10  # heavy workers yield the CPU to interactive ones
_REMEMBERED = 4096  # heavy query fingerprints kept


class Lanes:
    """The query pools of an app; ``run`` has the signature of ``Executor.run``. The heavy pool
    (``heavy_config``; None: one lane) starts with the first query that needs it."""

    def __init__(self, interactive: Executor, heavy_config: ExecutorConfig | None,
                 budget: float = DEFAULT_INTERACTIVE_BUDGET) -> None:
        self.interactive, self.heavy_config, self.budget = interactive, heavy_config, budget
        self._heavy: Executor | None = None
        # heavy query fingerprints, with how long the heavy lane recently took for each (None: not yet)
        self._heavy_queries: OrderedDict[str, float | None] = OrderedDict()
        self._lock = threading.Lock()
        self.moved = 0  # queries moved from the interactive to the heavy lane
        # lookups proven cheap run here, with no worker (server.sparql.lookup); None: every query in a worker
        self.local: Callable[[QueryRequest], QueryResponse | None] | None = None

    @property
    def heavy(self) -> Executor | None:
        """The heavy pool, started on first use; None with one lane."""
        if self.heavy_config is None:
            return None
        with self._lock:
            if self._heavy is None and not self.interactive.closed:
                self._heavy = Executor(self.heavy_config)
            return self._heavy

    @property
    def config(self) -> ExecutorConfig:
        """The interactive pool's configuration (row cap, timeouts, allowlist: shared by both)."""
        return self.interactive.config

    def run(self, request: QueryRequest, timeout: float | None = None) -> QueryResponse:
        limit = self.interactive.effective_timeout(timeout)
        if self.local is not None:
            answer = self.local(request)
            if answer is not None:
                return answer
        if self.heavy_config is None:
            return self.interactive.run_for(request, limit)
        key = fingerprint(request)
        started = time.monotonic()
        deadline = started + limit  # waiting and running, in both lanes, end here
        if not self.is_heavy(key):
            if limit <= self.budget:
                return self.interactive.run_for(request, limit)
            try:
                return self.interactive.run_for(request, self.budget, shown_limit=limit, deadline=deadline)
            except QueryTimeout:
                self._remember(key)
                self.moved += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            raise QueryTimeout(
                f"the query ran longer than {limit:g} s and was stopped; "
                f"simplify it or add a LIMIT (this endpoint allows at most {self.config.max_timeout:g} s)"
            )
        needs = self.took(key)
        if needs and needs > limit:
            needs = None  # never enough time, waiting or not: run it and let the timeout say so
        heavy = self.heavy
        if heavy is None:  # closed meanwhile
            return self.interactive.run_for(request, remaining, shown_limit=limit)
        return heavy.run_for(request, remaining, shown_limit=limit, min_run=needs or 0.0,
                             ran=lambda seconds: self._ran(key, seconds))

    def is_heavy(self, key: str) -> bool:
        with self._lock:
            return key in self._heavy_queries

    def took(self, key: str) -> float | None:
        """How long the heavy lane recently took to answer this query, in seconds (None: never yet)."""
        with self._lock:
            return self._heavy_queries.get(key)

    def _remember(self, key: str) -> None:
        with self._lock:
            self._heavy_queries[key] = self._heavy_queries.get(key)
            self._heavy_queries.move_to_end(key)
            while len(self._heavy_queries) > _REMEMBERED:
                self._heavy_queries.popitem(last=False)

    def _ran(self, key: str, seconds: float) -> None:
        with self._lock:
            if key in self._heavy_queries:
                known = self._heavy_queries[key]
                self._heavy_queries[key] = seconds if known is None else (known + seconds) / 2

    @property
    def network_guard(self) -> str | None:
        return self.interactive.network_guard

    def close(self) -> None:
        self.interactive.close()
        with self._lock:
            heavy = self._heavy
        if heavy is not None:
            heavy.close()

    @property
    def closed(self) -> bool:
        return self.interactive.closed


def fingerprint(request: QueryRequest) -> str:
    """What makes a query cost what it costs: its text, bindings and dataset (not the format)."""
    parts = [request.query, sorted(request.substitutions.items()), request.default_graph_uris, request.named_graph_uris]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


@dataclass
class ClientSlots:
    """At most ``per_client`` requests in progress per client key (None: unlimited)."""

    per_client: int | None = DEFAULT_PER_CLIENT

    def __post_init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, client: str) -> None:
        """Take a slot for ``client``, or ``TooManyRequests`` (429) when it has none left."""
        with self._lock:
            count = self._counts.get(client, 0)
            if self.per_client is not None and count >= self.per_client:
                raise TooManyRequests(
                    f"this client already has {count} requests in progress, the most one client may have "
                    "(`citykg serve --per-client`); wait for one to finish",
                    retry_after=1,
                )
            self._counts[client] = count + 1

    def release(self, client: str) -> None:
        with self._lock:
            left = self._counts.get(client, 1) - 1
            if left > 0:
                self._counts[client] = left
            else:
                self._counts.pop(client, None)

    @contextmanager
    def slot(self, client: str) -> Iterator[None]:
        self.acquire(client)
        try:
            yield
        finally:
            self.release(client)

    def in_progress(self, client: str) -> int:
        with self._lock:
            return self._counts.get(client, 0)
