"""Reading documents for a build: each under a time and size budget, in a pool of processes.

One document is read by :func:`read_document`: its size checked before it is opened, its bytes
decoded or converted (``mapper.convert``), the snapshot parsed (``mapper.read_snapshot``),
mapped to quads (``mapper.rdf``) and written as N-Quads, and its city matched to Wikidata. The
outcome is a :class:`DocumentRead` or a :class:`DocumentUnread` that names the document and
the reason: every input is either read or refused with a reason in words, never a traceback.

:class:`ReaderPool` runs ``read_document`` in one process per core (forked, so the
vocabularies and the gazetteer loaded by the build are shared, not reloaded), keeps each
worker busy with a small queue, and gives the outcomes back in document order, so a parallel
build is the same build as a sequential one. The time budget is kept twice: a worker stops a
document that overruns it (a timer signal, which interrupts Python code and regular expressions)
and the pool kills a worker that does not answer within the budget and a grace period (stuck in
native code), restarts it, and reports that document as over budget. A worker that dies (out of
memory, a crash) costs only the document it was reading.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from mapper import MapperError, Snapshot, read_snapshot
from mapper.convert import ConversionError, decode_text, html_to_text, is_pdf, pdf_to_text
from mapper.rdf import free_text_values, snapshot_id, snapshot_nquads
from mapper.reconcile import Reconciler, SnapshotMatches, city_iri

MIB = 1 << 20


@dataclass(frozen=True)
class Budget:
    """What one document may cost. Over it, the document is reported unread and the build goes on."""

    seconds: float = 20.0  # wall time to read one document (a snapshot takes milliseconds)
    max_bytes: int = 20 * MIB  # file size, checked before the file is opened (a saved page or PDF: < 5 MB)
    max_pdf_pages: int = 50  # pages of a PDF, checked before its text is extracted (a snapshot: 4-8)

    def describe(self) -> str:
        return f"{self.seconds:g} s, {self.max_bytes / MIB:g} MiB, {self.max_pdf_pages} PDF pages per document"


@dataclass(frozen=True)
class Task:
    """One document to read, with what the worker needs to know about it."""

    path: str
    source: str  # the name given to the mapper (dct:source)
    base: str
    manifest: dict | None = None  # its entry in the fetch manifest beside it: url, retrieved, sha256


@dataclass
class DocumentRead:
    """What a document gave: its graph as N-Quads and what the build report says of it."""

    graph_id: str  # the snapshot's own id; the build may number it (``-2``) when another has it
    nquads: bytes  # the snapshot's graph, N-Quads
    quads: int  # distinct quads in it
    city_iri: str
    city: str
    country: str | None
    rendering: str
    survey_round: int | None
    sections_found: int
    sections_missing: list[str]
    truncated: bool
    free_text: list[dict[str, str]]  # {"scheme", "text"}
    warnings: list[str]
    matches: SnapshotMatches | None = None  # Wikidata matches of its city and country
    derived_from: str | None = None
    retrieved: str | None = None


@dataclass
class DocumentUnread:
    error: str  # "source: reason"


Outcome = DocumentRead | DocumentUnread


class OverBudget(Exception):
    """Raised in a worker by the timer when a document overruns its time budget."""


# --- one document -------------------------------------------------------------------------


_reconciler: Reconciler | None = None  # set by the build before the workers are forked


def use_reconciler(reconciler: Reconciler | None) -> None:
    global _reconciler
    _reconciler = reconciler


def read_document(task: Task, budget: Budget) -> Outcome:
    """Read one document into its snapshot graph, or say in words why it cannot be read."""
    try:
        return _read(task, budget)
    except (MapperError, ConversionError, UnreadableInput) as exc:
        message = str(exc)
        return DocumentUnread(message if message.startswith(task.source) else f"{task.source}: {message}")
    except OverBudget:
        return DocumentUnread(f"{task.source}: over the time budget of {budget.seconds:g} s per document; not read")
    except MemoryError:
        return DocumentUnread(f"{task.source}: reading it ran out of memory; not read")
    except RecursionError:
        return DocumentUnread(f"{task.source}: nested too deeply to read; not read")
    except Exception as exc:  # noqa: BLE001 - a mapper bug must not cost the other documents
        return DocumentUnread(f"{task.source}: the mapper failed unexpectedly (a bug): {type(exc).__name__}: {exc}")


class UnreadableInput(Exception):
    """A file that never reached the mapper (too big, undecodable, unreadable)."""


def snapshot_of(path: Path, source: str, budget: Budget) -> tuple[Snapshot, bytes, str | None]:
    """(snapshot, the file's bytes, its encoding when a text file): size budget, decoding or
    conversion, parsing. Raises ``UnreadableInput`` or ``MapperError``, each naming the document."""
    data = read_bytes(path, source, budget.max_bytes)
    text, encoding = document_text(data, path.suffix, source, budget.max_pdf_pages)
    return read_snapshot(text, source), data, encoding


def _read(task: Task, budget: Budget) -> DocumentRead:
    snapshot, data, encoding = snapshot_of(Path(task.path), task.source, budget)
    graph_id = snapshot_id(snapshot)
    derived_from, retrieved = _provenance(task.manifest, data)
    fetched = {"derived_from": derived_from, "modified": retrieved} if derived_from else {}
    nquads = snapshot_nquads(snapshot, base=task.base, graph_id=graph_id, **fetched).encode()
    warnings = list(snapshot.warnings)
    if encoding not in ("utf-8", None):
        warnings.append(f"the file is not UTF-8: read as {encoding} (detected)")
    return DocumentRead(
        graph_id, nquads, nquads.count(b"\n"),  # one line per distinct quad
        city_iri=city_iri(snapshot, task.base).value, city=snapshot.city.value,
        country=snapshot.country.value if snapshot.country else None, rendering=snapshot.rendering.value,
        survey_round=snapshot.survey_round.value if snapshot.survey_round else None,
        sections_found=len(snapshot.sections_found),
        sections_missing=[section.value for section in snapshot.sections_missing], truncated=snapshot.truncated,
        free_text=[{"scheme": scheme, "text": text} for scheme, text in free_text_values(snapshot)],
        warnings=warnings, matches=_reconciler.snapshot(snapshot) if _reconciler is not None else None,
        derived_from=derived_from, retrieved=retrieved,
    )


def read_bytes(path: Path, source: str, max_bytes: int) -> bytes:
    """The file's bytes; a file over ``max_bytes`` is refused before it is read."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise UnreadableInput(_too_big(source, size, max_bytes))
        with path.open("rb") as handle:
            # read(max_bytes + 1) would allocate the whole budget (20 MiB) for every page
            data = handle.read(size + 1)
            if len(data) > size:  # it grew since stat(), or is not a regular file: read on to the budget
                data += handle.read(max_bytes + 1 - len(data))
    except OSError as exc:
        raise UnreadableInput(f"{source}: cannot read file: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # it grew, or is not a regular file
        raise UnreadableInput(_too_big(source, len(data), max_bytes))
    return data


def _too_big(source: str, size: int, max_bytes: int) -> str:
    return (f"{source}: {size:,} bytes, over the size budget of {max_bytes:,} bytes per document "
            "(citykg build --max-document-mb); not read")


def document_text(data: bytes, suffix: str, source: str, max_pdf_pages: int | None = None) -> tuple[str, str | None]:
    """(text the parsers read, encoding of a text file): HTML and PDF converted, text decoded.

    The suffix says how to convert; which rendering the text is, is detected from its content.
    """
    suffix = suffix.lower()
    try:
        if suffix == ".pdf" or (suffix not in (".html", ".htm") and is_pdf(data)):
            return pdf_to_text(data, max_pages=max_pdf_pages), None
        if suffix in (".html", ".htm"):
            return html_to_text(data), None
        return decode_text(data)
    except ConversionError as exc:
        raise UnreadableInput(f"{source}: {exc}") from None


def _provenance(entry: dict | None, data: bytes) -> tuple[str | None, str | None]:
    """(page URL, retrieval time) from the fetch manifest, when the file is still what was fetched."""
    if entry is None or hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        return None, None
    return entry.get("url"), entry.get("retrieved")


# --- the pool -----------------------------------------------------------------------------

GRACE_SECONDS = 5.0  # how long past its budget a worker may stay silent before it is killed
QUEUE_PER_WORKER = 4  # documents sent ahead to each worker, so none waits for the next


def default_workers() -> int:
    """One reader per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class _Worker:
    process: Any
    conn: Connection
    pending: deque = field(default_factory=deque)  # indexes sent, not yet answered, in order
    since: float = 0.0  # when it began the document at the head of ``pending``


class ReaderPool:
    """``workers`` processes reading documents under ``budget``; see the module docstring."""

    def __init__(self, budget: Budget, workers: int | None = None,
                 job: Callable[[Task, Budget], Outcome] = read_document) -> None:
        self.budget = budget
        self.count = max(1, workers or default_workers())
        self.job = job
        self._context = multiprocessing.get_context("fork")
        self._workers: list[_Worker] = []

    def __enter__(self) -> ReaderPool:
        self._workers = [self._start() for _ in range(self.count)]
        return self

    def __exit__(self, *exc: object) -> None:
        for worker in self._workers:
            self._stop(worker)
        self._workers = []

    def outcomes(self, tasks: Sequence[Task]) -> Iterator[Outcome]:
        """The outcome of each task, in the order of ``tasks``."""
        queue = deque(range(len(tasks)))
        done: dict[int, Outcome] = {}
        next_out = 0
        while next_out < len(tasks):
            self._feed(queue, tasks)
            ready = wait([worker.conn for worker in self._workers if worker.pending], timeout=self._wait_time())
            for worker in list(self._workers):
                if worker.conn in ready:
                    self._receive(worker, done, queue, tasks)
            self._enforce_budget(done, queue, tasks)
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1

    def _feed(self, queue: deque, tasks: Sequence[Task]) -> None:
        for worker in self._workers:
            while queue and len(worker.pending) < QUEUE_PER_WORKER:
                index = queue.popleft()
                if not worker.pending:
                    worker.since = time.monotonic()
                worker.pending.append(index)
                worker.conn.send((index, tasks[index]))

    def _receive(self, worker: _Worker, done: dict[int, Outcome], queue: deque, tasks: Sequence[Task]) -> None:
        try:
            index, outcome = worker.conn.recv()
        except (EOFError, OSError):  # the worker died: the document it was reading is the cause
            self._replace(worker, done, queue, tasks, self._death(worker))
            return
        worker.pending.remove(index)
        worker.since = time.monotonic()
        done[index] = outcome

    def _enforce_budget(self, done: dict[int, Outcome], queue: deque, tasks: Sequence[Task]) -> None:
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.pending and now - worker.since > self.budget.seconds + GRACE_SECONDS:
                self._replace(worker, done, queue, tasks,
                              f"over the time budget of {self.budget.seconds:g} s per document (its reader was stopped); "
                              "not read")

    def _replace(self, worker: _Worker, done: dict[int, Outcome], queue: deque, tasks: Sequence[Task], why: str) -> None:
        """Blame the document the worker was reading, requeue the ones sent after it, start another."""
        self._stop(worker)
        culprit, *others = worker.pending
        done[culprit] = DocumentUnread(f"{tasks[culprit].source}: {why}")
        queue.extendleft(reversed(others))
        self._workers[self._workers.index(worker)] = self._start()

    def _death(self, worker: _Worker) -> str:
        worker.process.join(1)
        code = worker.process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        return f"its reader process died while reading it ({how}; out of memory?); not read"

    def _wait_time(self) -> float:
        busy = [worker.since for worker in self._workers if worker.pending]
        if not busy:
            return 0.0
        return max(0.01, min(busy) + self.budget.seconds + GRACE_SECONDS - time.monotonic())

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child, self.job, self.budget), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    @staticmethod
    def _stop(worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()


def _serve(conn: Connection, job: Callable[[Task, Budget], Outcome], budget: Budget) -> None:
    """A worker: read each document sent, under the timer, and send its outcome back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle; it kills the workers
    signal.signal(signal.SIGALRM, _overrun)
    _yield_to_the_loader()
    while True:
        try:
            index, task = conn.recv()
        except (EOFError, OSError):
            return
        signal.setitimer(signal.ITIMER_REAL, budget.seconds)
        try:
            outcome = job(task, budget)
        except OverBudget:
            outcome = DocumentUnread(f"{task.source}: over the time budget of {budget.seconds:g} s per document; not read")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        conn.send((index, outcome))


READER_NICENESS = 10  # CPU weight about a tenth of the loader's when both want a core


def _yield_to_the_loader() -> None:
    """Run below the store's loader: with one reader per core, the loader (which does the
    peer's whole job, bulk_load) would otherwise fall behind and finish alone after the reading,
    on one core; ahead of the readers it keeps up, and the readers take the rest of the CPU."""
    try:
        os.nice(READER_NICENESS)
    except OSError:
        pass


def _overrun(signum: int, frame: object) -> None:
    raise OverBudget
