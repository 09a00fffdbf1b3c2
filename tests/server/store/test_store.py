"""The store: what a seed build holds, repeatable rebuilds, and atomic replacement.

The atomicity tests break a rebuild at each step after the new version was written (load done,
check done, version renamed into place) with an exception and with Ctrl-C, and require the
previous store to be exactly as it was, with nothing left beside it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

import server.store.reading as reading_module
import server.store.embedded as store_module
from server.store.build import build_store
from server.store.embedded import open_store, versions_dir
from server.store.interface import BuildError, InputNotFound, NoStore
from tests.conftest import REPO, SEEDS, canonical_nquads

CITIES = {"Medellin", "Mexico City", "Saltillo", "Lima", "Baltimore"}
MEDELLIN = SEEDS / "000_25ed298be2eb3bc2.txt"
NOT_A_SNAPSHOT = "Shopping list\n\n- milk\n- bread\n- three apples\n"
LATIN1_BYTES = "Medellín\n\nColombia\n\nMayor\n\nFederico Gutiérrez\n".encode("latin-1")


def nquads(store_dir: Path) -> set[str]:
    """The store's content as canonical N-Quads lines: equal sets mean isomorphic data."""
    return canonical_nquads(open_store(store_dir).quads_for_pattern(None, None, None, None))


def listing(root: Path) -> list[str]:
    """Every path under ``root`` down to the version directories (not the RocksDB files)."""
    names = [p.relative_to(root).as_posix() for p in root.iterdir()]
    for versions in root.glob("*.d"):
        names += [p.relative_to(root).as_posix() for p in versions.iterdir()]
    return sorted(names)


