"""Precomputed answers: every canned query's default answer, computed once per build and kept
on disk, so a query that scans every city answers in milliseconds however large the store.

At 100,000 documents most canned queries take 6 s to over 30 s in pyoxigraph (bench/README.md,
"Scale"), past the endpoint's timeout, so the in-memory response cache (``server.web.caching``)
never gets their answers, and a 15 MB answer would crowd it anyway. Their default answers depend
only on the build, so they are computed once per build, in the background, and served from files:

- **What.** ``GET /queries/NAME.json`` and ``/queries/NAME.csv`` without a query string, for every
  canned query that answers 200 without parameters (not those that need one, nor federated ones,
  whose answers depend on Wikidata). The format is fixed by the suffix, so Accept does not change
  these answers.
- **How.** A child process (niced, so serving comes first) opens the build's own version
  directory (pinning it: a rebuild meanwhile cannot delete it), makes the same app with one query
  worker and a longer timeout (``--precompute-timeout``; the texts are the project's own, not a
  client's) and asks it each path; the answers are the app's own bytes, headers and status.
- **Where.** ``ANSWERS/<build id>/`` (``server.web.shelf``), with ``index.json`` (what was kept,
  what was not and why, how long it took) once the build is done.
- **Serving.** The caching middleware asks its response cache, then the shelf, before computing
  an answer (a shelf answer, once read, is kept in the response cache); a kept answer gets the
  same validators (ETag, Last-Modified, 304) and gzip as any other. A rebuild
  changes the build id, so nothing of an older build is ever served; :class:`Precomputer`
  (a thread of ``citykg serve``) starts the child for each new build and removes older shelves.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from server.web.caching import PER_RESPONSE_HEADERS
from server.web.shelf import SUFFIXES, Shelf, shelf_name

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # how often the supervisor looks for a new build
NICENESS = 19  # the child runs below serving (the query workers' heavy lane is at 10)
DEFAULT_TIMEOUT = 600.0  # seconds per query while precomputing
MEMORY_FACTOR = 4  # the child's query worker may use this many times a serving worker's memory


# --- computing a build's answers (the child process) ------------------------------------------


def precompute(version_dir: Path, root: Path, config: Mapping[str, Any], timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Ask an app over ``version_dir`` (one worker, ``timeout`` per query) for every canned
    query's default JSON and CSV; keep each 200 that may be cached; return the index written."""
    from server.web.app import close_app, create_app
    from server.web.context import EXECUTOR
    from server.web.views.queries import EXTENSION

    memory = config.get("CITYKG_WORKER_MEMORY")
    app = create_app({
        **config,
        "CITYKG_STORE": str(version_dir),
        "CITYKG_TIMEOUT": timeout, "CITYKG_MAX_TIMEOUT": timeout,
        "CITYKG_WORKERS": 1, "CITYKG_HEAVY_WORKERS": 0, "CITYKG_PER_CLIENT": None,
        "CITYKG_RESPONSE_CACHE": 0, "CITYKG_WIKIDATA_ENDPOINT": "none",
        "CITYKG_WORKER_MEMORY": int(memory) * MEMORY_FACTOR if memory else None,
        "CITYKG_ANSWERS": None,
    })
    lanes = app.extensions[EXECUTOR]
    lanes.run = _last_answer_kept(lanes.run)  # the JSON and the CSV of a query: one evaluation
    shelf, version = Shelf(root), str(version_dir)
    kept: list[str] = []
    left: dict[str, str] = {}
    started = time.monotonic()
    try:
        client = app.test_client()
        for name in sorted(app.extensions[EXTENSION].queries):
            for suffix in SUFFIXES:
                path = f"/queries/{name}{suffix}"
                answer = client.get(path)
                no_store = "no-store" in answer.headers.get("Cache-Control", "")
                if answer.status_code == 200 and not no_store:
                    headers = [(header, value) for header, value in answer.headers.items()
                               if header.lower() not in PER_RESPONSE_HEADERS]
                    shelf.put(version, path, headers, answer.get_data())
                    kept.append(path)
                else:
                    why = "federated (answers depend on Wikidata)" if no_store else _error_text(answer)
                    left[path] = f"{answer.status_code}: {why}"
    finally:
        close_app(app)
    index = {"version": shelf_name(version), "kept": kept, "left": left,
             "seconds": round(time.monotonic() - started, 3)}
    shelf.finish(version, index)
    return index


