"""Mapper time per document vs rdflib parsing the same documents' Turtle, and the < 1 ms target.

    .venv/bin/python -m bench.parse [--docs 2000] [--repeat 1] [--long-lists 400 800 10000]

Over a generated corpus (every rendering, truncated copies included), in one process:

* citykg mapper: ``read_snapshot(text, name)`` (text to pydantic model) and, separately timed,
  ``snapshot_quads(snapshot)`` (model to quads): the mapper's whole job is their sum;
* peer: rdflib ``Graph().parse(data=turtle, format="turtle")`` of each document's own quads
  serialised as Turtle (with prefixes) - the cost of reading the same facts from a standard
  format with rdflib's parser; pyoxigraph's parser on the same Turtle is printed for reference;
* target: the issue's < 1 ms per document.

Documents are read from memory (no file I/O timed), after a warm-up of 20 documents (imports,
vocabulary loading). Prints mean, p50 and p99 per document for each, the ratios, and the mean
mapper time per rendering. Documents the mapper refuses count in the timings (the time to refuse).

``--long-lists N ...``: instead, the time to read seed 000 with its partnership sentence listing
N partner names (issue 9: list splitting was about cubic, 400 names 9 s, 800 names 80 s), each
size read 3 times (best kept), and the number of partners read (N + 1).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

if not __package__:  # run as a file: put the project root (not bench/) on the path
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import _harness as h  # noqa: E402

PREFIXES = {"cik": h.CIK, "ckg": h.BASE_IRI, "city": h.BASE_IRI + "city/", "person": h.BASE_IRI + "person/",
            "vocab": h.BASE_IRI + "vocab/", "snapshot": h.BASE_IRI + "snapshot/", "schema": "http://schema.org/",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "xsd": "http://www.w3.org/2001/XMLSchema#",
            "skos": "http://www.w3.org/2004/02/skos/core#", "prov": "http://www.w3.org/ns/prov#",
            "dct": "http://purl.org/dc/terms/"}


def ms(stats: dict) -> str:
    return f"{stats['mean']:.3f} / {stats['p50']:.3f} / {stats['p99']:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=2000, help="documents in the generated corpus (default 2000)")
    ap.add_argument("--repeat", type=int, default=1, help="passes over the corpus (default 1)")
    ap.add_argument("--long-lists", type=int, nargs="+", metavar="N", help="time list sentences of N items instead")
    args = ap.parse_args(argv)
    if args.long_lists:
        return long_lists(args.long_lists)

    import rdflib
    from pyoxigraph import RdfFormat, parse, serialize

    from mapper import UnreadableDocument, read_snapshot
    from mapper.rdf import snapshot_quads

    docs = h.documents(h.corpus(args.docs))
    for name, text, _ in docs[:20]:  # warm-up: imports, vocabularies, compiled patterns
        try:
            snapshot_quads(read_snapshot(text, name))
        except UnreadableDocument:
            pass

    read_ms, quads_ms, mapper_ms, turtles = [], [], [], []
    by_rendering: dict[str, list[float]] = defaultdict(list)
    unread = 0
    for _ in range(args.repeat):
        turtles.clear()
        for name, text, rendering in docs:
            t0 = time.perf_counter()
            try:
                snapshot = read_snapshot(text, name)
            except UnreadableDocument:
                unread += 1
                mapper_ms.append((time.perf_counter() - t0) * 1000)
                continue
            t1 = time.perf_counter()
            quads = snapshot_quads(snapshot)
            t2 = time.perf_counter()
            read_ms.append((t1 - t0) * 1000)
            quads_ms.append((t2 - t1) * 1000)
            mapper_ms.append((t2 - t0) * 1000)
            by_rendering[rendering].append((t2 - t0) * 1000)
            turtles.append(serialize([q.triple for q in quads], format=RdfFormat.TURTLE, prefixes=PREFIXES))

    rdflib_ms, oxigraph_ms = [], []
    for _ in range(args.repeat):
        for turtle in turtles:
            t0 = time.perf_counter()
            rdflib.Graph().parse(data=turtle, format="turtle")
            rdflib_ms.append((time.perf_counter() - t0) * 1000)
        for turtle in turtles:
            t0 = time.perf_counter()
            list(parse(turtle, format=RdfFormat.TURTLE))
            oxigraph_ms.append((time.perf_counter() - t0) * 1000)

    mapper, rdf = h.summary(mapper_ms), h.summary(rdflib_ms)
    turtle_kb = sum(len(t) for t in turtles) / len(turtles) / 1024
    text_kb = sum(len(t.encode()) for _, t, _ in docs) / len(docs) / 1024
    print(f"{len(docs)} documents x {args.repeat} ({text_kb:.1f} KiB of text each on average, {unread // args.repeat} "
          f"refused); their Turtle: {turtle_kb:.1f} KiB each on average")
    rows = [
        ["citykg mapper: read_snapshot + snapshot_quads", ms(mapper), "", ""],
        ["  of which read_snapshot (text to model)", ms(h.summary(read_ms)), "", ""],
        ["  of which snapshot_quads (model to quads)", ms(h.summary(quads_ms)), "", ""],
        ["rdflib: parse the document's Turtle", ms(rdf), h.ratio(mapper["mean"], rdf["mean"]), ""],
        ["target (issue 13)", "< 1 ms mean", "", h.ratio(mapper["mean"], 1.0)],
        ["pyoxigraph: parse the same Turtle (reference)", ms(h.summary(oxigraph_ms)),
         h.ratio(mapper["mean"], h.summary(oxigraph_ms)["mean"]), ""],
    ]
    print("\nms per document (mean / p50 / p99); ratio = citykg mapper time / the row's time (lower is better)")
    markdown = h.table(["", "mean / p50 / p99 (ms)", "mapper vs peer", "mapper vs target"], rows)
    print("\nmapper ms per document by generated rendering (mean / p50 / p99):")
    renderings = h.table(["rendering", "documents", "mean / p50 / p99 (ms)"],
                         [[r, len(v), ms(h.summary(v))] for r, v in sorted(by_rendering.items())])
    h.save("parse", {"args": vars(args), "mapper_ms": mapper, "read_snapshot_ms": h.summary(read_ms),
                     "snapshot_quads_ms": h.summary(quads_ms), "rdflib_turtle_ms": rdf,
                     "pyoxigraph_turtle_ms": h.summary(oxigraph_ms), "unread": unread,
                     "by_rendering": {r: h.summary(v) for r, v in by_rendering.items()},
                     "table": markdown, "renderings_table": renderings})
    return 0


def long_lists(sizes: list[int]) -> int:
    """Seed 000 with N partner names in its partnership sentence: seconds to read, partners read."""
    import re

    from mapper import read_snapshot

    seed = (h.ROOT / "seeds" / "000_25ed298be2eb3bc2.txt").read_text(encoding="utf-8")
    sentence = re.compile(r"(has developed partnerships to promote its innovation capacity with ).*")
    rows = []
    for size in sizes:
        names = ", ".join(f"Partner Organisation {i}" for i in range(size)) + ", and universities."
        page = sentence.sub(lambda match: match.group(1) + names, seed)
        best, partners = float("inf"), 0
        for _ in range(3):
            start = time.perf_counter()
            partners = len(read_snapshot(page, "long-list.txt").partners)
            best = min(best, time.perf_counter() - start)
        rows.append([f"{size:,}", f"{best:.3f}", f"{partners:,}"])
    markdown = h.table(["items in the sentence", "read_snapshot (s, best of 3)", "partners read"], rows)
    h.save("parse-long-lists", {"sizes": sizes, "table": markdown})
    return 0


if __name__ == "__main__":
    sys.exit(main())
