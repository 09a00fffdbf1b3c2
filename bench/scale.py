"""Scale: build time, peak memory, store size and every canned query's p50 at 1,000 / 10,000 (/ 100,000) documents.

    .venv/bin/python -m bench.scale [--sizes 1000 10000] [--full] [--runs 5] [--timeout 300]

For each size, over a generated corpus of that many documents (about 10 % of them a second
survey round of a city):

* ``citykg build``: wall time, peak RSS of its process tree, store size, quads;
* ``citykg serve`` on that store (query timeout and row cap raised so that every query runs to
  its end: ``--timeout``, ``--max-rows 100000000``; a local empty ``oxigraph serve`` stands in for
  Wikidata, so the three federated queries measure citykg's side and one local round trip);
* every canned query (``queries/*.rq``) through ``GET /queries/NAME.json``: one warm-up request,
  then ``--runs`` timed ones, one at a time (fewer once a query has used ``--budget`` seconds,
  at least one); the p50 (median of the timed requests) is reported with the row count, or the
  HTTP status of a query that failed (504: it ran past ``--timeout``). Two passes: *uncached*
  (``--response-cache 0 --answers none``: every request evaluated), then *as shipped* (the
  response cache on, and each build's canned answers precomputed by ``citykg serve`` in the
  background, ``server.web.precompute``): the pass waits until they are all computed (reported:
  how long that took, how many were kept) and reports the warm-up (first) request's time too.
  Parameters: none given where the metadata has a default or the parameter is optional (so the
  defaults apply); a required city is a city of the store (one with two rounds first), any other
  required parameter the metadata's example.

``--full`` adds 100,000 documents (slow today: expect the build to take tens of minutes).
Nothing is extrapolated: a size not run is not reported.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
import sys
import urllib.parse
from pathlib import Path

if not __package__:  # run as a file: put the project root (not bench/) on the path
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import psutil  # noqa: E402

from bench import _harness as h  # noqa: E402


def tree_rss_mb(pid: int) -> float:
    root = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20


def built_store(size: int, reuse: bool, stores: dict[int, Path]) -> tuple[Path, Path, dict]:
    """(work directory, store, build measures): built by ``citykg build`` now, or one built before
    (``--reuse``: the last build of this size; ``--store N=DIR``: any store of that corpus, its
    ``build.json`` beside it if any), whose build figures are then only informational."""
    work = h.VAR / "scale" / str(size)
    given = stores.get(size)
    if given is not None or (reuse and (work / "build.json").exists()):
        store = given or work / "store"
        record = (store.parent / "build.json") if (store.parent / "build.json").exists() else work / "build.json"
        built = json.loads(record.read_text()) if record.exists() else {}
        built.setdefault("reused", str(store))
        print(f"\n== {size} documents: reusing the store {store}", flush=True)
        return work, store, built
    print(f"\n== {size} documents: citykg build ...", flush=True)
    work, built = h.build_generated(f"scale/{size}", size)
    (work / "build.json").write_text(json.dumps(built, indent=1) + "\n")
    print(f"   {built['wall_s']:.1f} s, peak RSS {built['peak_rss_mb']:.0f} MiB, store {built['store_mb']:.0f} MiB, "
          f"{built['quads']} quads, {built['cities']} cities", flush=True)
    return work, work / "store", built


def time_queries(server: h.Server, cities: list[str], runs: int, timeout: float, budget: float,
                 fill: bool, only: set[str] | None = None) -> dict[str, dict]:
    """Every canned query's p50 (those named in ``only``, if given) over ``runs`` sequential
    requests after one warm-up (which, with ``fill``, is also what puts the answer in the
    response cache)."""
    queries: dict[str, dict] = {}
    for query in h.canned_queries():
        if only and query.name not in only:
            continue
        arguments = h.canned_arguments(query, cities)
        url = f"{server.url}/queries/{query.name}.json"
        if arguments:
            url += "?" + urllib.parse.urlencode(arguments)
        status, data, first = h.http_once(url, accept="application/json", timeout=timeout + 30)
        times: list[float] = []
        while status == 200 and len(times) < runs and (fill or not times or sum(times) / 1000 + first < budget):
            status, data, seconds = h.http_once(url, accept="application/json", timeout=timeout + 30)
            times.append(seconds * 1000)
        queries[query.name] = {"status": status, "rows": h.result_rows(data) if status == 200 else None,
                               "p50_ms": statistics.median(times) if times else None,
                               "runs": len(times), "min_ms": min(times, default=None),
                               "max_ms": max(times, default=None), "warm_up_ms": first * 1000,
                               "arguments": arguments,
                               "error": None if status == 200 else data[:300].decode("utf-8", "replace")}
        shown = f"{queries[query.name]['p50_ms']:.1f} ms (n={len(times)})" if times else f"HTTP {status}"
        print(f"   {query.name:32} {shown:>12}  rows {queries[query.name]['rows']}", flush=True)
    return queries


def wait_for_answers(answers: Path, store: Path, limit: float = 7200) -> dict:
    """Wait until ``citykg serve`` has precomputed the store's canned answers; their index."""
    index = answers / store.resolve().name / "index.json"
    started = time.monotonic()
    while not index.exists():
        if time.monotonic() - started > limit:
            raise SystemExit(f"no precomputed answers in {index.parent} after {limit:g} s")
        time.sleep(1)
    found = json.loads(index.read_text())
    print(f"   precomputed {len(found['kept'])} answers in {found['seconds']:.1f} s "
          f"(waited {time.monotonic() - started:.1f} s)", flush=True)
    return {"kept": len(found["kept"]), "seconds": found["seconds"], "left": found["left"]}


