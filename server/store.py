"""Build and open the citykg Oxigraph store. The only module that opens pyoxigraph stores.

On-disk layout (``var/store`` by default)::

    var/store      -> store.d/20250101T120000-3fa2c1     (a relative symlink)
    var/store.d/20250101T120000-3fa2c1/                  (a complete Oxigraph/RocksDB store)
    var/store.d/.lock                                    (held while a build runs)

A build parses every document first, then writes a new version beside the current one (under
a ``.building-*`` name), closes and re-opens it read-only to check it, renames it into place and
swaps the symlink with one ``os.replace`` (atomic on POSIX). Until that call the previous store
is untouched, so an exception, Ctrl-C or kill leaves it exactly as it was; the previous version
is deleted only after the swap. Litter from a killed build is removed by the next build, under
the lock. The version directory is a plain Oxigraph store, so the ``oxigraph`` CLI of the
same version can serve it too. Readers should open through ``open_store``, which resolves the
symlink first, so a swap never mixes files of two versions under one reader.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode, Quad, Store

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
from server.report import BuildReport, DocumentReport

DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
CIK_CITY = cik("City")
BUILDING_PREFIX = ".building-"
# verified-qids.csv and the Natural Earth gazetteer, for the Wikidata links (mapper.reconcile)
WIKIDATA_DIR = Path(__file__).resolve().parent.parent / "seeds" / "wikidata"

ProgressHook = Callable[[int, int, str], None]  # (documents done, total, current source)


class StoreError(Exception):
    """A problem the user can fix (missing input, no store yet, a busy store): one clear line."""


class NoStore(StoreError):
    """No store has been built at the given path."""


class InputNotFound(StoreError):
    """A path given to ``build`` does not exist."""


class BuildError(StoreError):
    """The build stopped; the previous store, if any, is unchanged."""


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
    from server.fetch import read_manifest

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
    store_dir: Path,
    base: str = DEFAULT_BASE,
    *,
    strict: bool = False,
    on_progress: ProgressHook | None = None,
    wikidata_dir: Path | None = WIKIDATA_DIR,
) -> BuildReport:
    """Read every document under ``paths`` and atomically replace the store at ``store_dir``.

    Unreadable documents are reported, not fatal. The store is left as it was when no document
    could be read (an empty graph is never better than the previous one), or with ``strict``
    when any could not. Cities and countries are linked to Wikidata from ``wikidata_dir``
    (skipped when it is None or missing), into the graph ``{base}reconciliation``.
    """
    store_dir = Path(store_dir)
    documents = collect_documents(paths)
    report = BuildReport(store=str(store_dir), base=base)
    reconciler = _reconciler(wikidata_dir, report)
    quads = _read_all(documents, base, report, on_progress, reconciler)
    _fill_totals(report, quads)
    if reason := _reason_not_to_write(report, strict):
        report.reason_not_written = reason
        return report
    report.build_id = write_store(quads, store_dir)
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


# --- writing a version and swapping it in ---------------------------------------------------


def versions_dir(store_dir: Path) -> Path:
    """Where the versions of ``store_dir`` live: a sibling, so renames stay on one filesystem."""
    return store_dir.with_name(store_dir.name + ".d")


def write_store(quads: Sequence[Quad], store_dir: Path) -> str:
    """Write ``quads`` as a new version and make ``store_dir`` point to it; returns the build id."""
    store_dir = Path(store_dir)
    _check_replaceable(store_dir)
    versions = versions_dir(store_dir)
    versions.mkdir(parents=True, exist_ok=True)
    with _build_lock(versions):
        _remove_litter(store_dir)
        build_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)
        building, new_version = versions / f"{BUILDING_PREFIX}{build_id}", versions / build_id
        legacy: Path | None = None
        try:
            _write_version(quads, building, new_version)
            legacy = _take_over_legacy_dir(store_dir, build_id)
            _point(store_dir, new_version)
        except BaseException:
            if store_dir.resolve() != new_version.resolve():  # not swapped: undo everything
                shutil.rmtree(building, ignore_errors=True)
                shutil.rmtree(new_version, ignore_errors=True)
                _restore_legacy_dir(store_dir, legacy)
            raise
        _remove_unused_versions(store_dir)
    return build_id


def _write_version(quads: Sequence[Quad], building: Path, final: Path) -> None:
    """Load into ``building``, check it reads back whole, then give it its final name."""
    building.mkdir()
    expected = len(set(quads))
    _load_quads(building, quads)
    _verify(building, expected)
    os.rename(building, final)
    _fsync_dir(final.parent)


def _load_quads(path: Path, quads: Sequence[Quad]) -> None:
    """Bulk-load into a fresh store, flush, and close it (pyoxigraph closes on last reference)."""
    store = Store(str(path))
    store.bulk_extend(quads)
    store.flush()
    del store
    gc.collect()


def _verify(path: Path, expected: int) -> None:
    """Re-open read-only: a store that does not read back whole must never be swapped in."""
    store = Store.read_only(str(path))
    found = len(store)
    del store
    gc.collect()
    if found != expected:
        raise BuildError(f"the new store at {path} holds {found} quads, expected {expected}")


def _point(store_dir: Path, version: Path) -> None:
    """Atomically make ``store_dir`` a relative symlink to ``version``."""
    tmp_link = store_dir.with_name(f".{store_dir.name}.tmp-{version.name}")
    os.symlink(os.path.relpath(version, store_dir.parent), tmp_link)
    try:
        os.replace(tmp_link, store_dir)
    except BaseException:
        tmp_link.unlink(missing_ok=True)
        raise
    _fsync_dir(store_dir.parent)


def _fsync_dir(path: Path) -> None:
    """Make a rename durable: without it a power cut can undo the swap (or half of it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _build_lock(versions: Path) -> Iterator[None]:
    """One build at a time per store: two would race on the symlink and on the litter sweep."""
    with open(versions / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another build of {versions.with_suffix('')} is running") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check_replaceable(store_dir: Path) -> None:
    """Refuse, before any work, to replace something that is not a store of ours."""
    if store_dir.is_symlink() or not store_dir.exists():
        return
    if not store_dir.is_dir():
        raise BuildError(f"{store_dir} exists and is not a directory; refusing to replace it")
    if not _is_oxigraph_dir(store_dir) and any(store_dir.iterdir()):
        raise BuildError(f"{store_dir} exists and is not a citykg store; refusing to replace it")


def _take_over_legacy_dir(store_dir: Path, build_id: str) -> Path | None:
    """A real store directory (older layout) becomes a version, deleted after the swap.

    Done just before the swap, so readers miss the store only between two renames.
    """
    if store_dir.is_symlink() or not store_dir.exists():
        return None
    legacy = versions_dir(store_dir) / f"legacy-{build_id}"
    os.rename(store_dir, legacy)
    return legacy


def _restore_legacy_dir(store_dir: Path, legacy: Path | None) -> None:
    """Put a taken-over real directory back where it was, so a failed build changes nothing."""
    if legacy is not None and not store_dir.exists() and not store_dir.is_symlink():
        os.rename(legacy, store_dir)


def _is_oxigraph_dir(path: Path) -> bool:
    return (path / "CURRENT").is_file()


def _remove_litter(store_dir: Path) -> None:
    """Sweep what a killed build left: half-built versions and temporary symlinks."""
    for entry in versions_dir(store_dir).iterdir():
        if entry.name.startswith(BUILDING_PREFIX):
            shutil.rmtree(entry, ignore_errors=True)
    for link in store_dir.parent.glob(f".{store_dir.name}.tmp-*"):
        link.unlink(missing_ok=True)


def _remove_unused_versions(store_dir: Path) -> None:
    """Delete every version but the current one (the previous one, and any a kill orphaned)."""
    current = store_dir.resolve()
    for entry in versions_dir(store_dir).iterdir():
        if entry.is_dir() and entry.resolve() != current and not entry.name.startswith("."):
            shutil.rmtree(entry, ignore_errors=True)


# --- reading --------------------------------------------------------------------------------


def store_version(store_dir: Path) -> Path:
    """The directory ``store_dir`` currently resolves to, so a reader can notice a swap."""
    store_dir = Path(store_dir)
    resolved = store_dir.resolve()
    if not _is_oxigraph_dir(resolved):
        raise NoStore(f"no store at {store_dir}: run `citykg build` first")
    return resolved


def open_store(store_dir: Path, read_only: bool = True) -> Store:
    """Open the current version. Resolving the symlink first pins the reader to one version.

    ``read_only=False`` writes into the live version, outside the atomic build: maintenance only.
    """
    path = store_version(store_dir)
    try:
        return Store.read_only(str(path)) if read_only else Store(str(path))
    except OSError as exc:
        raise StoreError(f"cannot open the store at {store_dir}: {exc}") from exc
