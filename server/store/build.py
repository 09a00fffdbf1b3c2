"""Build the store: read every snapshot document, map it to quads, and replace the store whole.

A build reads the documents in a pool of processes, one per core, each document under a time
and size budget (``server.store.reading``: over it, the document is reported unread with the
reason and the build goes on), and streams each snapshot's graph, in document order, into the
store backend's ``replace_stream``, which loads while the pool reads and either installs every
quad or leaves the previous store exactly as it was (``server.store.embedded``). The Wikidata
links (one graph for all documents) come last. The store is left as it was, too, when no
document could be read, or with ``strict`` when any could not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode, Quad, RdfFormat, parse, serialize

from mapper import Snapshot
from mapper.rdf import DEFAULT_BASE, vocabulary_quads
from mapper.reconcile import Links, Reconciler, load_gazetteer
from server.manifest import read_manifest
from server.store.backends import backend
from server.store.interface import BuildError, InputNotFound, StoreBackend
from server.store.reading import (
    Budget, DocumentRead, DocumentUnread, ReaderPool, Task, UnreadableInput, snapshot_of, use_reconciler,
)
from server.store.report import BuildReport, DocumentReport

DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
# verified-qids.csv and the Natural Earth gazetteer, for the Wikidata links (mapper.reconcile);
# seeds/ sits beside mapper/ and server/ in a checkout and in site-packages alike
WIKIDATA_DIR = Path(__file__).resolve().parents[2] / "seeds" / "wikidata"

ProgressHook = Callable[[int, int, str], None]  # (documents done, total, current source)
__all__ = ["Document", "UnreadableInput", "WIKIDATA_DIR", "build_store", "collect_documents", "read_document"]


@dataclass(frozen=True)
class Document:
    path: Path
    source: str  # name handed to the mapper: stable across checkouts, so rebuilds are isomorphic
    refused: str | None = None  # why it is not read at all (a symlink leaving its directory)


# --- collecting and reading documents -----------------------------------------------------


def collect_documents(paths: Sequence[Path]) -> list[Document]:
    """Expand files and directories into documents, directories recursively and sorted.

    Order is the order of ``paths``, then sorted relative path within each directory, so the
    same command always numbers duplicate snapshot ids the same way.
    """
    documents: list[Document] = []
    seen: set[str] = set()  # real paths (as strings: a Path per document costs more than the scan)
    for path in paths:
        real_root = str(Path(path).resolve())
        for doc, direct in _documents_under(Path(path)):
            # a file found under a directory (never through a symlinked one) is at its real path
            # beside the others; resolving each of them costs a system call per path component
            key = os.path.join(real_root, doc.source) if direct else str(doc.path.resolve())
            if key not in seen:
                seen.add(key)
                documents.append(doc)
    return documents


def _documents_under(path: Path) -> list[tuple[Document, bool]]:
    """(document, found directly: a file under ``path``, not a symlink) in relative path order."""
    if path.is_file():
        return [(Document(path, path.name), False)]  # named on the command line: read, even through a symlink
    if not path.is_dir():
        raise InputNotFound(f"no such file or directory: {path}")
    root = path.resolve()
    return [(Document(path / relative, relative, _refusal(path / relative, root) if link else None), not link)
            for relative, link in sorted(_document_files(str(path), ""))]


def _document_files(directory: str, prefix: str) -> Iterator[tuple[str, bool]]:
    """(relative path, is a symlink) of every document file under ``directory``, from one
    ``scandir`` per directory (``Path.rglob`` plus a check of each file cost 40 µs per document).
    Like ``rglob``, it does not descend into symlinked directories; hidden entries (editor and VCS
    litter: ``.git/``, ``.~lock``) are not input, nor is anything under them; a directory that
    cannot be listed is skipped."""
    try:
        with os.scandir(directory) as scan:
            entries = list(scan)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        relative, link = prefix + entry.name, entry.is_symlink()
        if not link and entry.is_dir():
            yield from _document_files(entry.path, relative + "/")
        elif _suffix(entry.name) in DOCUMENT_SUFFIXES and (link or entry.is_file()):
            yield relative, link


def _suffix(name: str) -> str:
    """``Path(name).suffix``, lower-cased."""
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def _refusal(path: Path, root: Path) -> str | None:
    """A symlink is followed only to a file inside the directory being built: one that leads
    elsewhere (``/etc/passwd.txt``, another project) or nowhere is reported, not read."""
    if not path.is_symlink():
        return None
    target = path.resolve()
    if not target.is_file():
        return f"a symlink to {target}, which is not a file; not read"
    if not target.is_relative_to(root):
        return f"a symlink to {target}, outside {root}; symlinks are followed only within the directory built; not read"
    return None


def read_document(doc: Document, budget: Budget | None = None) -> Snapshot:
    """One document read in this process (size budget, no time budget): its snapshot, or
    ``UnreadableInput`` / ``MapperError`` naming the document and the reason."""
    if doc.refused:
        raise UnreadableInput(f"{doc.source}: {doc.refused}")
    return snapshot_of(doc.path, doc.source, budget or Budget())[0]


def _manifest_entry(doc: Document, manifests: dict[Path, dict[str, dict]]) -> dict | None:
    """The fetch manifest's entry for a document ``citykg fetch`` saved (manifest.json beside
    it); the reader checks it still is what was downloaded."""
    directory = doc.path.parent  # as collected: resolving it per document cost 70 µs each
    if directory not in manifests:
        by_file: dict[str, dict] = {}
        for entry in read_manifest(directory).values():
            if entry.get("file") and entry.get("sha256"):
                by_file[entry["file"]] = entry
        manifests[directory] = by_file
    return manifests[directory].get(doc.path.name)


# --- building -------------------------------------------------------------------------------


class NotWritten(Exception):
    """Raised at the end of the content to abandon the new version (the previous one stays)."""


def build_store(
    paths: Sequence[Path],
    store_dir: Path | StoreBackend,
    base: str = DEFAULT_BASE,
    *,
    strict: bool = False,
    on_progress: ProgressHook | None = None,
    wikidata_dir: Path | None = WIKIDATA_DIR,
    budget: Budget | None = None,
    workers: int | None = None,
) -> BuildReport:
    """Read every document under ``paths`` and atomically replace the store at ``store_dir``
    (a directory of the embedded store, or any ``StoreBackend``).

    Unreadable documents are reported, not fatal; so are documents over ``budget`` (time, size,
    PDF pages; ``Budget()`` by default). ``workers`` reader processes (default: one per core).
    The store is left as it was when no document could be read (an empty graph is never better
    than the previous one), or with ``strict`` when any could not. Cities and countries are
    linked to Wikidata from ``wikidata_dir`` (skipped when it is None or missing), into the
    graph ``{base}reconciliation``.
    """
    store = backend(store_dir)
    documents = collect_documents(paths)
    report = BuildReport(store=store.location, base=base)
    reconciler = _reconciler(wikidata_dir, report)
    content = _Content(documents, base, report, on_progress, reconciler, budget or Budget(), workers, strict)
    try:
        report.build_id = store.replace_stream(content)
    except NotWritten as reason:
        report.reason_not_written = str(reason)
        return report
    report.written = True
    return report


def _reconciler(wikidata_dir: Path | None, report: BuildReport) -> Reconciler | None:
    if wikidata_dir is None or not Path(wikidata_dir).is_dir():
        return None
    try:
        gazetteer = load_gazetteer(Path(wikidata_dir))
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"cannot read the Wikidata sources in {wikidata_dir}: {exc}") from exc
    report.wikidata_sources = str(wikidata_dir)
    return Reconciler(gazetteer)


class _Content:
    """The new store's content as N-Quads chunks, made while the backend loads them: the
    vocabularies, each document's snapshot graph in document order (read by the pool), then
    the Wikidata links. Records each document's outcome in the report as it goes, and raises
    :class:`NotWritten` at the end when the build must not replace the store."""

    def __init__(self, documents: list[Document], base: str, report: BuildReport, on_progress: ProgressHook | None,
                 reconciler: Reconciler | None, budget: Budget, workers: int | None, strict: bool) -> None:
        self.documents, self.base, self.report, self.on_progress = documents, base, report, on_progress
        self.reconciler, self.budget, self.workers, self.strict = reconciler, budget, workers, strict
        self.distinct = 0
        self._cities: set[str] = set()

    def __iter__(self) -> Iterator[bytes]:
        vocabulary = list(dict.fromkeys(vocabulary_quads(self.base)))
        self.distinct = len(vocabulary)
        yield serialize(vocabulary, format=RdfFormat.N_QUADS)
        links = Links(self.base)
        yield from self._snapshots(links)
        if self.reconciler is not None:
            link_quads = links.quads()
            self.distinct += len(link_quads)
            yield serialize(link_quads, format=RdfFormat.N_QUADS)
            cities = links.city_matches()
            self.report.totals.cities_linked = sum(1 for match in cities.values() if match.matched)
            self.report.totals.cities_unmatched = len(cities) - self.report.totals.cities_linked
        self._fill_totals()
        if reason := _reason_not_to_write(self.report, self.strict):
            raise NotWritten(reason)

    def _snapshots(self, links: Links) -> Iterator[bytes]:
        documents, report = self.documents, self.report
        manifests: dict[Path, dict[str, dict]] = {}
        tasks = [Task(str(doc.path), doc.source, self.base, _manifest_entry(doc, manifests)) for doc in documents]
        used_ids: set[str] = set()
        use_reconciler(self.reconciler)  # before the pool forks: every reader matches with it
        with ReaderPool(self.budget, self.workers) as pool:
            outcomes = pool.outcomes([task for task, doc in zip(tasks, documents) if doc.refused is None])
            for done, doc in enumerate(documents):
                if self.on_progress:
                    self.on_progress(done, len(documents), doc.source)
                entry = DocumentReport(path=str(doc.path), source=doc.source)
                report.documents.append(entry)
                outcome = DocumentUnread(f"{doc.source}: {doc.refused}") if doc.refused else next(outcomes)
                if isinstance(outcome, DocumentUnread):
                    entry.error = outcome.error
                    continue
                yield self._graph(outcome, entry, used_ids, links)
        if self.on_progress:
            self.on_progress(len(documents), len(documents), "")

    def _graph(self, read: DocumentRead, entry: DocumentReport, used_ids: set[str], links: Links) -> bytes:
        """The N-Quads of one snapshot graph, numbered when another document has its id."""
        graph_id = _unique_graph_id(read.graph_id, used_ids)
        graph = NamedNode(f"{self.base}snapshot/{graph_id}")
        nquads = read.nquads if graph_id == read.graph_id else _renamed(read.nquads, self.base, read.graph_id, graph)
        if read.matches is not None:
            links.add_matches(NamedNode(read.city_iri), read.country, read.matches, graph, self.reconciler.vocab)
            entry.wikidata = read.matches.city.to_dict()
            entry.country_wikidata = read.matches.country.to_dict() if read.matches.country else None
        entry.derived_from, entry.retrieved = read.derived_from, read.retrieved
        _describe(entry, read, graph_id)
        self.distinct += read.quads
        self._cities.add(read.city_iri)
        return nquads

    def _fill_totals(self) -> None:
        totals, report = self.report.totals, self.report
        read = [doc for doc in report.documents if doc.read]
        totals.documents = len(report.documents)
        totals.read = len(read)
        totals.unread = totals.documents - totals.read
        totals.graphs = len(read)
        totals.cities = len(self._cities)
        totals.quads = self.distinct
        totals.free_text = sum(len(doc.free_text) for doc in read)
        totals.warnings = sum(len(doc.warnings) for doc in read)


def _unique_graph_id(wanted: str, used: set[str]) -> str:
    """``medellin-2018``, then ``medellin-2018-2``, ``-3``... in document order, never reusing
    an id (not even one a document would get on its own)."""
    candidate, number = wanted, 1
    while candidate in used:
        number += 1
        candidate = f"{wanted}-{number}"
    used.add(candidate)
    return candidate


def _renamed(nquads: bytes, base: str, graph_id: str, graph: NamedNode) -> bytes:
    """A snapshot graph under another name (the graph names itself as the subject of its provenance)."""
    old = NamedNode(f"{base}snapshot/{graph_id}")

    def rename(term):
        return graph if term == old else term

    quads = [Quad(rename(q.subject), q.predicate, rename(q.object), graph)
             for q in parse(nquads, format=RdfFormat.N_QUADS)]
    return serialize(quads, format=RdfFormat.N_QUADS)


def _describe(entry: DocumentReport, read: DocumentRead, graph_id: str) -> None:
    entry.rendering, entry.city, entry.graph_id = read.rendering, read.city, graph_id
    entry.survey_round, entry.sections_found = read.survey_round, read.sections_found
    entry.sections_missing, entry.truncated = read.sections_missing, read.truncated
    entry.free_text, entry.warnings, entry.quads = read.free_text, read.warnings, read.quads


def _reason_not_to_write(report: BuildReport, strict: bool) -> str | None:
    if report.totals.read == 0:
        return "no document could be read"
    if strict and report.totals.unread:
        return f"--strict: {report.totals.unread} document(s) could not be read"
    return None
