"""What every benchmark script shares: paths, the corpus cache, processes, RSS, wrk, results.

citykg is driven only through its stable surfaces: the ``citykg`` command (``build``, ``serve``),
HTTP, the ``queries/*.rq`` files and the mapper's public API. The peers are the ``oxigraph`` CLI,
``rdflib-endpoint``, pyoxigraph and rdflib from the same virtual environment.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
QUERIES = ROOT / "queries"
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk" / "request.lua"
HOST = "127.0.0.1"
BASE_IRI = "https://w3id.org/citykg/"
CIK = "https://w3id.org/citykg/ontology#"
SPARQL_JSON = "application/sparql-results+json"


# ------------------------------------------------------------------ tools and corpora

def tool(name: str) -> str:
    """A command of this virtual environment (beside the running python), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"bench: `{name}` not found; see bench/README.md (set-up)")
    return found


def corpus(count: int, seed: int = 13) -> Path:
    """The generated corpus of ``count`` documents, made once and kept under var/bench/corpus/."""
    from bench import gen_corpus

    out = VAR / "corpus" / f"{count}-seed{seed}"
    summary = out / "corpus.json"
    if summary.exists():
        made = json.loads(summary.read_text())
        if made.get("documents") == count and made.get("generator") == gen_corpus.generator_version():
            return out
    print(f"generating {count} documents into {out} ...", file=sys.stderr)
    gen_corpus.generate(count, out, seed, rounds=0.1, labels=False)
    return out


def documents(corpus_dir: Path) -> list[tuple[str, str, str]]:
    """(file name, text, generated rendering) of every document of a corpus, in corpus order."""
    lines = (corpus_dir / "truth.tsv").read_text(encoding="utf-8").splitlines()[1:]
    rows = [line.split("\t") for line in lines]
    return [(Path(row[0]).name, (corpus_dir / row[0]).read_text(encoding="utf-8"), row[2]) for row in rows]


def dir_size(path: Path) -> int:
    """Bytes of the files under ``path`` (a symlinked store is followed to its version)."""
    path = path.resolve()
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# ------------------------------------------------------------------ statistics and output

def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict:
    return {"n": len(values), "mean": sum(values) / len(values) if values else float("nan"),
            "p50": percentile(values, 50), "p99": percentile(values, 99)}


def ratio(ours: float, peer: float) -> str:
    """citykg / peer, as the issue writes it: for throughput higher is better (0.12x is behind),
    for times lower is better (a build at 10.7x takes 10.7 times as long)."""
    if not peer or math.isnan(ours) or math.isnan(peer):
        return "n/a"
    return f"{ours / peer:.2f}x"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (the README's format), printed and returned."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    text = "\n".join(lines)
    print(text)
    return text


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def loadavg() -> str:
    """The 1-minute load average: how busy the (shared) machine was."""
    return f"{os.getloadavg()[0]:.1f}"


def machine() -> dict:
    """Where and when: recorded beside every result."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for dist in ("citykg", "pyoxigraph", "oxigraph", "rdflib", "rdflib-endpoint", "flask", "waitress"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:  # not installed: say so rather than fail
            versions[dist] = None
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            check=False, capture_output=True, text=True).stdout.strip()
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
            "cpus": os.cpu_count(), "cpu": cpu_model(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "loadavg_1_5_15min": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version(),
            "versions": versions}


def save(name: str, result: dict) -> Path:
    """Write ``result`` (with the machine facts) to var/bench/results/<name>-<time>.json."""
    out = VAR / "results" / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), **result}, indent=1, ensure_ascii=False) + "\n")
    print(f"results: {out.relative_to(ROOT)}")
    return out


# ------------------------------------------------------------------ processes

class PeakRSS:
    """Samples the resident memory of a process and all its descendants; keeps the peak of the sum."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            total = 0
            try:
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
            except psutil.NoSuchProcess:
                break
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Run:
    """One measured command: wall time, peak RSS of its process tree, exit status, output."""

    args: list[str]
    wall: float
    peak_rss: int
    returncode: int
    stdout: str
    stderr: str


def measure(args: Sequence[str], log: Path | None = None, env: dict | None = None) -> Run:
    """Run a command to its end; stdout goes to ``log`` when given (citykg build prints a big table)."""
    args = [str(a) for a in args]
    out = open(log, "w") if log else subprocess.PIPE
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, **(env or {})})
        with PeakRSS(proc.pid) as rss:
            stdout, stderr = proc.communicate()
        wall = time.perf_counter() - start
    finally:
        if log:
            out.close()
    return Run(args, wall, rss.peak, proc.returncode, stdout or "", stderr)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A server process started (in its own process group) and stopped by the benchmark."""

    name: str
    args: list[str]
    port: int
    ready_path: str
    log: Path
    startup_timeout: float = 300.0
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen([str(a) for a in self.args], stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"bench: {self.name} exited with {self.proc.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=5) as answer:
                    if answer.status < 500:
                        return self
            except urllib.error.HTTPError as err:
                if err.code < 500:
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"bench: {self.name} not ready after {self.startup_timeout:.0f} s; see {self.log}")

    def __exit__(self, *exc) -> None:
        """Stop the process group this server started: TERM, then KILL after 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is the server's own pid
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait()
        try:  # workers that outlived their parent, still in the group
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def citykg_server(store: Path, log: Path, *extra: str) -> Server:
    port = free_port()
    return Server("citykg serve", [tool("citykg"), "serve", "--store", store, "--host", HOST, "--port", port, *extra],
                  port, "/sparql?query=ASK%7B%7D", log)