def run_size(size: int, runs: int, timeout: float, budget: float, reuse: bool = False,
             stores: dict[int, Path] | None = None, cached: bool = True, uncached: bool = True,
             only: set[str] | None = None) -> dict:
    work, store, built = built_store(size, reuse, stores or {})
    cities = h.sample_cities(store, 2)
    wikidata = h.Server("oxigraph serve (empty, as Wikidata)",
                        [h.tool("oxigraph"), "serve", "--bind", f"{h.HOST}:{(port := h.free_port())}"],
                        port, "/query?query=ASK%7B%7D", work / "wikidata.log")
    limits = ["--timeout", str(timeout), "--max-timeout", str(timeout), "--max-rows", "100000000",
              "--max-response", "1G", "--wikidata-endpoint"]
    result: dict = {"documents": size, "build": built}
    with wikidata:
        if uncached:
            print(f"   uncached (--response-cache 0 --answers none; load average {h.loadavg()}):", flush=True)
            with h.citykg_server(store, work / "citykg.log", *limits, f"{wikidata.url}/query", "--response-cache", "0",
                                 "--answers", "none") as server:
                result["queries"] = time_queries(server, cities, runs, timeout, budget, fill=False, only=only)
                result["serve_rss_mb_after_queries"] = tree_rss_mb(server.proc.pid)
        if cached:
            answers = work / "answers"
            shutil.rmtree(answers, ignore_errors=True)  # computed afresh, so its time is this run's
            print(f"   as shipped (response cache 1G, precomputed answers; load average {h.loadavg()}):", flush=True)
            with h.citykg_server(store, work / "citykg-cached.log", *limits, f"{wikidata.url}/query",
                                 "--response-cache", "1G", "--answers", str(answers)) as server:
                result["precomputed"] = wait_for_answers(answers, store)
                result["cached"] = time_queries(server, cities, runs, timeout, budget, fill=True, only=only)
                result.setdefault("serve_rss_mb_after_queries", tree_rss_mb(server.proc.pid))
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="corpus sizes (default 1000 10000)")
    ap.add_argument("--full", action="store_true", help="add 100000 documents")
    ap.add_argument("--runs", type=int, default=5, help="timed requests per canned query (default 5)")
    ap.add_argument("--timeout", type=float, default=120,
                    help="citykg serve query timeout, seconds (default 120): a slower query is reported as its 504")
    ap.add_argument("--reuse", action="store_true", help="use the store the last run built for a size (its build figures kept)")
    ap.add_argument("--store", action="append", default=[], metavar="N=DIR",
                    help="serve DIR as the store of N documents (built before, e.g. by another build); repeatable")
    ap.add_argument("--no-cached", action="store_true", help="leave out the pass as shipped (response cache, precomputed answers)")
    ap.add_argument("--no-uncached", action="store_true", help="leave out the pass with every request evaluated")
    ap.add_argument("--budget", type=float, default=60,
                    help="seconds per query after which no further timed request starts (default 60; at least one runs)")
    ap.add_argument("--queries", nargs="+", metavar="NAME", help="time only these canned queries (default: every one)")
    args = ap.parse_args(argv)
    known = {query.name for query in h.canned_queries()}
    if args.queries and not set(args.queries) <= known:
        ap.error(f"--queries: no canned query named {', '.join(sorted(set(args.queries) - known))}")
    sizes = sorted(set(args.sizes + ([100000] if args.full else [])))

    stores = {int(item.split("=", 1)[0]): Path(item.split("=", 1)[1]) for item in args.store}
    sizes = sorted(set(sizes) | set(stores))
    results = [run_size(size, args.runs, args.timeout, args.budget, args.reuse, stores, not args.no_cached,
                        not args.no_uncached, set(args.queries or ())) for size in sizes]

    def number(value: object, form: str = ",.0f") -> str:
        return "-" if value is None else format(value, form)

    print("\nbuild and store (targets for 100,000 documents: under 5 minutes and 2 GB; a reused store's figures are"
          " those of the build that made it)")
    build_table = h.table(
        ["documents", "cities", "quads", "build (s)", "build peak RSS (MiB)", "store (MiB)",
         "serve RSS after queries (MiB)", "store built by"],
        [[f"{r['documents']:,}", number(r['build'].get('cities')), number(r['build'].get('quads')),
          number(r['build'].get('wall_s'), ",.1f"), number(r['build'].get('peak_rss_mb')),
          number(r['build'].get('store_mb')), number(r.get('serve_rss_mb_after_queries')),
          r['build'].get('built_by') or ("this run" if "reused" not in r['build'] else "an earlier run")]
         for r in results])

    def cell(q: dict) -> str:
        if q["p50_ms"] is None:
            return f"over {args.timeout:.0f} s (HTTP 504)" if q["status"] == 504 else f"HTTP {q['status']}"
        n = "" if q["runs"] >= 3 else f", n={q['runs']}"
        value = f"{q['p50_ms']:,.0f}" if q["p50_ms"] >= 10 else f"{q['p50_ms']:.1f}"
        if q["rows"] is None:  # the warm-up answered, a timed request did not
            return f"{value} (then HTTP {q['status']}{n})"
        return f"{value} ({q['rows']:,} rows{n})"

    def first(q: dict) -> str:
        return f"{q['warm_up_ms']:,.1f}" if q["status"] == 200 or q["rows"] is not None else cell(q)

    print(f"\ncanned queries uncached (--response-cache 0 --answers none), p50 of {args.runs} sequential requests in ms "
          "(target: under 1,000 ms at 100,000 cities); then as shipped: p50, and the first request after the "
          "precomputed answers were ready")
    names = list(next(r.get("queries") or r["cached"] for r in results))
    headers = ["query"] + [f"{r['documents']:,} documents" for r in results if "queries" in r]
    headers += [f"{r['documents']:,} {kind}" for r in results if "cached" in r for kind in ("as shipped", "first request")]
    query_table = h.table(headers, [[name] + [cell(r["queries"][name]) for r in results if "queries" in r]
                                    + [text for r in results if "cached" in r
                                       for text in (cell(r["cached"][name]), first(r["cached"][name]))]
                                    for name in names])
    h.save("scale", {"args": vars(args), "sizes": results, "build_table": build_table, "query_table": query_table})
    return 0


if __name__ == "__main__":
    sys.exit(main())
