"""Load test: many clients mixing cheap, canned, resource-page and heavy queries against `citykg serve`.

Starts `citykg serve` on 127.0.0.1 (a port the OS picks) over a store, then runs RUNS rounds of
DURATION seconds with CLIENTS concurrent clients. Each client has its own source address
(127.0.0.2, 127.0.0.3, …: all loopback), so the server's per-client limit sees distinct clients,
and loops like a person at a tool would: pick a kind of request by weight, send it, record status
and latency, think for THINK seconds on average (uniform between 0 and twice that; 0: flat out).

- cheap: small /sparql SELECTs and ASKs (the p99 this benchmark is about)
- canned: /queries/NAME.json with each query's example parameters (from /queries.json)
- resource: /city/…, /vocab/…, /ontology pages (HTML or Turtle)
- heavy: a join that runs a second or two, and a query that never ends, sent with timeout=3:
  its 504 is a *deliberate* timeout, counted apart

A 503 or 429 carries Retry-After; a client honours it (sleeps) and the answer is counted as
"shed". After each round the RSS of the server and all its processes (workers, forkserver) is
summed from /proc. Reported: req/s, p50/p99 per kind, every status, 5xx other than deliberate
timeouts, RSS per round. Timing claims live here, never in tests.

    python -m bench.load                       # 3 rounds of 60 s, 50 clients thinking 0.5 s, var/store
    python -m bench.load --think 0             # the same, flat out (an overload: heavy queries time out)
    python -m bench.load --duration 10 --runs 1 --clients 20
    python -m bench.load -- --response-cache 0   # every request evaluated (the cache off)

Every request kind repeats a few fixed texts, so with the response cache on (the default) the
server answers most of them from memory after their first answer; ``-- --response-cache 0``
measures the query lanes themselves.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parent.parent
CHEAP = [
    "SELECT ?name WHERE { ?city cik:employsRole role:data-scientist ; rdfs:label ?name } ORDER BY ?name",
    "ASK { ?c rdfs:label 'Lima' }",
    "SELECT ?city ?label WHERE { ?city a cik:City ; rdfs:label ?label } LIMIT 10",
    "SELECT (COUNT(*) AS ?n) WHERE { ?c a cik:City }",
]
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # 16 million rows on the seed store
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
WEIGHTS = {"cheap": 0.59, "canned": 0.2, "resource": 0.2, "heavy": 0.01}  # heavy: --heavy-share
RESOURCES = ["/city/medellin", "/city/lima", "/vocab/role", "/ontology", "/city/baltimore"]


@dataclass
class Record:
    kind: str
    status: int
    seconds: float
    deliberate: bool = False
    detail: str = ""  # the start of a 5xx answer's message (what went wrong, for the report)


@dataclass
class Round:
    records: list[Record] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: Record) -> None:
        with self.lock:
            self.records.append(record)


def serve(store: Path, extra: list[str]) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "server", "serve", "--store", str(store), "--host", "127.0.0.1", "--port", "0",
               "--wikidata-endpoint", "none", *extra]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"at (http://\S+/)sparql", line)
    if not found:
        process.kill()
        raise SystemExit(f"citykg serve did not start: {line!r}")
    guard = process.stdout.readline().strip()
    print(line.strip(), "\n" + guard, flush=True)
    return process, found.group(1)


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and every process below it, in KiB."""
    total, frontier, seen = 0, [pid], set()
    while frontier:
        current = frontier.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                frontier += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total


def canned_urls(base: str) -> list[str]:
    catalogue = httpx.get(base + "queries.json", timeout=30).json()["queries"]
    return [q["example_url"].replace("/queries/" + q["name"], "/queries/" + q["name"] + ".json", 1)
            for q in catalogue if "wikidata" not in q["name"]]


