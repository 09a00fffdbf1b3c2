"""Profiles (py-spy) of the mapper over a corpus and of citykg serve's request path under load.

    .venv/bin/python -m bench.profile [--docs 1000] [--passes 3] [--http-docs 200] [--duration 10]

Writes to var/bench/profile/ (gitignored), for each profile, a flame graph (``NAME.svg``, open it
in a browser), the collapsed stacks (``NAME.raw``, for speedscope, inferno or flamegraph.pl) and
``NAME.txt``, the summary this script also prints:

* **innermost project line**: each sample charged to the deepest frame in citykg's own code
  (``mapper/``, ``server/``), file:line - where in our code the time goes, callees included;
* **leaf**: the frame actually running (library code included: ``re``, pydantic, pyoxigraph...);
* **inclusive by project function**: share of samples with the function anywhere on the stack.

Profiles:

1. ``mapper``: ``read_snapshot`` + ``snapshot_nquads`` over every document of the generated corpus,
   ``--passes`` times, in a child process sampled by ``py-spy record`` (500 Hz);
2. ``serve-cheap-*`` and ``serve-canned-*``: ``citykg serve`` (and its query workers:
   ``--subprocesses``) sampled while wrk loads it with 8 connections for ``--duration`` seconds,
   with the cheap ad-hoc query (one city's properties: the per-request overhead dominates) and
   with ``GET /queries/data-sufficiency-matrix.json``; each twice: ``-wall`` samples every thread
   that is not idle (native query evaluation included, but a thread blocked in a pipe or a lock
   may still be counted), ``-gil`` only the thread holding the GIL (the Python work per request).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

if not __package__:  # run as a file: put the project root (not bench/) on the path
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import _harness as h  # noqa: E402

OUT = h.VAR / "profile"
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]+(?::[^():]+)?):(?P<line>\d+)\)$")
PROJECT = ("mapper/", "server/")


def mapper_loop(corpus: Path, passes: int) -> None:
    """The profiled work: every document through the mapper, ``passes`` times."""
    from mapper import UnreadableDocument, read_snapshot
    from mapper.rdf import snapshot_nquads

    docs = h.documents(corpus)
    for _ in range(passes):
        for name, text, _ in docs:
            try:
                snapshot_nquads(read_snapshot(text, name))
            except UnreadableDocument:
                pass


def relative(path: str) -> str:
    """A frame's file relative to the project, or to site-packages, or as py-spy printed it."""
    root = str(h.ROOT) + "/"
    if path.startswith(root):
        return path[len(root):]
    marker = "site-packages/"
    return path[path.index(marker) + len(marker):] if marker in path else path


def summarise(raw: Path, top: int = 15) -> str:
    """Summary of collapsed stacks (``frame;frame;... count`` lines) as three ranked lists."""
    innermost, leaf, inclusive = Counter(), Counter(), Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = []
        for text in stack.split(";"):
            m = FRAME.match(text)
            if m:
                frames.append((m["func"], relative(m["file"]), int(m["line"])))
        if not frames:
            continue
        func, file, line_no = frames[-1]
        leaf[f"{file}:{line_no} {func}"] += n
        ours = [f for f in frames if f[1].startswith(PROJECT)]
        if ours:
            func, file, line_no = ours[-1]
            innermost[f"{file}:{line_no} {func}"] += n
        else:
            innermost["(no citykg frame: interpreter, libraries, idle loops)"] += n
        for func, file in {(f[0], f[1]) for f in ours}:
            inclusive[f"{file} {func}"] += n

    def ranked(title: str, counter: Counter) -> list[str]:
        lines = [f"{title}:"]
        for key, n in counter.most_common(top):
            lines.append(f"  {100 * n / total:5.1f}%  {key}")
        return lines

    text = [f"{raw.name}: {total} samples"]
    text += ranked("innermost project line (callees included)", innermost)
    text += ranked("leaf frame (any code)", leaf)
    text += ranked("inclusive, by project function", inclusive)
    return "\n".join(text) + "\n"