def city_labels(store_dir: Path) -> set[str]:
    store = open_store(store_dir)
    query = "SELECT ?name WHERE { ?c a <https://w3id.org/citykg/ontology#City> ; <http://www.w3.org/2000/01/rdf-schema#label> ?name }"
    return {row["name"].value for row in store.query(query, use_default_graph_as_union=True)}


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A private store from seeds/, for tests that rebuild or break it."""
    store_dir = tmp_path / "var" / "store"
    assert build_store([SEEDS], store_dir).written
    return store_dir


def bad_documents(directory: Path) -> Path:
    """One real snapshot, one text that is no snapshot, one file that is not UTF-8."""
    directory.mkdir(parents=True)
    shutil.copy(MEDELLIN, directory / "medellin.txt")
    (directory / "notes.txt").write_text(NOT_A_SNAPSHOT, encoding="utf-8")
    (directory / "latin1.txt").write_bytes(LATIN1_BYTES)
    return directory


# --- the seed build --------------------------------------------------------------------------


def test_seeds_build_five_cities_with_no_unread_document(seed_build) -> None:
    totals = seed_build.report.totals
    assert (totals.documents, totals.read, totals.unread, totals.cities) == (5, 5, 0, 5)
    assert {doc.city for doc in seed_build.report.documents} == CITIES
    assert city_labels(seed_build.store) == CITIES


def test_every_document_gets_its_own_graph_and_a_rendering(seed_build) -> None:
    docs = seed_build.report.documents
    assert len({doc.graph_id for doc in docs}) == 5
    assert all(doc.rendering and doc.sections_found > 0 for doc in docs)
    store = open_store(seed_build.store)
    graphs = {g.value for g in store.named_graphs()}
    assert {f"https://w3id.org/citykg/snapshot/{doc.graph_id}" for doc in docs} <= graphs


def test_report_is_json_with_totals_matching_the_store(seed_build) -> None:
    report = json.loads(seed_build.report.to_json())
    assert report["totals"]["quads"] == len(nquads(seed_build.store))
    assert [doc["source"] for doc in report["documents"]] == sorted(p.name for p in SEEDS.glob("*.txt"))


def test_store_dir_is_a_symlink_to_its_only_version(seed_store: Path) -> None:
    assert seed_store.is_symlink()
    target = seed_store.resolve()
    assert target.parent == versions_dir(seed_store).resolve()
    assert [p for p in versions_dir(seed_store).iterdir() if p.is_dir()] == [target]


# --- repeatable rebuilds ----------------------------------------------------------------------


def test_rebuild_elsewhere_gives_the_same_quads(seed_store: Path, tmp_path: Path) -> None:
    other = tmp_path / "store"
    build_store([SEEDS], other)
    assert nquads(other) == nquads(seed_store)


def test_rebuild_in_place_swaps_and_removes_the_previous_version(built: Path) -> None:
    before, old_target = nquads(built), built.resolve()
    build_store([SEEDS], built)
    assert nquads(built) == before
    assert built.resolve() != old_target and not old_target.exists()
    assert [p.name for p in versions_dir(built).iterdir() if p.is_dir()] == [built.resolve().name]


# --- a build that fails part-way leaves the previous store -----------------------------------


def _then_raise(original, exc: type[BaseException]):
    def wrapper(*args, **kwargs):
        original(*args, **kwargs)
        raise exc("simulated failure")

    return wrapper


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
@pytest.mark.parametrize("step", ["_load_quads", "_verify", "_fsync_dir"])
def test_failed_rebuild_leaves_previous_store_and_no_litter(
    built: Path, monkeypatch: pytest.MonkeyPatch, step: str, exc: type[BaseException]
) -> None:
    before, target, files = nquads(built), os.readlink(built), listing(built.parent)
    monkeypatch.setattr(store_module, step, _then_raise(getattr(store_module, step), exc))
    with pytest.raises(exc, match="simulated failure"):
        build_store([SEEDS], built)
    assert os.readlink(built) == target
    assert listing(built.parent) == files
    assert nquads(built) == before


def test_litter_of_a_killed_build_is_swept_by_the_next(built: Path) -> None:
    versions = versions_dir(built)
    (versions / ".building-19700101T000000-dead00").mkdir()
    (versions / ".building-19700101T000000-dead00" / "000001.sst").write_text("half")
    (versions / "19700101T000000-dead01").mkdir()  # renamed, never swapped in
    os.symlink("store.d/19700101T000000-dead01", built.parent / ".store.tmp-19700101T000000-dead01")
    build_store([SEEDS], built)
    assert listing(built.parent) == sorted(["store", "store.d", "store.d/.lock", f"store.d/{built.resolve().name}"])


def test_store_from_an_older_layout_is_taken_over(tmp_path: Path, seed_store: Path) -> None:
    legacy = tmp_path / "store"
    shutil.copytree(seed_store.resolve(), legacy)  # a real directory, as older builds left it
    build_store([SEEDS], legacy)
    assert legacy.is_symlink()
    assert nquads(legacy) == nquads(seed_store)
    assert len([p for p in versions_dir(legacy).iterdir() if p.is_dir()]) == 1


def test_a_directory_that_is_not_a_store_is_never_replaced(tmp_path: Path) -> None:
    precious = tmp_path / "store"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(BuildError, match="not a citykg store"):
        build_store([SEEDS], precious)
    assert (precious / "thesis.tex").read_text() == "years of work"


# --- unreadable documents ----------------------------------------------------------------------


def test_unreadable_documents_are_reported_and_the_rest_builds(tmp_path: Path) -> None:
    docs = bad_documents(tmp_path / "docs")
    (docs / ".hidden.txt").write_text(NOT_A_SNAPSHOT)  # hidden files are not input
    report = build_store([docs], tmp_path / "store")
    assert report.written
    assert (report.totals.documents, report.totals.read, report.totals.unread) == (3, 1, 2)
    errors = {doc.source: doc.error for doc in report.unread}
    assert set(errors) == {"notes.txt", "latin1.txt"}
    assert "not a City Innovation Snapshot" in errors["latin1.txt"]  # decoded (as cp1252), then refused
    assert errors["notes.txt"].startswith("notes.txt")
    assert city_labels(tmp_path / "store") == {"Medellin"}


def test_nothing_readable_keeps_the_previous_store(built: Path, tmp_path: Path) -> None:
    docs = tmp_path / "junk"
    docs.mkdir()
    (docs / "notes.txt").write_text(NOT_A_SNAPSHOT)
    before, target = nquads(built), os.readlink(built)
    report = build_store([docs], built)
    assert not report.written and report.reason_not_written == "no document could be read"
    assert (os.readlink(built), nquads(built)) == (target, before)


def test_strict_keeps_the_previous_store_when_any_document_is_unreadable(built: Path, tmp_path: Path) -> None:
    before = nquads(built)
    report = build_store([bad_documents(tmp_path / "docs")], built, strict=True)
    assert not report.written and "--strict" in report.reason_not_written
    assert nquads(built) == before


def test_a_mapper_crash_on_one_document_costs_only_that_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mapper bug on one page is reported against that page; the other cities still build."""
    real = reading_module.read_snapshot

    def crash_on_medellin(text: str, source: str):
        if source == MEDELLIN.name:
            raise ValueError("bug")
        return real(text, source)

    monkeypatch.setattr(reading_module, "read_snapshot", crash_on_medellin)  # before the readers fork
    report = build_store([SEEDS], tmp_path / "store")
    errors = {doc.source: doc.error for doc in report.documents if doc.error}
    assert list(errors) == [MEDELLIN.name]
    assert "the mapper failed unexpectedly (a bug): ValueError: bug" in errors[MEDELLIN.name]
    assert report.written and report.totals.read == 4


def test_same_snapshot_twice_gets_numbered_graphs(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        shutil.copy(MEDELLIN, tmp_path / name / "medellin.txt")
    report = build_store([tmp_path / "a", tmp_path / "b"], tmp_path / "store")
    first, second = (doc.graph_id for doc in report.documents)
    assert second == f"{first}-2"
    graphs = {g.value for g in open_store(tmp_path / "store").named_graphs()}
    assert {f"https://w3id.org/citykg/snapshot/{first}", f"https://w3id.org/citykg/snapshot/{second}"} <= graphs


def test_base_iri_is_used_for_every_data_graph(tmp_path: Path) -> None:
    report = build_store([MEDELLIN], tmp_path / "store", base="http://example.org/kg/")
    graphs = {g.value for g in open_store(tmp_path / "store").named_graphs()}
    assert f"http://example.org/kg/snapshot/{report.documents[0].graph_id}" in graphs


# --- errors a user can cause -------------------------------------------------------------------


def test_opening_before_any_build_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(NoStore, match=r"no store at .*nowhere: run `citykg build` first"):
        open_store(tmp_path / "nowhere")


def test_missing_input_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputNotFound, match="no-such-dir"):
        build_store([tmp_path / "no-such-dir"], tmp_path / "store")


