"""The bounds of a query worker: memory, nesting, response size, minimum timeout; worker death.

Each test runs real worker processes over the seed store. A worker killed from outside
(SIGKILL, as the kernel's out-of-memory killer does) costs its request one retry on a fresh
worker, not an error; a worker that cannot start (no store) makes requests fail with the
reason, and the pool recovers once the store is back.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapper.rdf import DEFAULT_BASE
from server.sparql.executor import Executor, ExecutorConfig
from server.sparql.limits import nesting_depth
from server.sparql.request import (
    BadRequest,
    MemoryLimitExceeded,
    QueryRequest,
    QueryTooComplex,
    ResultTooLarge,
    Unavailable,
)

MIB = 1024 * 1024
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def doubling(times: int) -> str:
    """A query whose one value doubles ``times`` times: 16 bytes × 2^times."""
    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(times))
    return f'SELECT (STRLEN(?v{times}) AS ?n) ?v{times} WHERE {{ BIND("0123456789abcdef" AS ?v0) {binds} }}'


def wait_for(condition, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the state never came"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def pool(seed_store: Path) -> Iterator[Executor]:
    executor = Executor(ExecutorConfig(store=seed_store, workers=1, base_iri=DEFAULT_BASE, timeout=10, max_timeout=10,
                                       memory_limit=512 * MIB, max_response=1 * MIB, max_nesting=100))
    assert executor.wait_ready(60), executor.failure
    yield executor
    executor.close()


def test_a_query_over_the_memory_limit_is_a_422_naming_it_and_the_pool_recovers(pool: Executor) -> None:
    before = pool.pids()
    with pytest.raises(MemoryLimitExceeded, match="more than 512 MiB of memory, the limit of one query worker"):
        pool.run(QueryRequest(doubling(26)))  # 1 GiB of one string
    assert pool.run(QueryRequest("ASK {}")).body  # a fresh worker answers
    assert pool.pids() != before


def test_an_answer_over_the_response_cap_is_refused_whole(pool: Executor) -> None:
    with pytest.raises(ResultTooLarge, match="larger than 1 MiB, the response size limit"):
        pool.run(QueryRequest(doubling(17)))  # one 2 MiB value: one row, far under the row cap
    small = pool.run(QueryRequest(doubling(10)))  # 16 KiB
    assert small.rows == 1


def test_deep_nesting_is_a_400_before_evaluation(pool: Executor) -> None:
    deep = "SELECT * WHERE " + "{ " * 5000 + "?s ?p ?o" + " }" * 5000  # kills pyoxigraph 0.5.13's stack
    pids = pool.pids()
    with pytest.raises(QueryTooComplex, match="nests 5000 levels deep.*at most 100"):
        pool.run(QueryRequest(deep))
    chained = "SELECT * WHERE { ?s ?p ?o " + "MINUS { ?s ?p ?o } " * 3000 + "}"
    with pytest.raises(QueryTooComplex, match="nests 3002 levels"):  # the group, 3000 MINUS, the last one's braces
        pool.run(QueryRequest(chained))
    assert pool.pids() == pids  # refused before evaluation: the worker lives on


@pytest.mark.parametrize(
    ("query", "depth"),
    [
        ("SELECT * { ?s ?p ?o }", 1),
        ("SELECT * { { ?s ?p ?o } UNION { ?s ?p ?o } UNION { ?s ?p ?o } }", 4),
        ("SELECT * { FILTER(((1))) }", 5),  # the group, FILTER, three parentheses
        ("SELECT * { ?s ?p ?o FILTER(?o = 'a' || ?o = 'b' || ?o = 'c') }", 5),
        ("SELECT * { ?s ?p '{{{((([[[' } # {{{{{{", 1),  # strings and comments are not structure
    ],
)
def test_nesting_depth(query: str, depth: int) -> None:
    assert nesting_depth(query) == depth


def test_every_canned_query_is_far_below_the_default_nesting_limit() -> None:
    from server.sparql.canned import QUERIES_DIR, load_queries
    from server.sparql.limits import DEFAULT_MAX_NESTING

    deepest = max(nesting_depth(query.text) for query in load_queries(QUERIES_DIR).values())
    assert deepest * 4 < DEFAULT_MAX_NESTING


@pytest.mark.parametrize(("timeout", "message"), [(0.001, "below this endpoint's minimum of 1 s"), (11, "above"), (float("inf"), "positive")])
def test_timeouts_outside_the_bounds_are_refused(pool: Executor, timeout: float, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        pool.run(QueryRequest("ASK {}"), timeout=timeout)


def test_a_worker_killed_from_outside_costs_one_retry_not_an_error(pool: Executor) -> None:
    """SIGKILL the worker while it runs the query; the request is answered by a fresh worker."""
    retried = pool.retried
    answer: dict[str, object] = {}
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # 16 million rows counted: a second or two
    thread = threading.Thread(target=lambda: answer.update(r=pool.run(QueryRequest(query), timeout=10)))
    victim = next(iter(pool.pids()))
    thread.start()
    wait_for(lambda: pool.busy == 1)
    os.kill(victim, signal.SIGKILL)
    thread.join(60)
    assert "r" in answer, "the request failed instead of being retried"
    assert pool.retried == retried + 1 and victim not in pool.pids()


def test_a_worker_that_cannot_start_makes_requests_fail_with_the_reason(tmp_path: Path) -> None:
    from pyoxigraph import Literal, NamedNode, Quad

    from server.store.embedded import write_store

    store = tmp_path / "store"
    write_store([Quad(NamedNode("urn:x:s"), NamedNode("urn:x:p"), Literal("o"), NamedNode("urn:x:g"))], store)
    hidden = tmp_path / "elsewhere"
    os.rename(store, hidden)  # the store vanishes before the workers start
    executor = Executor(ExecutorConfig(store=store, workers=1, timeout=2, max_timeout=2))
    try:
        wait_for(lambda: executor.failure is not None)
        with pytest.raises(Unavailable, match="could not start: no store at"):
            executor.run(QueryRequest("ASK {}"), timeout=1)
        os.rename(hidden, store)  # the store is back: the next start attempt succeeds
        assert executor.wait_ready(30)
        assert executor.run(QueryRequest("ASK { ?s ?p ?o }")).body
    finally:
        executor.close()