def _last_answer_kept(run: Callable[..., Any]) -> Callable[..., Any]:
    """``run`` that answers a request equal to the one before from that answer (both formats of a
    canned query send the same request)."""
    last: list[Any] = []

    def remembered(request: Any, timeout: float | None = None) -> Any:
        if last and last[0] == (request, timeout):
            return last[1]
        answer = run(request, timeout)
        last[:] = [(request, timeout), answer]
        return answer

    return remembered


def _error_text(answer: Any) -> str:
    try:
        return str(answer.get_json(silent=True)["error"])
    except (TypeError, KeyError):
        return answer.get_data(as_text=True)[:200]


def main(argv: list[str] | None = None) -> int:
    """``python -m server.web.precompute VERSION_DIR ANSWERS CONFIG_JSON``: the child's entry."""
    parser = argparse.ArgumentParser(prog="python -m server.web.precompute")
    parser.add_argument("version_dir", type=Path)
    parser.add_argument("answers", type=Path)
    parser.add_argument("config", help="the serving app's settings, as JSON")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    args = parser.parse_args(argv)
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    index = precompute(args.version_dir, args.answers, json.loads(args.config), args.timeout)
    print(f"citykg: precomputed {len(index['kept'])} answers for build {index['version']} in {index['seconds']:g} s"
          f" ({len(index['left'])} left to the app)", file=sys.stderr, flush=True)
    return 0


# --- the supervisor (a thread of citykg serve) ------------------------------------------------

# settings the child passes on to its own app (the limits that shape an answer's bytes)
PASSED_ON = ("CITYKG_MAX_ROWS", "CITYKG_MAX_RESPONSE", "CITYKG_MAX_NESTING", "CITYKG_WORKER_MEMORY",
             "CITYKG_BASE_IRI", "CITYKG_PUBLIC_URL", "CITYKG_SERVICE_ALLOWLIST", "CITYKG_NETWORK_GUARD", "CITYKG_QUERIES_DIR")


class Precomputer:
    """Keeps the shelf in step with the store: for each new build, one child computing its
    answers; older builds' answers removed. ``current`` gives the store's version now;
    ``warm``, if given, is called once per new build after the child starts (the serving app's
    own per-build state, read before a request needs it)."""

    def __init__(self, shelf: Shelf, current: Callable[[], str], config: Mapping[str, Any],
                 timeout: float = DEFAULT_TIMEOUT, warm: Callable[[], None] | None = None) -> None:
        self.shelf, self.current, self.timeout, self.warm = shelf, current, timeout, warm
        self.config = {key: _jsonable(config.get(key)) for key in PASSED_ON if config.get(key) is not None}
        self._seen: str | None = None  # the last build this supervisor acted on (once per build)
        self._child: subprocess.Popen | None = None
        self._child_version: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="citykg-precompute", daemon=True)

    def start(self) -> Precomputer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._end_child()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # the supervisor must not die: serving goes on without it
                log.exception("precomputing answers")
            self._stop.wait(POLL_SECONDS)

    def step(self) -> None:
        """One look: reap a finished child or stop one whose build was replaced; for a build not
        seen before, remove older answers, start its child (once: a failing query set is not
        retried in a loop) unless its answers are complete, and read the app's state ahead."""
        version = self.current()
        child = self._child
        if child is not None and child.poll() is not None:
            if child.returncode != 0:
                log.warning("precomputing answers for %s failed (exit status %s)",
                            shelf_name(self._child_version or version), child.returncode)
            self._child = None
        elif child is not None and self._child_version != version:
            self._end_child()  # the build it computed for is replaced
        if version == self._seen:
            return
        self._seen = version
        self.shelf.prune(keep=version)
        if self.shelf.complete(version) is None:
            self._child_version = version
            self._child = subprocess.Popen(
                [sys.executable, "-m", "server.web.precompute", version, str(self.shelf.root), json.dumps(self.config),
                 "--timeout", str(self.timeout)],
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        if self.warm is not None:
            self.warm()

    def _end_child(self) -> None:
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


if __name__ == "__main__":
    sys.exit(main())