def test_the_store_refuses_writes(seed_store: Path) -> None:
    store = open_store(seed_store)
    quad = Quad(NamedNode("http://example.org/s"), NamedNode("http://example.org/p"), Literal("o"))
    with pytest.raises(RuntimeError):
        store.add(quad)


@pytest.mark.parametrize(
    ("docs", "strict", "code"),
    [("good", False, 0), ("mixed", False, 0), ("mixed", True, 1), ("bad", False, 1)],
)
def test_build_exit_codes(run_cli, tmp_path: Path, docs: str, strict: bool, code: int) -> None:
    mixed = bad_documents(tmp_path / "mixed")
    inputs = {"good": [MEDELLIN], "mixed": [mixed], "bad": [mixed / "notes.txt", mixed / "latin1.txt"]}[docs]
    result = run_cli("build", *inputs, "--store", tmp_path / "store", *(["--strict"] if strict else []))
    assert result.code == code
    assert (tmp_path / "store").exists() == (code == 0)
    if code:
        assert "left as it was" in result.err and "Traceback" not in result.err


KILL_DURING_BUILD = """
import os, signal, sys
import server.store.build as b
import server.store.embedded as s
def killed(*args):
    os.kill(os.getpid(), signal.SIGKILL)  # after the new version was loaded, before the swap
s._verify = killed
b.build_store([sys.argv[1]], sys.argv[2])
"""


def test_killed_build_leaves_previous_store_and_next_build_cleans_up(built: Path) -> None:
    """A real SIGKILL: no cleanup code runs, so only the layout protects the store."""
    before, target = nquads(built), os.readlink(built)
    done = subprocess.run([sys.executable, "-c", KILL_DURING_BUILD, str(SEEDS), str(built)], cwd=REPO, timeout=300)
    assert done.returncode == -signal.SIGKILL
    assert (os.readlink(built), nquads(built)) == (target, before)
    assert any(p.name.startswith(".building-") for p in versions_dir(built).iterdir())  # the kill left litter
    build_store([SEEDS], built)
    assert listing(built.parent) == sorted(["store", "store.d", "store.d/.lock", f"store.d/{built.resolve().name}"])


# --- the loader ------------------------------------------------------------------------------


class _Chunks:
    """A QuadStream of ``count`` quads in chunks of ``per_chunk`` lines; ``bad_at`` puts a line
    that is not N-Quads in place of that quad."""

    def __init__(self, count: int, per_chunk: int, bad_at: int | None = None) -> None:
        self.count, self.per_chunk, self.bad_at, self.distinct = count, per_chunk, bad_at, 0

    def __iter__(self):
        for start in range(0, self.count, self.per_chunk):
            lines = [b"<http://example.org/s%d> <http://example.org/p> \"%d\" <http://example.org/g%d> .\n" % (n, n, n % 7)
                     if n != self.bad_at else b"<http://example.org/s> not N-Quads .\n"
                     for n in range(start, min(self.count, start + self.per_chunk))]
            yield b"".join(lines)
        self.distinct = self.count


@pytest.fixture
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loader steps of 1 KiB growing to 4 KiB, so a few thousand quads take many steps."""
    loader = store_module._LOADER.replace("FIRST, LARGEST = 16 << 20, 64 << 20", "FIRST, LARGEST = 1 << 10, 4 << 10")
    assert loader != store_module._LOADER
    monkeypatch.setattr(store_module, "_LOADER", loader)


@pytest.mark.parametrize("count", [1, 9, 3000])  # all in the last (short) step, or in many steps and the last
def test_the_loader_loads_every_step_and_the_rest(tmp_path: Path, small_steps: None, count: int) -> None:
    store_dir = tmp_path / "store"
    store_module.write_store(_Chunks(count, per_chunk=7), store_dir)
    held = open_store(store_dir)
    assert len(held) == count
    assert {q.subject.value for q in held.quads_for_pattern(None, None, None, None)} == {f"http://example.org/s{n}" for n in range(count)}


@pytest.mark.parametrize("bad_at", [5, 2990])  # in an early step, or in the rest loaded beside the last step
def test_a_loader_failure_in_any_step_is_an_error_and_the_store_is_left(built: Path, small_steps: None, bad_at: int) -> None:
    before, target, files = nquads(built), os.readlink(built), listing(built.parent)
    with pytest.raises(BuildError, match="loading the new store .* failed: SyntaxError"):
        store_module.write_store(_Chunks(3000, per_chunk=7, bad_at=bad_at), built)
    assert (os.readlink(built), listing(built.parent), nquads(built)) == (target, files, before)