def client(index: int, base: str, deadline: float, canned: list[str], result: Round, seed: int, think: float,
           weights: dict[str, float]) -> None:
    rng = random.Random(seed * 1000 + index)
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{2 + index}")
    with httpx.Client(base_url=base.rstrip("/"), transport=transport, timeout=60) as http:
        while time.monotonic() < deadline:
            kind = rng.choices(list(weights), weights=list(weights.values()))[0]
            deliberate = False
            if kind == "cheap":
                request = ("GET", "/sparql", {"query": rng.choice(CHEAP)}, {})
            elif kind == "canned":
                request = ("GET", rng.choice(canned), None, {})
            elif kind == "resource":
                accept = rng.choice(["text/html", "text/turtle"])
                request = ("GET", rng.choice(RESOURCES), None, {"Accept": accept})
            else:
                deliberate = rng.random() < 0.3
                request = ("GET", "/sparql", {"query": ENDLESS if deliberate else HEAVY, "timeout": "3" if deliberate else "10"}, {})
            method, path, params, headers = request
            started = time.monotonic()
            detail = ""
            try:
                response = http.request(method, path, params=params, headers=headers)
                status = response.status_code
                if status >= 500:
                    detail = response.text[:160]
            except httpx.HTTPError as exc:
                status, detail = 599, type(exc).__name__  # no answer at all
            result.add(Record(kind, status, time.monotonic() - started, deliberate and status == 504, detail))
            if status in (429, 503):
                time.sleep(float(response.headers.get("Retry-After", "1")))
            elif think:
                time.sleep(rng.uniform(0, 2 * think))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(result: Round, duration: float, rss: int) -> dict:
    by_kind: dict[str, list[Record]] = defaultdict(list)
    for record in result.records:
        by_kind[record.kind].append(record)
    kinds = {}
    for kind, records in sorted(by_kind.items()):
        ok = [r.seconds for r in records if r.status < 400]
        kinds[kind] = {
            "requests": len(records),
            "p50_ms": round(percentile(ok, 50) * 1000, 1),
            "p99_ms": round(percentile(ok, 99) * 1000, 1),
            "statuses": dict(sorted(Counter(r.status for r in records).items())),
        }
    errors = [r for r in result.records if r.status >= 500 and not r.deliberate and r.status != 503]
    why = Counter(f"{r.status} {r.kind} {scrub(r.detail)}" for r in result.records if r.status >= 500 and not r.deliberate)
    return {
        "requests": len(result.records),
        "req_per_s": round(len(result.records) / duration, 1),
        "server_errors_5xx": len(errors),
        "shed_503": sum(1 for r in result.records if r.status == 503),
        "too_many_429": sum(1 for r in result.records if r.status == 429),
        "deliberate_timeouts_504": sum(1 for r in result.records if r.deliberate),
        "rss_mib": round(rss / 1024, 1),
        "kinds": kinds,
        "errors_by_message": dict(why.most_common()),
    }


def scrub(message: str) -> str:
    """A 5xx message with its numbers (seconds, counts) blanked, so alike ones count together."""
    return re.sub(r"\d+(\.\d+)?", "N", message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=REPO / "var" / "store")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--think", type=float, default=0.5, help="mean seconds between a client's requests (0: flat out)")
    parser.add_argument("--heavy-share", type=float, default=WEIGHTS["heavy"],
                        help=f"share of heavy requests (default {WEIGHTS['heavy']}; the rest keeps its proportions)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("serve_args", nargs="*", metavar="-- SERVE-OPTION",
                        help="passed on to citykg serve, after --, e.g. -- --response-cache 0")
    args = parser.parse_args()
    if not args.store.exists():
        subprocess.run([sys.executable, "-m", "server", "build", "--store", str(args.store)], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
    light = {kind: share for kind, share in WEIGHTS.items() if kind != "heavy"}
    weights = {kind: share / sum(light.values()) * (1 - args.heavy_share) for kind, share in light.items()}
    weights["heavy"] = args.heavy_share
    process, base = serve(args.store, args.serve_args)
    rounds = []
    try:
        canned = canned_urls(base)
        print(f"idle RSS (server + workers): {rss_kib(process.pid) / 1024:.1f} MiB", flush=True)
        for run in range(1, args.runs + 1):
            result = Round()
            deadline = time.monotonic() + args.duration
            threads = [threading.Thread(target=client, args=(i, base, deadline, canned, result, run, args.think, weights)) for i in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rounds.append(summary(result, args.duration, rss_kib(process.pid)))
            print(f"round {run}: " + json.dumps(rounds[-1]), flush=True)
    finally:
        process.terminate()
        process.wait(30)
    cheap = [r["kinds"].get("cheap", {}) for r in rounds]
    print("\n| round | req/s | cheap p50 ms | cheap p99 ms | 5xx (not deliberate) | 503 shed | 504 deliberate | RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for number, (r, c) in enumerate(zip(rounds, cheap), start=1):
        print(f"| {number} | {r['req_per_s']} | {c.get('p50_ms')} | {c.get('p99_ms')} | {r['server_errors_5xx']} | "
              f"{r['shed_503']} | {r['deliberate_timeouts_504']} | {r['rss_mib']} |")
    if args.json:
        args.json.write_text(json.dumps(rounds, indent=2))


if __name__ == "__main__":
    main()
