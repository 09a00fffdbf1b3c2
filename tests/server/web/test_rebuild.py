"""No error window during a rebuild: readers hold the version they opened (issue 9, item 4).

A server answers VoID, exports, the service description and queries in a loop while the store is
rebuilt again and again underneath it; not one answer is a 5xx, and each query sees one whole
version (its count is one of the versions built, never a mix). Two builds at once: the second
is refused with a clear message and the store is the first's, whole.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest
from pyoxigraph import Literal, NamedNode, Quad

from server.store.embedded import store_version, versions_dir, write_store
from server.store.interface import BuildError
from server.web.app import close_app, create_app
from tests.live import serve_in_thread

LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def version_quads(n: int) -> list[Quad]:
    """Version n: n + 1 cities, so a count tells which version answered."""
    return [Quad(NamedNode(f"https://w3id.org/citykg/city/c{i}"), LABEL, Literal(f"City {i}"),
                 NamedNode("https://w3id.org/citykg/snapshot/s")) for i in range(n + 1)]


def test_answers_during_repeated_rebuilds_are_never_5xx(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_store(version_quads(0), store)
    app = create_app({"CITYKG_STORE": str(store), "CITYKG_WORKERS": 2, "CITYKG_HEAVY_WORKERS": 0,
                      "CITYKG_WIKIDATA_ENDPOINT": "none", "CITYKG_PER_CLIENT": None})
    rebuilds = 25
    done = threading.Event()
    problems: list[str] = []
    counts: set[int] = set()
    seen = 0

    def rebuild() -> None:
        try:
            for n in range(1, rebuilds + 1):
                write_store(version_quads(n), store)
        finally:
            done.set()

    def read(base: str, paths: tuple[tuple[str, dict], ...]) -> None:
        nonlocal seen
        with httpx.Client(base_url=base, timeout=30) as http:
            while not done.is_set() or seen < 40:
                for path, params in paths:
                    response = http.get(path, params=params)
                    seen += 1
                    if response.status_code >= 500:
                        problems.append(f"{path} {response.status_code} {response.text[:200]}")
                    elif "query" in params:
                        counts.add(int(json.loads(response.text)["results"]["bindings"][0]["n"]["value"]))

    count = ("/sparql", {"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "format": "json"})
    mixes = [(("/.well-known/void", {}),), (("/export", {"format": "nquads"}),), (("/sparql", {}), count), (count,)]
    try:
        with serve_in_thread(app, threads=8) as base:
            readers = [threading.Thread(target=read, args=(base, mix)) for mix in mixes]
            builder = threading.Thread(target=rebuild)
            for thread in (*readers, builder):
                thread.start()
            for thread in (builder, *readers):
                thread.join(120)
    finally:
        close_app(app)
    assert problems == []
    assert counts <= set(range(1, rebuilds + 2))  # whole versions only
    assert len(counts) >= 2  # the answers did follow the rebuilds
    assert store_version(store).exists()


def test_a_version_in_use_is_kept_until_its_reader_lets_go(tmp_path: Path) -> None:
    from server.store.embedded import open_store

    store = tmp_path / "store"
    write_store(version_quads(0), store)
    reader = open_store(store)
    first = store_version(store)
    write_store(version_quads(1), store)
    assert first.exists() and len(reader) == 1  # still readable, whole
    del reader
    write_store(version_quads(2), store)
    assert not first.exists()
    assert sorted(p.name for p in versions_dir(store).iterdir() if p.is_dir() and not p.name.startswith(".")) == [store_version(store).name]


def test_two_builds_at_once_one_is_refused_and_the_store_is_whole(tmp_path: Path) -> None:
    """The second build finds the lock held and stops with a clear message; nothing is mixed."""
    import fcntl

    store = tmp_path / "store"
    write_store(version_quads(0), store)
    before = store_version(store)
    with open(versions_dir(store) / ".lock", "a") as held:  # a build in progress holds this
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(BuildError, match="another build of .* is running"):
            write_store(version_quads(5), store)
    assert store_version(store) == before
    results: list[object] = []

    def build(n: int) -> None:
        try:
            results.append(write_store(version_quads(n), store))
        except BuildError as exc:
            results.append(exc)

    threads = [threading.Thread(target=build, args=(n,)) for n in (3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2
    from server.store.embedded import open_store

    count = len(open_store(store))
    assert count in (4, 5)  # exactly one of the two versions, whole
    assert all(isinstance(r, str) or "another build" in str(r) for r in results)
