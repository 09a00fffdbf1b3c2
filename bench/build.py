"""`citykg build` of N documents vs pyoxigraph `Store.bulk_load` of the same quads, in one run.

    .venv/bin/python -m bench.build [--docs 2000]

1. ``citykg build --store STORE DOCS --report R`` over a generated corpus: wall time of the whole
   command, quads (from its report), peak resident memory of its process tree (sampled every
   50 ms), size of the store directory it leaves;
2. the built store dumped once as N-Quads (not timed);
3. peer: a fresh ``python`` process that runs ``Store(DIR).bulk_load(path=NQ, format=N_QUADS)``
   (then flushes), measured the same way (wall time of the process; the bulk_load call alone is
   printed too), and the size of its store.

The ratio is citykg's time (or memory, or size) over the peer's: the issue's target is a build
in at most 2x the time of ``bulk_load`` of the same quads. Each side's CPU time (user + system,
of the process and every process it waited for: the build's readers and loader included) is
printed too, with the load average when it started: on a machine shared with other work the
wall times scatter with the load, the CPU times much less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
from pathlib import Path

if not __package__:  # run as a file: put the project root (not bench/) on the path
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import _harness as h  # noqa: E402

BULK_LOAD = """
import json, sys, time
from pyoxigraph import RdfFormat, Store
start = time.perf_counter()
store = Store(sys.argv[2])
store.bulk_load(path=sys.argv[1], format=RdfFormat.N_QUADS)
store.flush()
print(json.dumps({"bulk_load_s": time.perf_counter() - start, "quads": len(store)}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=2000, help="documents in the generated corpus (default 2000)")
    args = ap.parse_args(argv)

    load, before = os.getloadavg()[0], _children_cpu()
    work, ours = h.build_generated("build", args.docs)
    ours.update(cpu_s=_children_cpu() - before, load_1min=load)
    nquads = work / "store.nq"
    quads = h.dump_nquads(work / "store", nquads)

    peer_store = work / "bulk-load-store"
    shutil.rmtree(peer_store, ignore_errors=True)
    load, before = os.getloadavg()[0], _children_cpu()
    run = h.measure([sys.executable, "-c", BULK_LOAD, nquads, peer_store])
    cpu = _children_cpu() - before
    if run.returncode != 0:
        raise SystemExit(f"bench: bulk_load failed: {run.stderr[-2000:]}")
    inner = json.loads(run.stdout)
    peer = {"wall_s": run.wall, "bulk_load_s": inner["bulk_load_s"], "peak_rss_mb": run.peak_rss / 2**20,
            "store_mb": h.dir_size(peer_store) / 2**20, "quads": inner["quads"],
            "cpu_s": cpu, "load_1min": load}

    print(f"{args.docs} documents ({ours['read']} read, {ours['unread']} unread, {ours['cities']} cities), "
          f"{quads} quads ({nquads.stat().st_size / 2**20:.1f} MiB of N-Quads)")
    rows = [
        ["wall time (s)", f"{ours['wall_s']:.2f}", f"{peer['wall_s']:.2f} (bulk_load call {peer['bulk_load_s']:.2f})",
         h.ratio(ours["wall_s"], peer["wall_s"])],
        ["CPU time (s)", f"{ours['cpu_s']:.2f}", f"{peer['cpu_s']:.2f}", h.ratio(ours["cpu_s"], peer["cpu_s"])],
        ["load average at start (1 min)", f"{ours['load_1min']:.2f}", f"{peer['load_1min']:.2f}", ""],
        ["documents / s", f"{args.docs / ours['wall_s']:.0f}", "", ""],
        ["quads", ours["quads"], peer["quads"], ""],
        ["peak RSS (MiB)", f"{ours['peak_rss_mb']:.0f}", f"{peer['peak_rss_mb']:.0f}", h.ratio(ours["peak_rss_mb"], peer["peak_rss_mb"])],
        ["store size (MiB)", f"{ours['store_mb']:.1f}", f"{peer['store_mb']:.1f}", h.ratio(ours["store_mb"], peer["store_mb"])],
    ]
    markdown = h.table(["", "citykg build", "pyoxigraph bulk_load (own process)", "ratio"], rows)
    h.save("build", {"args": vars(args), "citykg": ours, "bulk_load": peer, "table": markdown})
    return 0


def _children_cpu() -> float:
    """User + system CPU seconds of every child process waited for so far (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main())
