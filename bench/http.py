"""HTTP throughput and latency: citykg serve vs oxigraph serve-read-only vs rdflib-endpoint.

    .venv/bin/python -m bench.http [--docs 200] [--duration 5] [--warmup 1] [--rounds 2] [--connections 8]

Builds a generated corpus (default 200 documents, about the size of the real survey's two rounds)
with ``citykg build``, then serves that one store, one server at a time, on 127.0.0.1:

* ``citykg serve --store STORE --per-client 0`` (its defaults otherwise: waitress, one query worker per core, lookups of
  one IRI in-process, the response cache on: wrk repeats one request, so after the first it is
  answered from memory), and again with ``--response-cache 0`` (every request evaluated: the
  figure to hold against the peers, which keep no answers);
* ``oxigraph serve-read-only --location STORE --union-default-graph`` (the same directory);
* ``rdflib-endpoint serve STORE.nq`` (the store's quads dumped as N-Quads; union default graph);
* with ``--processes N``, also N ``citykg serve`` processes side by side (as N servers behind a
  balancer would be), with the response cache and again without, each process loaded by its own
  wrk with ``--connections`` / N connections at the same time: their requests/s summed, the worst
  p50 and p99 reported. This measures what serving from several processes would give here.

and loads each with wrk (``--connections`` keep-alive connections, one wrk thread, after
``--warmup`` seconds of the same load) with the same requests, in ``--rounds`` interleaved rounds
(every server restarted in each; the best round of each server and query is reported, since on a
shared machine other tenants only ever slow a run down; every round is kept in the JSON):

1. cheap: ``SELECT DISTINCT ?p ?o WHERE { <city> ?p ?o }`` (one city's properties), POSTed form-encoded;
2. heavy: the text of ``queries/data-sufficiency-matrix.rq`` as an ad-hoc query (all cities);
3. canned: ``GET /queries/data-sufficiency-matrix.json`` on citykg; the peers run the same query
   ad hoc (their answer to 2), since they have no canned queries.

Every answer is checked once before the load (status 200 and the same number of rows on every
server); non-2xx answers under load are reported as errors, never counted as throughput.
Prints requests/s and latency p50/p99 per server and query, and citykg's ratio to each peer.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from pathlib import Path

if not __package__:  # run as a file: the project root, not bench/, on the path (bench/http.py is not `http`)
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import _harness as h  # noqa: E402


CACHED = "citykg serve"  # its defaults: the response cache on (server/web/caching.py)
UNCACHED = "citykg serve --response-cache 0"  # every request evaluated
CANNED_PATH = "/queries/data-sufficiency-matrix.json"


def side_by_side(urls: list[str], body: Path | None, accept: str, duration: float, connections: int) -> dict:
    """One wrk per URL at the same time, ``connections`` split among them: the sum of their
    requests/s, and their worst p50 / p99."""
    loads: list[dict] = [{} for _ in urls]

    def run(index: int, url: str) -> None:
        loads[index] = h.wrk(url, body_file=body, accept=accept, duration=duration,
                             connections=max(1, connections // len(urls)))

    threads = [threading.Thread(target=run, args=(index, url)) for index, url in enumerate(urls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    summed = {key: sum(load[key] for load in loads) for key in ("requests", "req_s", "errors", "errors_status", "errors_timeout")}
    return {**summed, "p50_ms": max(load["p50_ms"] for load in loads), "p99_ms": max(load["p99_ms"] for load in loads),
            "seconds": max(load["seconds"] for load in loads), "per_process": loads}


def settle(load: dict) -> None:
    """Wait for the requests wrk left running when it closed its connections (none of the
    servers stops a query whose client went away) before the next load starts."""
    time.sleep(min(5.0, 2 * load["p99_ms"] / 1000))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=200, help="documents in the generated corpus (default 200)")
    ap.add_argument("--duration", type=float, default=5, help="seconds of measured load per server and query (default 5)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="interleaved rounds over all servers; the best round of each is reported (default 2)")
    ap.add_argument("--warmup", type=float, default=1, help="seconds of load before measuring (default 1)")
    ap.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    ap.add_argument("--no-rdflib", action="store_true", help="leave rdflib-endpoint out")
    ap.add_argument("--processes", type=int, default=1, metavar="N",
                    help="also N `citykg serve` processes side by side (cached, then uncached), the load split among them (default 1: not run)")
    args = ap.parse_args(argv)

    work, built = h.build_generated("http", args.docs)
    store = work / "store"
    nquads = work / "store.nq"
    quads = h.dump_nquads(store, nquads)
    city = h.sample_cities(store, 1)[0]
    queries = {
        "cheap": f"SELECT DISTINCT ?p ?o WHERE {{ <{city}> ?p ?o }}",
        "heavy": (h.QUERIES / "data-sufficiency-matrix.rq").read_text(encoding="utf-8"),
    }
    bodies = {}
    for name, text in queries.items():
        bodies[name] = work / f"{name}.body"
        bodies[name].write_bytes(h.form_body(text))
    print(f"store: {args.docs} documents, {built['cities']} cities, {quads} quads; cheap query about <{city}>")

    def servers() -> list[tuple[h.Server, str, dict[str, str]]]:
        """(server, its SPARQL path, its GET-only loads), started afresh in every round."""
        canned = {"canned": CANNED_PATH}
        # wrk is one client address with 8 connections: citykg's per-client limit (8 requests in
        # progress, a guard the peers do not have) would refuse the requests a closed connection
        # left running, so it is off here, as it is for the peers
        uncached = h.citykg_server(store, work / "citykg-uncached.log", "--per-client", "0", "--response-cache", "0")
        uncached.name = UNCACHED
        chosen = [(h.citykg_server(store, work / "citykg.log", "--per-client", "0"), "/sparql", canned),
                  (uncached, "/sparql", canned),
                  (h.oxigraph_server(store, work / "oxigraph.log"), "/query", {})]
        if not args.no_rdflib:
            chosen.append((h.rdflib_endpoint_server(nquads, work / "rdflib-endpoint.log"), "/", {}))
        return chosen

    rounds: dict[str, dict[str, list[dict]]] = {}

    def measure(name: str, urls: list[str], loads: dict[str, tuple[str, Path | None, str]], round_no: int) -> None:
        """Each load on the servers at ``urls`` (side by side when several), kept in ``rounds``."""
        print(f"\nround {round_no}: {name} at {', '.join(urls)} (load average {h.loadavg()})")
        for figure, (path, body, accept) in loads.items():
            targets = [url + path for url in urls]
            status, data, seconds = h.http_once(targets[0], body.read_bytes() if body else None, accept)
            if status != 200:
                raise SystemExit(f"bench: {name} {figure}: HTTP {status}: {data[:300]!r}")
            rows = h.result_rows(data)
            settle(side_by_side(targets, body, accept, args.warmup, args.connections))
            load = side_by_side(targets, body, accept, args.duration, args.connections)
            settle(load)
            load.update(rows=rows, single_request_ms=seconds * 1000, round=round_no)
            rounds.setdefault(name, {}).setdefault(figure, []).append(load)
            print(f"  {figure:6} {load['req_s']:9.1f} req/s  p50 {load['p50_ms']:8.2f} ms  p99 {load['p99_ms']:8.2f} ms"
                  f"  ({load['requests']} requests, {rows} rows, {load['errors']} errors)")

    for round_no in range(1, args.rounds + 1):
        for server, sparql_path, gets in servers():
            with server:
                loads = {name: (sparql_path, body, h.SPARQL_JSON) for name, body in bodies.items()}
                loads.update({name: (path, None, "application/json") for name, path in gets.items()})
                measure(server.name, [server.url], loads, round_no)
        for label, options in (((CACHED, ()), (UNCACHED, ("--response-cache", "0"))) if args.processes > 1 else ()):
            with contextlib.ExitStack() as stack:
                group = [stack.enter_context(h.citykg_server(store, work / f"citykg-{len(options)}-{index}.log", "--per-client", "0",
                                                             *options)) for index in range(args.processes)]
                loads = {name: ("/sparql", body, h.SPARQL_JSON) for name, body in bodies.items()}
                loads["canned"] = (CANNED_PATH, None, "application/json")
                measure(f"{label}, {args.processes} processes", [server.url for server in group], loads, round_no)
    # best round per server and query: other tenants of a shared machine only ever slow a run down
    results = {server: {name: max(loads, key=lambda load: load["req_s"]) for name, loads in per_query.items()}
               for server, per_query in rounds.items()}

    mine = [name for name in results if name.startswith(CACHED)]
    peers = [name for name in results if name not in mine]
    for figure in ("cheap", "heavy"):
        counts = {name: results[name][figure]["rows"] for name in results}
        if len(set(counts.values())) != 1:
            print(f"WARNING: the servers disagree on the {figure} query's row count: {counts}")

    def cell(load: dict) -> str:
        flag = f", {load['errors']} errors" if load["errors"] else ""
        return f"{load['req_s']:,.0f} req/s (p50 {load['p50_ms']:.1f} / p99 {load['p99_ms']:.1f} ms{flag})"

    labels = {"cheap": "`/sparql`, one city's properties", "heavy": "`/sparql`, data sufficiency over all cities",
              "canned": "canned `data-sufficiency-matrix`"}
    rows = []
    for figure, label in labels.items():
        for ours in mine:
            load = results[ours][figure]
            row = [label, ours, cell(load)]
            for peer in peers:
                theirs = results[peer]["heavy" if figure == "canned" else figure]
                row += [cell(theirs), h.ratio(load["req_s"], theirs["req_s"])]
            rows.append(row)
    headers = ["figure", "citykg", "req/s"]
    for peer in peers:
        headers += [peer, "ratio"]
    print(f"\n{args.connections} connections, {args.duration:g} s after {args.warmup:g} s warm-up, best of "
          f"{args.rounds} rounds; {args.docs} documents, {quads} quads (canned: peers run the same query ad hoc)")
    markdown = h.table(headers, rows)
    h.save("http", {"args": vars(args), "store": {**built, "quads": quads, "city": city}, "results": results,
                    "rounds": rounds, "table": markdown})
    return 0


if __name__ == "__main__":
    sys.exit(main())