def oxigraph_server(store: Path, log: Path) -> Server:
    port = free_port()
    return Server("oxigraph serve-read-only",
                  [tool("oxigraph"), "serve-read-only", "--location", store.resolve(), "--bind", f"{HOST}:{port}",
                   "--union-default-graph"], port, "/query?query=ASK%7B%7D", log)


def rdflib_endpoint_server(nquads: Path, log: Path) -> Server:
    port = free_port()  # rdflib-endpoint answers at / (STACK-NOTES), union default graph
    return Server("rdflib-endpoint", [tool("rdflib-endpoint"), "serve", nquads, "--host", HOST, "--port", port],
                  port, "/?query=ASK%7B%7D", log, startup_timeout=1800)


# ------------------------------------------------------------------ citykg and its store

def citykg_build(docs: Path, store: Path, work: Path) -> dict:
    """``citykg build --store STORE DOCS``, measured; the store and its report replace older ones."""
    for old in (store, store.parent / f"{store.name}.d"):
        if old.is_symlink() or old.is_file():
            old.unlink()
        elif old.exists():
            shutil.rmtree(old)
    report = work / "build-report.json"
    run = measure([tool("citykg"), "build", "--store", store, docs, "--report", report], log=work / "build.log")
    if run.returncode != 0:
        raise SystemExit(f"bench: citykg build failed ({run.returncode}): {run.stderr[-2000:]}")
    totals = json.loads(report.read_text()).get("totals", {})
    return {"wall_s": run.wall, "peak_rss_mb": run.peak_rss / 2**20, "store_mb": dir_size(store) / 2**20,
            "quads": totals.get("quads"), "documents": totals.get("documents"), "read": totals.get("read"),
            "unread": totals.get("unread"), "cities": totals.get("cities")}


def build_generated(name: str, count: int) -> tuple[Path, dict]:
    """``citykg build`` of the generated corpus of ``count`` documents into var/bench/NAME/store.

    Returns the work directory (store, report and build log inside) and the build's measures."""
    work = VAR / name
    work.mkdir(parents=True, exist_ok=True)
    return work, citykg_build(corpus(count) / "pages", work / "store", work)


def open_store(store: Path):
    """The built store, read-only, through pyoxigraph (the store is a plain Oxigraph directory)."""
    from pyoxigraph import Store

    return Store.read_only(str(store.resolve()))


def dump_nquads(store: Path, out: Path) -> int:
    """Every quad of the built store as N-Quads (the peers' input); returns the quad count."""
    from pyoxigraph import RdfFormat

    db = open_store(store)
    db.dump(str(out), RdfFormat.N_QUADS)
    return len(db)