def record(name: str, target: list[str], rate: int, duration: float | None = None) -> str:
    """py-spy record ``target`` (a command after ``--``, or ``--pid P``) as raw stacks and as SVG, at once."""
    OUT.mkdir(parents=True, exist_ok=True)
    spy = h.tool("py-spy")
    timing = ["--duration", str(int(duration))] if duration else []
    runs = []
    for fmt, suffix in (("raw", "raw"), ("flamegraph", "svg")):
        args = [spy, "record", "--rate", str(rate), "--format", fmt, "-o", OUT / f"{name}.{suffix}", *timing, *target]
        runs.append(subprocess.Popen([str(a) for a in args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        if "--" in target:  # a command is run once per format: profile them one after the other
            runs[-1].wait()
    for run in runs:
        if run.wait() != 0:
            raise SystemExit(f"bench: py-spy failed: {run.stderr.read()[-1500:]}")
    text = summarise(OUT / f"{name}.raw")
    (OUT / f"{name}.txt").write_text(text, encoding="utf-8")
    return text


def profile_mapper(docs: int, passes: int) -> str:
    corpus = h.corpus(docs)
    target = ["--", sys.executable, "-m", "bench.profile", "--mapper-loop", str(corpus), "--passes", str(passes)]
    return record("mapper", target, rate=500)


def load_into(out: dict, url: str, body_file: Path | None, accept: str, duration: float) -> None:
    """wrk in a thread (while py-spy samples the server): its measures land in ``out``."""
    out.update(h.wrk(url, body_file=body_file, accept=accept, duration=duration))


def profile_serve(docs: int, duration: float) -> list[str]:
    work, built = h.build_generated("profile/serve", docs)
    city = h.sample_cities(work / "store", 1)[0]
    body = work / "cheap.body"
    body.write_bytes(h.form_body(f"SELECT DISTINCT ?p ?o WHERE {{ <{city}> ?p ?o }}"))
    texts = []
    with h.citykg_server(work / "store", work / "citykg.log") as server:
        for name, path, body_file, accept in (
                ("serve-cheap", "/sparql", body, h.SPARQL_JSON),
                ("serve-canned", "/queries/data-sufficiency-matrix.json", None, "application/json")):
            h.wrk(server.url + path, body_file=body_file, accept=accept, duration=2)  # warm-up
            for mode, flags in (("wall", []), ("gil", ["--gil"])):
                load: dict = {}
                worker = threading.Thread(target=load_into, args=(load, server.url + path, body_file, accept, duration + 2))
                worker.start()
                time.sleep(1)
                profile = f"{name}-{mode}"
                text = record(profile, ["--pid", str(server.proc.pid), "--subprocesses", "--nonblocking", *flags],
                              rate=200, duration=duration)
                worker.join()
                header = (f"{profile}: {built['quads']} quads; under load {load.get('req_s', 0):.0f} req/s, "
                          f"p50 {load.get('p50_ms', 0):.1f} ms, {load.get('errors', 0)} errors\n")
                (OUT / f"{profile}.txt").write_text(header + text, encoding="utf-8")
                texts.append(header + text)
    return texts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=1000, help="documents for the mapper profile (default 1000)")
    ap.add_argument("--passes", type=int, default=3, help="passes over them (default 3)")
    ap.add_argument("--http-docs", type=int, default=200, help="documents in the served store (default 200)")
    ap.add_argument("--duration", type=float, default=10, help="seconds of sampling per server profile (default 10)")
    ap.add_argument("--only", choices=("mapper", "serve"), help="one of the two profiles")
    ap.add_argument("--mapper-loop", type=Path, help=argparse.SUPPRESS)  # the child process profile_mapper samples
    args = ap.parse_args(argv)
    if args.mapper_loop:
        mapper_loop(args.mapper_loop, args.passes)
        return 0
    if args.only in (None, "mapper"):
        print(profile_mapper(args.docs, args.passes))
    if args.only in (None, "serve"):
        for text in profile_serve(args.http_docs, args.duration):
            print(text)
    print(f"profiles: {OUT.relative_to(h.ROOT)}/ (*.svg flame graphs, *.raw collapsed stacks, *.txt summaries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
