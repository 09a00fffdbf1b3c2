"""Precomputed answers (issue 13, server.web.precompute): every canned query's default JSON and
CSV computed once per build, served from disk byte for byte as the app would answer, never an
older build's, and kept in step with rebuilds by the supervisor ``citykg serve`` runs."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from server.sparql.canned import load_queries
from server.store.embedded import store_version, write_store
from server.web.app import close_app
from server.web.caching import cache_stats
from server.web.precompute import Precomputer, precompute
from server.web.shelf import Shelf, shelf_name, shelvable
from tests.server.web.test_caching import Counting, make_app, version_quads

SETTINGS = {"CITYKG_WIKIDATA_ENDPOINT": "none", "CITYKG_NETWORK_GUARD": "off"}


def expected_paths() -> set[str]:
    """What should be kept, read from the .rq files themselves: queries with no required
    parameter and no SERVICE call, as JSON and CSV."""
    names = {name for name, query in load_queries().items()
             if not any(p.required for p in query.parameters) and "SERVICE" not in query.text.upper()}
    return {f"/queries/{name}{suffix}" for name in names for suffix in (".json", ".csv")}


@pytest.fixture(scope="module")
def shelved(seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("answers")
    index = precompute(store_version(seed_store), root, SETTINGS, timeout=30)
    return root, index


@pytest.fixture(scope="module")
def live(seed_store: Path) -> Iterator[Flask]:
    app = make_app(seed_store, CITYKG_RESPONSE_CACHE=0)
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def served(seed_store: Path, shelved: tuple[Path, dict]) -> Iterator[Flask]:
    app = make_app(seed_store, CITYKG_ANSWERS=str(shelved[0]))
    yield app
    close_app(app)


def test_every_parameterless_local_query_is_kept_and_the_rest_say_why(shelved: tuple[Path, dict]) -> None:
    _, index = shelved
    assert set(index["kept"]) == expected_paths()
    assert len(index["kept"]) >= 30  # 17 of the 25 seed-era queries, twice
    assert index["left"]["/queries/city-profile.json"].startswith("400: missing required parameter 'city'")
    assert "federated" in index["left"]["/queries/wikidata-population.json"]


def test_each_query_is_evaluated_once_for_both_formats(seed_store: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from server.sparql.admission import Lanes

    texts: list[str] = []
    run = Lanes.run

    def counted(self, request, timeout=None):
        texts.append(request.query)
        return run(self, request, timeout)

    monkeypatch.setattr(Lanes, "run", counted)
    index = precompute(store_version(seed_store), tmp_path, SETTINGS, timeout=30)
    queries = load_queries()
    kept = {path.rsplit("/", 1)[1].rsplit(".", 1)[0] for path in index["kept"]}
    assert sorted(text for text in texts if text in {queries[name].text for name in kept}) == sorted(queries[name].text for name in kept)


def test_kept_answers_are_the_apps_own_bytes_and_headers(shelved: tuple[Path, dict], live: Flask, served: Flask) -> None:
    counting = Counting(served)
    for path in sorted(shelved[1]["kept"]):
        want, got = live.test_client().get(path), served.test_client().get(path)
        assert got.status_code == 200 and got.get_data() == want.get_data(), path
        validators = {"ETag", "Last-Modified", "Content-Length"}
        assert ({k: v for k, v in got.headers.items() if k not in validators}
                == {k: v for k, v in want.headers.items() if k not in validators}), path
    assert counting.runs == 0  # not one query reached the workers
    assert cache_stats(served)["precomputed_hits"] >= len(shelved[1]["kept"])


def test_kept_answers_revalidate_and_compress(served: Flask) -> None:
    client = served.test_client()
    first = client.get("/queries/roles.csv")
    assert client.get("/queries/roles.csv", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    zipped = client.get("/queries/roles.json", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.get_data()))["rows"]


@pytest.mark.parametrize(("cache", "reads"), [(None, 1), (0, 3)])
def test_a_kept_answer_is_read_from_disk_once_when_the_response_cache_is_on(
        seed_store: Path, shelved: tuple[Path, dict], cache: int | None, reads: int) -> None:
    """Reading a kept answer means reading its files; the response cache keeps it after the
    first read (with the cache off, every request reads them)."""
    settings = {"CITYKG_ANSWERS": str(shelved[0])} | ({} if cache is None else {"CITYKG_RESPONSE_CACHE": cache})
    app = make_app(seed_store, **settings)
    try:
        client = app.test_client()
        answers = [client.get("/queries/roles.json") for _ in range(3)]
        assert {answer.status_code for answer in answers} == {200}
        assert len({answer.get_data() for answer in answers}) == 1
        assert cache_stats(app)["precomputed_hits"] == reads
    finally:
        close_app(app)


def test_only_a_parameterless_get_of_json_or_csv_is_answered_from_the_shelf() -> None:
    assert shelvable("GET", "/queries/roles.json", "")
    assert shelvable("HEAD", "/queries/roles.csv", "")
    assert not shelvable("GET", "/queries/roles.json", "role=x")  # parameters change the answer
    assert not shelvable("GET", "/queries/roles", "")  # Accept chooses the format
    assert not shelvable("POST", "/queries/roles.json", "")
    assert not shelvable("GET", "/queries/a/b.json", "")
    assert not shelvable("GET", "/sparql.json", "")


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    write_store(version_quads(2), store)
    return store


def test_a_rebuild_never_serves_the_older_builds_answers(small_store: Path, tmp_path: Path) -> None:
    shelf = Shelf(tmp_path / "answers")
    shelf.put(str(store_version(small_store)), "/queries/roles.json", [("Content-Type", "application/json")], b'{"kept": 1}')
    app = make_app(small_store, CITYKG_ANSWERS=str(shelf.root))
    try:
        client = app.test_client()
        assert client.get("/queries/roles.json").get_data() == b'{"kept": 1}'  # the shelf is asked first
        time.sleep(1.1)  # build ids name the second
        write_store(version_quads(3), small_store)
        rebuilt = client.get("/queries/roles.json")
        assert rebuilt.status_code == 200 and rebuilt.get_data() != b'{"kept": 1}'
        assert rebuilt.get_json()["query"] == "roles"
    finally:
        close_app(app)


def test_an_unreadable_entry_is_left_to_the_app(small_store: Path, tmp_path: Path) -> None:
    shelf = Shelf(tmp_path / "answers")
    version = str(store_version(small_store))
    shelf.put(version, "/queries/roles.json", [("Content-Type", "application/json")], b'{"kept": 1}')
    shelf.put(version, "/queries/roles.csv", [("Content-Type", "text/csv")], b"kept\n")
    entry = next((shelf.root / shelf_name(version)).glob("*.body"))
    entry.write_bytes(b"cut")  # no longer the length its headers file names
    meta = next(p for p in (shelf.root / shelf_name(version)).glob("*.json") if p.name != "index.json")
    meta.write_text("{not json")
    app = make_app(small_store, CITYKG_ANSWERS=str(shelf.root))
    try:
        for path in ("/queries/roles.json", "/queries/roles.csv"):
            answer = app.test_client().get(path)
            assert answer.status_code == 200 and answer.get_data() not in (b'{"kept": 1}', b"kept\n", b"cut")
    finally:
        close_app(app)


def test_the_supervisor_computes_each_build_once_and_removes_older_ones(small_store: Path, tmp_path: Path) -> None:
    shelf = Shelf(tmp_path / "answers")
    (shelf.root / "20200101T000000-old").mkdir(parents=True)
    versions = [str(store_version(small_store))]
    warmed: list[str] = []
    supervisor = Precomputer(shelf, lambda: versions[-1], SETTINGS, timeout=30, warm=lambda: warmed.append(versions[-1]))
    try:
        supervisor.step()
        assert not (shelf.root / "20200101T000000-old").exists()
        assert _until(lambda: shelf.complete(versions[-1]) is not None, supervisor)
        first = shelf.complete(versions[-1])
        assert "/queries/roles.json" in first["kept"] and set(first["kept"]) <= expected_paths()
        time.sleep(1.1)
        write_store(version_quads(3), small_store)
        versions.append(str(store_version(small_store)))
        assert _until(lambda: shelf.complete(versions[-1]) is not None, supervisor)
        supervisor.step()
        assert [p.name for p in shelf.root.iterdir()] == [shelf_name(versions[-1])]
        assert warmed == versions  # each build's state read once
    finally:
        supervisor.close()


def test_citykg_serve_reads_each_builds_parameter_context_before_a_request(small_store: Path, tmp_path: Path) -> None:
    from server.web.serving import Serving
    from server.web.views.queries import EXTENSION

    serving = Serving({"CITYKG_STORE": str(small_store), "CITYKG_WORKERS": 1, "CITYKG_HEAVY_WORKERS": 0,
                       "CITYKG_ANSWERS": str(tmp_path / "answers"), **SETTINGS}, "127.0.0.1", 0)
    supervisor = serving.precomputer()
    try:
        assert supervisor is not None and serving.app.extensions[EXTENSION]._context is None
        supervisor.step()
        assert serving.app.extensions[EXTENSION]._context is not None
        assert _until(lambda: supervisor.shelf.complete(str(store_version(small_store))) is not None, supervisor)
    finally:
        supervisor.close()
        serving.close()


def _until(done, supervisor: Precomputer, seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        supervisor.step()
        if done():
            return True
        time.sleep(0.2)
    return False
