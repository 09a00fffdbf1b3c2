"""Query latency of citykg over its embedded store vs over a remote Oxigraph server, same data.

    .venv/bin/python -m bench.remote [--docs 200] [--requests 40] [--warmup 3]

Builds a generated corpus (default 200 documents) twice: ``citykg build --store DIR`` (the
embedded store) and ``citykg build --store-url URL`` into ``oxigraph serve --location DIR``
(read-write, on 127.0.0.1, over the Graph Store Protocol); both build times are reported. Then
serves each with ``citykg serve`` (same defaults: waitress, one query worker per core; the
remote one with ``--store-url``) and sends the same requests to both, one at a time over one
keep-alive connection, interleaved (embedded, remote, embedded...) so that the shared machine's
drift hits both alike:

1. ``ask``: ``ASK {}`` on ``/sparql`` (the floor: HTTP, the worker pool, one store round trip);
2. ``cheap``: one city's properties, ``SELECT DISTINCT ?p ?o WHERE { <city> ?p ?o }``;
3. ``heavy``: ``queries/data-sufficiency-matrix.rq`` ad hoc (every city);
4. ``page``: ``GET /city/<id>`` as HTML (a bound DESCRIBE, labels, the template);
5. ``canned``: ``GET /queries/city-profile.json?city=<id>`` (parameters bound into the query).

Each answer is checked first (status 200, and the same rows or triples from both servers).
Reports latency p50 / p99 in ms per server and request, the ratio remote / embedded (p50: above
1.00x the remote store is slower), and for 2 and 3 the same query sent straight to
``oxigraph serve`` (no citykg in front) as a reference. Machine, load and versions go with the
results into var/bench/results/remote-<time>.json.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

if not __package__:  # run as a file: the project root, not bench/, on the path
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx  # noqa: E402

from bench import _harness as h  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=200, help="documents in the generated corpus (default 200)")
    ap.add_argument("--requests", type=int, default=40, help="measured requests per server and request kind (default 40)")
    ap.add_argument("--warmup", type=int, default=3, help="unmeasured requests first (default 3)")
    args = ap.parse_args(argv)

    work, embedded_build = h.build_generated("remote", args.docs)
    store, docs = work / "store", h.corpus(args.docs) / "pages"
    database = work / "oxigraph-db"
    shutil.rmtree(database, ignore_errors=True)
    oxigraph = _oxigraph_server(database, work / "oxigraph.log")
    with oxigraph:
        remote_build = h.measure([h.tool("citykg"), "build", "--store-url", oxigraph.url, docs], log=work / "remote-build.log")
        if remote_build.returncode != 0:
            raise SystemExit(f"bench: citykg build --store-url failed: {remote_build.stderr[-2000:]}")
        city = h.sample_cities(store, 1)[0]
        slug = city.rsplit("/city/", 1)[1]
        requests = _requests(city, slug)
        print(f"store: {args.docs} documents, {embedded_build['quads']} quads; city <{city}>; load average {h.loadavg()}")
        embedded = h.citykg_server(store, work / "citykg-embedded.log")
        remote = _citykg_remote(oxigraph.url, work / "citykg-remote.log")
        with embedded, remote, httpx.Client(timeout=120) as client:
            _check(client, requests, embedded.url, remote.url)
            latencies = _measure(client, requests, {"embedded": embedded.url, "remote": remote.url}, args)
            direct = _direct(client, requests, oxigraph.url, args)

    rows, result = [], {"docs": args.docs, "quads": embedded_build["quads"], "city": city,
                        "build_s": {"embedded": embedded_build["wall_s"], "remote": remote_build.wall}, "requests": {}}
    for name in requests:
        emb, rem = h.summary(latencies["embedded"][name]), h.summary(latencies["remote"][name])
        ref = h.summary(direct[name]) if name in direct else None
        result["requests"][name] = {"embedded": emb, "remote": rem, "oxigraph_direct": ref}
        rows.append([name, f"{emb['p50']:.1f} / {emb['p99']:.1f}", f"{rem['p50']:.1f} / {rem['p99']:.1f}",
                     h.ratio(rem["p50"], emb["p50"]), f"{ref['p50']:.1f}" if ref else "-"])
    print()
    h.table(["request", "embedded p50 / p99 (ms)", "remote p50 / p99 (ms)", "remote / embedded (p50)", "oxigraph direct p50 (ms)"], rows)
    print(f"\nbuild: embedded {embedded_build['wall_s']:.1f} s, remote over the Graph Store Protocol {remote_build.wall:.1f} s "
          f"({h.ratio(remote_build.wall, embedded_build['wall_s'])})")
    h.save("remote", result)
    return 0


def _requests(city: str, slug: str) -> dict[str, tuple[str, str, dict]]:
    """name -> (method, path, parameters); SPARQL requests carry their query as ``query``."""
    return {
        "ask": ("POST", "/sparql", {"query": "ASK {}"}),
        "cheap": ("POST", "/sparql", {"query": f"SELECT DISTINCT ?p ?o WHERE {{ <{city}> ?p ?o }}"}),
        "heavy": ("POST", "/sparql", {"query": (h.QUERIES / "data-sufficiency-matrix.rq").read_text(encoding="utf-8")}),
        "page": ("GET", f"/city/{slug}", {}),
        "canned": ("GET", "/queries/city-profile.json", {"city": slug}),
    }


def _send(client: httpx.Client, base: str, method: str, path: str, params: dict) -> httpx.Response:
    if method == "POST":
        return client.post(base + path, data=params, headers={"Accept": h.SPARQL_JSON})
    return client.get(base + path, params=params, headers={"Accept": "text/html" if path.startswith("/city/") else "application/json"})


def _check(client: httpx.Client, requests: dict, embedded: str, remote: str) -> None:
    """Both servers answer every request, with the same number of rows (pages: the same facts)."""
    for name, (method, path, params) in requests.items():
        answers = [_send(client, base, method, path, params) for base in (embedded, remote)]
        for base, answer in zip((embedded, remote), answers):
            if answer.status_code != 200:
                raise SystemExit(f"bench: {name} on {base}: HTTP {answer.status_code}: {answer.text[:300]}")
        if name == "page":
            same = answers[0].text.count("<li") == answers[1].text.count("<li")
        else:
            same = _rows(answers[0]) == _rows(answers[1])
        if not same:
            raise SystemExit(f"bench: {name}: the embedded and remote answers differ")


def _rows(answer: httpx.Response) -> object:
    document = answer.json()
    if "boolean" in document:
        return document["boolean"]
    rows = document.get("results", {}).get("bindings", document.get("rows"))
    return len(rows) if rows is not None else document


def _measure(client: httpx.Client, requests: dict, servers: dict[str, str], args: argparse.Namespace) -> dict:
    """Latencies in ms per server and request, the servers taking turns request by request."""
    found: dict[str, dict[str, list[float]]] = {server: {name: [] for name in requests} for server in servers}
    for name, (method, path, params) in requests.items():
        for turn in range(args.warmup + args.requests):
            for server, base in servers.items():
                start = time.perf_counter()
                answer = _send(client, base, method, path, params)
                elapsed = (time.perf_counter() - start) * 1000
                if answer.status_code != 200:
                    raise SystemExit(f"bench: {name} on {server}: HTTP {answer.status_code}")
                if turn >= args.warmup:
                    found[server][name].append(elapsed)
    return found


def _direct(client: httpx.Client, requests: dict, oxigraph: str, args: argparse.Namespace) -> dict:
    """The SPARQL requests straight to ``oxigraph serve`` (the union asked per query, as citykg does)."""
    found: dict[str, list[float]] = {}
    for name in ("cheap", "heavy"):
        form = {**requests[name][2], "union-default-graph": "true"}
        found[name] = []
        for turn in range(args.warmup + args.requests):
            start = time.perf_counter()
            answer = client.post(oxigraph + "/query", data=form, headers={"Accept": h.SPARQL_JSON})
            elapsed = (time.perf_counter() - start) * 1000
            if answer.status_code != 200:
                raise SystemExit(f"bench: {name} on oxigraph: HTTP {answer.status_code}")
            if turn >= args.warmup:
                found[name].append(elapsed)
    return found


def _oxigraph_server(location: Path, log: Path) -> h.Server:
    port = h.free_port()
    return h.Server("oxigraph serve", [h.tool("oxigraph"), "serve", "--location", location, "--bind", f"{h.HOST}:{port}",
                                       "--timeout-s", "120"], port, "/query?query=ASK%7B%7D", log)


def _citykg_remote(url: str, log: Path) -> h.Server:
    port = h.free_port()
    return h.Server("citykg serve --store-url", [h.tool("citykg"), "serve", "--store-url", url, "--host", h.HOST, "--port", port],
                    port, "/sparql?query=ASK%7B%7D", log)


if __name__ == "__main__":
    sys.exit(main())
