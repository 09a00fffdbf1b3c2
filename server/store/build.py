"""Build the store: read every snapshot document, map it to quads, and replace the store whole.

A build parses every document first (each unreadable one is reported, not fatal), links cities
and countries to Wikidata, then hands all quads to the store backend's ``replace``, which either
installs every one of them or leaves the previous store exactly as it was
(``server.store.embedded``). The store is left as it was, too, when no document could be read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode, Quad

from mapper import MapperError, Snapshot, read_snapshot
from mapper.convert import ConversionError, html_to_text, is_pdf, pdf_to_text
from mapper.rdf import (
    DEFAULT_BASE,
    RDF_TYPE,
    cik,
    free_text_values,
    snapshot_id,
    snapshot_quads,
    vocabulary_quads,
)
from mapper.reconcile import Links, Reconciler, load_gazetteer
from server.manifest import read_manifest
from server.store.backends import backend
from server.store.interface import BuildError, InputNotFound, StoreBackend
from server.store.report import BuildReport, DocumentReport

DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
CIK_CITY = cik("City")
# verified-qids.csv and the Natural Earth gazetteer, for the Wikidata links (mapper.reconcile);
# seeds/ sits beside mapper/ and server/ in a checkout and in site-packages alike
WIKIDATA_DIR = Path(__file__).resolve().parents[2] / "seeds" / "wikidata"

ProgressHook = Callable[[int, int, str], None]  # (documents done, total, current source)


@dataclass(frozen=True)
class Document:
    path: Path
    source: str  # name handed to the mapper: stable across checkouts, so rebuilds are isomorphic


# --- collecting and reading documents -----------------------------------------------------


def collect_documents(paths: Sequence[Path]) -> list[Document]:
    """Expand files and directories into documents, directories recursively and sorted.

    Order is the order of ``paths``, then sorted relative path within each directory, so the
    same command always numbers duplicate snapshot ids the same way.
    """
    documents: list[Document] = []
    seen: set[Path] = set()
    for path in paths:
        for doc in _documents_under(Path(path)):
            key = doc.path.resolve()
            if key not in seen:
                seen.add(key)
                documents.append(doc)
    return documents


def _documents_under(path: Path) -> list[Document]:
    if path.is_file():
        return [Document(path, path.name)]
    if not path.is_dir():
        raise InputNotFound(f"no such file or directory: {path}")
    found = [
        p
        for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES and not _hidden(p.relative_to(path))
    ]
    return [Document(p, p.relative_to(path).as_posix()) for p in sorted(found, key=lambda p: p.relative_to(path).as_posix())]


def _hidden(relative: Path) -> bool:
    """Editor and VCS litter (``.git/``, ``.~lock``) is not input."""
    return any(part.startswith(".") for part in relative.parts)


class UnreadableInput(Exception):
    """A file that never reached the mapper (undecodable, unreadable)."""


def read_document(doc: Document) -> Snapshot:
    """Decode and parse one document. Raises UnreadableInput or MapperError, both of which
    name the document and the reason; the build records them and goes on."""
    try:
        data = doc.path.read_bytes()
    except OSError as exc:
        raise UnreadableInput(f"{doc.source}: cannot read file: {exc.strerror or exc}") from exc
    return read_snapshot(document_text(data, doc.path.suffix, doc.source), doc.source)


def document_text(data: bytes, suffix: str, source: str) -> str:
    """The text the parsers read: HTML and PDF converted (mapper.convert), text decoded.

    The suffix says how to decode; which rendering the text is, is detected from its content.
    """
    suffix = suffix.lower()
    try:
        if suffix == ".pdf" or (suffix not in (".html", ".htm") and is_pdf(data)):
            return pdf_to_text(data)
        if suffix in (".html", ".htm"):
            return html_to_text(data)
    except ConversionError as exc:
        raise UnreadableInput(f"{source}: {exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableInput(
            f"{source}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it to UTF-8 first"
        ) from exc
    return text


def document_provenance(doc: Document, manifests: dict[Path, dict[str, dict]]) -> tuple[str | None, str | None]:
    """(page URL, retrieval time) of a document ``citykg fetch`` saved, from the manifest.json
    beside it; (None, None) when there is none, or the file is no longer what was downloaded."""
    directory = doc.path.parent.resolve()
    if directory not in manifests:
        by_file: dict[str, dict] = {}
        for entry in read_manifest(directory).values():
            if entry.get("file") and entry.get("sha256"):
                by_file[entry["file"]] = entry
        manifests[directory] = by_file
    entry = manifests[directory].get(doc.path.name)
    if entry is None:
        return None, None
    try:
        digest = hashlib.sha256(doc.path.read_bytes()).hexdigest()
    except OSError:
        return None, None
    if digest != entry["sha256"]:
        return None, None
    return entry.get("url"), entry.get("retrieved")


# --- building -------------------------------------------------------------------------------


def build_store(
    paths: Sequence[Path],
    store_dir: Path | StoreBackend,
    base: str = DEFAULT_BASE,
    *,
    strict: bool = False,
    on_progress: ProgressHook | None = None,
    wikidata_dir: Path | None = WIKIDATA_DIR,
) -> BuildReport:
    """Read every document under ``paths`` and atomically replace the store at ``store_dir``
    (a directory of the embedded store, or any ``StoreBackend``).

    Unreadable documents are reported, not fatal. The store is left as it was when no document
    could be read (an empty graph is never better than the previous one), or with ``strict``
    when any could not. Cities and countries are linked to Wikidata from ``wikidata_dir``
    (skipped when it is None or missing), into the graph ``{base}reconciliation``.
    """
    store = backend(store_dir)
    documents = collect_documents(paths)
    report = BuildReport(store=store.location, base=base)
    reconciler = _reconciler(wikidata_dir, report)
    quads = _read_all(documents, base, report, on_progress, reconciler)
    _fill_totals(report, quads)
    if reason := _reason_not_to_write(report, strict):
        report.reason_not_written = reason
        return report
    report.build_id = store.replace(quads)
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


def _read_all(
    documents: list[Document],
    base: str,
    report: BuildReport,
    on_progress: ProgressHook | None,
    reconciler: Reconciler | None = None,
) -> list[Quad]:
    """Parse and map each document, recording each outcome; the vocabularies come first,
    the Wikidata links (one graph for all documents) last."""
    quads: list[Quad] = list(vocabulary_quads(base))
    used_ids: set[str] = set()
    links = Links(base)
    manifests: dict[Path, dict[str, dict]] = {}
    for done, doc in enumerate(documents):
        if on_progress:
            on_progress(done, len(documents), doc.source)
        entry = DocumentReport(path=str(doc.path), source=doc.source)
        report.documents.append(entry)
        try:
            snapshot = read_document(doc)
            graph_id = _unique_graph_id(snapshot_id(snapshot), used_ids)
            entry.derived_from, entry.retrieved = document_provenance(doc, manifests)
            fetched = {"derived_from": entry.derived_from, "modified": entry.retrieved} if entry.derived_from else {}
            doc_quads = snapshot_quads(snapshot, base=base, graph_id=graph_id, **fetched)
            if reconciler is not None:
                _reconcile(reconciler, links, entry, snapshot, doc_quads[0].graph_name)
        except (MapperError, UnreadableInput) as exc:
            entry.error = str(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - a mapper bug must not cost the other documents
            entry.error = f"{doc.source}: the mapper failed unexpectedly (a bug): {type(exc).__name__}: {exc}"
            continue
        _describe(entry, snapshot, graph_id, doc_quads)
        quads.extend(doc_quads)
    if on_progress:
        on_progress(len(documents), len(documents), "")
    if reconciler is not None:
        quads.extend(links.quads())
        cities = links.city_matches()
        report.totals.cities_linked = sum(1 for match in cities.values() if match.matched)
        report.totals.cities_unmatched = len(cities) - report.totals.cities_linked
    return quads


def _reconcile(reconciler: Reconciler, links: Links, entry: DocumentReport, snapshot: Snapshot, graph: NamedNode) -> None:
    """Match the snapshot's city and country to Wikidata; the report shows this document's own
    outcome, the graph the best one per city (when several documents describe it)."""
    matches = reconciler.snapshot(snapshot)
    links.add_snapshot(snapshot, matches, graph, reconciler.vocab)
    entry.wikidata = matches.city.to_dict()
    entry.country_wikidata = matches.country.to_dict() if matches.country else None


def _unique_graph_id(wanted: str, used: set[str]) -> str:
    """``medellin-2018``, then ``medellin-2018-2``, ``-3``... in document order, never reusing
    an id (not even one a document would get on its own)."""
    candidate, number = wanted, 1
    while candidate in used:
        number += 1
        candidate = f"{wanted}-{number}"
    used.add(candidate)
    return candidate


def _describe(entry: DocumentReport, snapshot: Snapshot, graph_id: str, quads: list[Quad]) -> None:
    entry.rendering = snapshot.rendering.value
    entry.city = snapshot.city.value
    entry.graph_id = graph_id
    entry.survey_round = snapshot.survey_round.value if snapshot.survey_round else None
    entry.sections_found = len(snapshot.sections_found)
    entry.sections_missing = [section.value for section in snapshot.sections_missing]
    entry.truncated = snapshot.truncated
    entry.free_text = [{"scheme": scheme, "text": text} for scheme, text in free_text_values(snapshot)]
    entry.warnings = list(snapshot.warnings)
    entry.quads = len(set(quads))


def _fill_totals(report: BuildReport, quads: list[Quad]) -> None:
    totals = report.totals
    read = [doc for doc in report.documents if doc.read]
    totals.documents = len(report.documents)
    totals.read = len(read)
    totals.unread = totals.documents - totals.read
    totals.graphs = len(read)
    totals.cities = len({q.subject for q in quads if q.predicate == RDF_TYPE and q.object == CIK_CITY})
    totals.quads = len(set(quads))
    totals.free_text = sum(len(doc.free_text) for doc in read)
    totals.warnings = sum(len(doc.warnings) for doc in read)


def _reason_not_to_write(report: BuildReport, strict: bool) -> str | None:
    if report.totals.read == 0:
        return "no document could be read"
    if strict and report.totals.unread:
        return f"--strict: {report.totals.unread} document(s) could not be read"
    return None
