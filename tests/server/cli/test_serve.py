"""``citykg serve`` as a process: its flags take effect, SIGTERM ends it cleanly, a busy port is
one clear line (issue 9, "process faults")."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (the query workers, the forkserver)."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    frontier.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def start(*args: str | Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", *map(str, args)]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_flags_take_effect_and_sigterm_stops_everything_with_status_0(seed_store: Path, tmp_path: Path) -> None:
    process = start("--store", seed_store, "--port", "0", "--workers", "1", "--heavy-workers", "1",
                    "--max-rows", "5", "--min-timeout", "2", "--timeout", "8", "--max-response", "64K",
                    "--max-nesting", "20", "--per-client", "3", "--public-url", "https://kg.example.org/",
                    "--wikidata-endpoint", "none", "--service-allowlist")
    try:
        assert process.stdout is not None
        first, second = process.stdout.readline(), process.stdout.readline()
        url = re.search(r"at (http://\S+/)sparql", first)
        assert url, (first, process.stderr.read() if process.poll() is not None else "")
        assert "1 workers + 1 heavy" in first and "timeout 8 s" in first and "5 rows" in first
        assert second.startswith("citykg: network guard ")
        base = url.group(1)
        with httpx.Client(base_url=base, timeout=30) as http:
            assert http.get("sparql", params={"query": "SELECT * { ?s ?p ?o }"}).status_code == 422  # --max-rows 5
            low = http.get("sparql", params={"query": "ASK {}", "timeout": "1"})
            assert low.status_code == 400 and "minimum of 2 s" in low.json()["error"]  # --min-timeout
            deep = http.get("sparql", params={"query": "SELECT * " + "{ " * 22 + "}" * 22})
            assert deep.status_code == 400 and "at most 20" in deep.json()["error"]  # --max-nesting
            doubled = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(13))  # 16 B x 2^13 = 128 KiB
            big = http.post("sparql", data={"query": f'SELECT ?v13 {{ BIND("0123456789abcdef" AS ?v0) {doubled} }}'})
            assert big.status_code == 422 and "larger than 64 KiB" in big.json()["error"]  # --max-response
            void = http.get(".well-known/void", headers={"Accept": "application/n-triples", "Host": "elsewhere.example"})
            assert "<https://kg.example.org/sparql>" in void.text and "elsewhere" not in void.text  # --public-url
            assert http.get("sparql", params={"query": "ASK {}"}).headers["X-Content-Type-Options"] == "nosniff"
        workers = descendants(process.pid)
        assert len(workers) >= 2  # at least the two query workers (and the forkserver)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if alive(pid)]  # no orphaned worker
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_busy_port_is_one_line_and_status_2(seed_store: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        process = start("--store", seed_store, "--port", port, "--wikidata-endpoint", "none")
        out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.strip().splitlines()[-1] == f"citykg: error: port {port} on 127.0.0.1 is already in use; choose another with --port"


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [("--max-response", "lots", "not a size"), ("--min-timeout", "0", "must be more than 0"),
     ("--network-guard", "maybe", "invalid choice"), ("--per-client", "-1", "must not be negative")],
)
def test_bad_limit_values_are_usage_errors(run_cli, seed_store: Path, flag: str, value: str, message: str) -> None:
    result = run_cli("serve", "--store", seed_store, flag, value)
    assert result.code == 2 and message in result.err and flag in result.err
