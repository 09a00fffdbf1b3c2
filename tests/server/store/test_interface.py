"""The store interface as the embedded store implements it: versions replaced whole, and a
cache that lives exactly as long as a version."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from server.store.backends import CurrentVersion, backend
from server.store.embedded import EmbeddedStore
from server.store.interface import GraphReader, NoStore, StoreBackend

GRAPH = NamedNode("https://w3id.org/citykg/snapshot/x-2018")


def quads(*labels: str) -> list[Quad]:
    return [Quad(NamedNode(f"https://w3id.org/citykg/city/{label}"), NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                 Literal(label), GRAPH) for label in labels]


def labels(handle: GraphReader) -> set[str]:
    return {row["l"].value for row in handle.query("SELECT ?l WHERE { GRAPH ?g { ?s ?p ?l } }")}


def test_a_directory_means_the_embedded_store(tmp_path: Path) -> None:
    store = backend(tmp_path / "store")
    assert isinstance(store, EmbeddedStore) and isinstance(store, StoreBackend)
    assert store.location == str(tmp_path / "store")
    assert backend(store) is store


def test_nothing_built_is_no_store(tmp_path: Path) -> None:
    with pytest.raises(NoStore, match="run `citykg build` first"):
        backend(tmp_path / "store").version()


def test_replace_installs_a_whole_new_version(tmp_path: Path) -> None:
    store = backend(tmp_path / "store")
    store.replace(quads("lima", "quito"))
    first, handle = store.version(), store.open()
    assert isinstance(handle, GraphReader) and len(handle) == 2
    del handle
    store.replace(quads("bogota"))
    assert store.version() != first
    assert labels(store.open()) == {"bogota"}


def test_current_version_recomputes_its_cache_after_a_rebuild_only(tmp_path: Path) -> None:
    store = backend(tmp_path / "store")
    store.replace(quads("lima"))
    opened: list[set[str]] = []
    current = CurrentVersion(store, lambda handle: opened.append(labels(handle)) or {"labels": labels(handle)})
    assert current.get()[1] == {"labels": {"lima"}}
    assert current.get()[1] == {"labels": {"lima"}} and len(opened) == 1  # same version: cached
    store.replace(quads("lima", "cusco"))
    assert current.get()[1] == {"labels": {"lima", "cusco"}} and len(opened) == 2