def sample_cities(store: Path, count: int = 2) -> list[str]:
    """City IRIs to ask about: those with several snapshot graphs first (rounds), in IRI order."""
    rows = open_store(store).query(
        f"""SELECT ?city (COUNT(?s) AS ?n) WHERE {{ GRAPH ?s {{ ?s a <{CIK}Snapshot> ;
              <http://purl.org/dc/terms/subject> ?city }} }} GROUP BY ?city ORDER BY DESC(?n) ?city LIMIT {count}""")
    return [row["city"].value for row in rows]


# ------------------------------------------------------------------ canned queries (queries/*.rq)

@dataclass
class Canned:
    name: str
    required: dict[str, str]  # parameter -> type, for required parameters without a default
    text: str
    metadata: dict


def canned_queries() -> list[Canned]:
    """The canned queries with their ``#+`` metadata (grlc decorators) and required parameters."""
    import yaml

    found = []
    for path in sorted(QUERIES.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        header = "\n".join(line[3:] for line in text.splitlines() if line.startswith("#+ ") or line == "#+")
        meta = yaml.safe_load(header) or {}
        defaults = {k for d in meta.get("defaults") or [] for k in d}
        required = {m.group(1): m.group(2) for m in re.finditer(r"\?_(?!_)(\w+?)_(iri|string|integer|decimal|boolean)\b", text)}
        found.append(Canned(path.stem, {k: v for k, v in required.items() if k not in defaults}, text, meta))
    return found


def canned_arguments(query: Canned, cities: list[str]) -> dict[str, str]:
    """Values for the required parameters: a store city for city parameters, else the example's."""
    args, city_iter = {}, iter(cities * 2)
    params = query.metadata.get("params") or {}
    for name in query.required:
        spec = params.get(name) or {}
        if spec.get("class") == "cik:City":
            args[name] = next(city_iter)
        else:
            args[name] = str((query.metadata.get("example") or {})[name])
    return args


# ------------------------------------------------------------------ HTTP

def form_body(query: str) -> bytes:
    return urllib.parse.urlencode({"query": query}).encode()


def http_once(url: str, body: bytes | None = None, accept: str = SPARQL_JSON, timeout: float = 600) -> tuple[int, bytes, float]:
    """One request; returns (status, body, seconds)."""
    headers = {"Accept": accept}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            data, status = answer.read(), answer.status
    except urllib.error.HTTPError as err:
        data, status = err.read(), err.code
    return status, data, time.perf_counter() - start


def result_rows(data: bytes) -> int | None:
    """Rows of a SPARQL JSON result or of citykg's canned-query JSON; None if neither."""
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    if "results" in doc:
        return len(doc["results"]["bindings"])
    if "rows" in doc:
        return len(doc["rows"])
    return None


def wrk(url: str, *, body_file: Path | None = None, accept: str = SPARQL_JSON, duration: float = 8,
        connections: int = 8, threads: int = 1, timeout: float = 60) -> dict:
    """Load ``url`` with wrk (``connections`` keep-alive connections) for ``duration`` seconds.

    POST with ``body_file`` as a form-encoded body, else GET. Returns requests/s, latency p50 and
    p99 in ms, and the error counts; non-2xx answers count as errors (never as throughput).
    """
    method = "POST" if body_file else "GET"
    args = [tool("wrk"), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", f"--timeout={int(timeout)}s",
            "-s", WRK_SCRIPT, url, "--", method, str(body_file or ""), accept]
    done = subprocess.run([str(a) for a in args], check=False, capture_output=True, text=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"bench: wrk failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")
    raw = json.loads(line[len("WRK_JSON "):])
    seconds = raw["duration_us"] / 1e6
    errors = raw["errors_status"] + raw["errors_timeout"] + raw["errors_connect"] + raw["errors_read"]
    answered = raw["requests"] - raw["errors_status"]  # wrk counts a non-2xx/3xx answer as a request too
    return {"requests": raw["requests"], "req_s": answered / seconds if seconds else 0.0,
            "p50_ms": raw["p50_us"] / 1000, "p99_ms": raw["p99_us"] / 1000, "errors": errors,
            "errors_status": raw["errors_status"], "errors_timeout": raw["errors_timeout"], "seconds": seconds}
