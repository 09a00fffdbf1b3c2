"""Admission (server.sparql.admission, issue 13): a heavy query is not started when waiting for
a heavy worker left less of its timeout than the heavy lane recently needed for it: a 503 at once,
the worker free for others, instead of a worker held until a 504."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.sparql.admission import Lanes, fingerprint
from server.sparql.executor import Executor
from server.sparql.request import QueryRequest, QueryResponse, QueryTimeout, Unavailable
from server.web.app import executor_config

HEAVY = QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }")
ANSWER = QueryResponse("solutions", "application/sparql-results+json", b"{}")


class Interactive:
    """Every query outruns the interactive budget."""

    closed = False

    def effective_timeout(self, requested: float | None) -> float:
        return requested if requested is not None else 10.0

    def run_for(self, request, limit, shown_limit=None, deadline=None, **_):
        raise QueryTimeout("over budget")


class Heavy:
    """Answers every query, reporting that its evaluation took ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.calls = seconds, []

    def run_for(self, request, limit, shown_limit=None, deadline=None, min_run=0.0, ran=None):
        self.calls.append((limit, min_run))
        if ran is not None:
            ran(self.seconds)
        return ANSWER


def lanes(heavy: Heavy) -> Lanes:
    made = Lanes(Interactive(), heavy_config=object(), budget=0.01)  # type: ignore[arg-type]
    made._heavy = heavy  # type: ignore[assignment]
    return made


def test_the_heavy_lane_is_told_how_long_a_known_heavy_query_needs() -> None:
    heavy = Heavy(seconds=5.0)
    pools = lanes(heavy)
    assert pools.run(HEAVY, timeout=10) is ANSWER  # moved, then answered by the heavy lane in 5 s
    assert pools.took(fingerprint(HEAVY)) == 5.0 and heavy.calls[0][1] == 0.0  # unknown: no minimum
    assert pools.run(HEAVY, timeout=10) is ANSWER
    assert heavy.calls[1][1] == 5.0  # not started if waiting leaves less than 5 s (next test)
    heavy.seconds = 3.0
    pools.run(HEAVY, timeout=10)
    assert pools.took(fingerprint(HEAVY)) == 4.0  # a running mean: it follows the machine's load
    pools.run(HEAVY, timeout=2)
    assert heavy.calls[-1][1] == 0.0  # a timeout below that: run, and the timeout says no


def test_a_worker_is_not_held_for_a_query_that_cannot_finish(seed_store: Path) -> None:
    config = executor_config({"CITYKG_STORE": str(seed_store), "CITYKG_TIMEOUT": 10, "CITYKG_WORKERS": 1,
                              "CITYKG_MAX_ROWS": 100, "CITYKG_SERVICE_ALLOWLIST": "", "CITYKG_NETWORK_GUARD": "off"})
    pool = Executor(config)
    try:
        assert pool.wait_ready(60)
        before = pool.pids()
        with pytest.raises(Unavailable) as refused:
            pool.run_for(QueryRequest("ASK {}"), limit=1.0, min_run=3.0)
        assert "took 3.0 s before" in str(refused.value) and "was not started" in str(refused.value)
        assert refused.value.retry_after == 3
        assert pool.pids() == before and pool.idle == 1 and pool.busy == 0  # the worker was not touched
        took: list[float] = []
        assert pool.run_for(QueryRequest("ASK {}"), limit=5.0, min_run=0.5, ran=took.append).body
        assert len(took) == 1 and 0 <= took[0] < 5
    finally:
        pool.close()
