"""The network guard: a query worker reaches the federation proxy and nothing else.

Defence in depth behind the SERVICE check: here the allowlist is deliberately wrong (it allows
a listener that is not the proxy), and still the guarded worker cannot connect to it, while
the proxy's port, bridged into the worker's namespace, works.
"""

from __future__ import annotations

import multiprocessing
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapper.rdf import DEFAULT_BASE
from server.sparql import netguard
from server.sparql.executor import Executor, ExecutorConfig
from server.sparql.request import QueryRequest, SparqlError
from tests.live import connections_to, listening_trap

pytestmark = pytest.mark.skipif(not Path("/proc/self/ns/net").exists(), reason="network namespaces need Linux")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with listening_trap() as sock:
        yield sock


def accepted(sock: socket.socket, wait: float = 0.0) -> int:
    return connections_to(sock, wait, reply=b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


def _child(port: int, bridged: int, results: multiprocessing.Queue) -> None:
    """In a fresh process: isolate, hand nothing to anyone, try both ports."""
    try:
        listeners = netguard.isolate([bridged])
    except netguard.GuardUnavailable as exc:
        results.put(("unavailable", str(exc)))
        return
    outcome = {"interfaces": netguard.interfaces(), "listening": [s.getsockname()[1] for s in listeners]}
    for name, target in (("direct", ("127.0.0.1", port)), ("outside", ("192.0.2.1", 80))):
        try:
            socket.create_connection(target, timeout=2).close()
            outcome[name] = "connected"
        except OSError as exc:
            outcome[name] = type(exc).__name__
    results.put(("ok", outcome))


def test_an_isolated_process_sees_only_its_loopback(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    process = context.Process(target=_child, args=(port, port, results))
    process.start()
    status, outcome = results.get(timeout=30)
    process.join(10)
    if status == "unavailable":
        pytest.skip(f"no network namespace here: {outcome}")
    assert outcome["interfaces"] == ["lo"]
    assert outcome["listening"] == [port]  # the same port number, inside its own namespace
    # 127.0.0.1:port in there is its own listener (the server would bridge it to the proxy), not ours;
    # any other address has no route at all
    assert outcome["outside"] in ("OSError", "ConnectionRefusedError", "TimeoutError")
    assert accepted(listener) == 0  # nothing reached the host's listener


def _executor(store: Path, trap_url: str, guard: str, egress: tuple[int, ...] = ()) -> Executor:
    return Executor(ExecutorConfig(store=store, workers=1, network_guard=guard, base_iri=DEFAULT_BASE, timeout=5,
                                   max_timeout=5, service_allowlist=(trap_url,), egress_ports=egress))


def test_a_guarded_worker_cannot_reach_even_an_allowlisted_host(seed_store: Path, listener: socket.socket) -> None:
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    executor = _executor(seed_store, url, "required")
    try:
        assert executor.wait_ready(60), executor.failure
        assert executor.network_guard.startswith("on")
        with pytest.raises(SparqlError):
            executor.run(QueryRequest(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"))
        assert accepted(listener, wait=0.5) == 0
    finally:
        executor.close()


def test_the_control_without_the_guard_the_same_query_connects(seed_store: Path, listener: socket.socket) -> None:
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    executor = _executor(seed_store, url, "off")
    try:
        assert _service_call_connections(executor, url, listener) == 1
    finally:
        executor.close()


def test_the_bridged_port_is_reachable_from_a_guarded_worker(seed_store: Path, listener: socket.socket) -> None:
    """The proxy's port is bridged: a SERVICE call to it arrives at the host's listener."""
    port = listener.getsockname()[1]
    url = f"http://127.0.0.1:{port}/sparql"
    executor = _executor(seed_store, url, "required", egress=(port,))
    try:
        assert executor.wait_ready(60), executor.failure
        assert _service_call_connections(executor, url, listener) == 1
    finally:
        executor.close()


def _service_call_connections(executor: Executor, url: str, listener: socket.socket) -> int:
    """Connections reaching ``listener`` while a worker runs ``SERVICE SILENT <url>`` (whose answer,
    the listener's empty one, may fail: only the connection counts)."""

    def call() -> None:
        try:
            executor.run(QueryRequest(f"SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}"))
        except SparqlError:
            pass

    thread = threading.Thread(target=call)
    thread.start()
    try:
        return accepted(listener, wait=10)
    finally:
        thread.join(30)
