"""Shared fixtures: a store built once from seeds/, the same seeds in ``oxigraph serve``, the
store the HTTP suites serve (both, in turn), and an in-process ``citykg`` runner.

The endpoint, linked-data and canned-query suites run once per store backend: their tests are
named ``…[embedded]`` and ``…[remote]``, so ``pytest -k remote`` runs them against the remote
store alone (``-k "not remote"`` skips it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyoxigraph import CanonicalizationAlgorithm, Dataset, Quad

from server.cli.main import main
from server.store.build import build_store
from server.store.remote import RemoteStore
from server.store.report import BuildReport
from tests.live import oxigraph_serve

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@dataclass(frozen=True)
class SeedBuild:
    store: Path
    report: BuildReport


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> SeedBuild:
    """Built once per session: every endpoint and CLI test reads the same seed store."""
    store_dir = tmp_path_factory.mktemp("seed-store") / "store"
    report = build_store([SEEDS], store_dir)
    assert report.written, report.reason_not_written
    return SeedBuild(store_dir, report)


@pytest.fixture(scope="session")
def seed_store(seed_build: SeedBuild) -> Path:
    """Path of the store built from seeds/ (read-only use: tests must not rebuild it)."""
    return seed_build.store


@pytest.fixture(scope="session")
def remote_seed_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteStore]:
    """seeds/ built into ``oxigraph serve`` over the SPARQL protocols (read-only use, like
    ``seed_store``). citykg asks Oxigraph for the union of the graphs per query (with
    ``--union-default-graph`` Oxigraph would ignore every FROM); the server stops, by its own
    limit, a query citykg has given up on."""
    location = tmp_path_factory.mktemp("remote-seed-store")
    with oxigraph_serve(location, "--timeout-s", "10") as url:
        store = RemoteStore.at(url, timeout=10)
        report = build_store([SEEDS], store)
        assert report.written, report.reason_not_written
        yield store


@pytest.fixture(scope="session", params=["embedded", "remote"])
def served_store(request: pytest.FixtureRequest, seed_store: Path) -> str | RemoteStore:
    """What the HTTP suites serve (``CITYKG_STORE``): the seed store on disk, then the same
    seeds in a remote store. Expected answers still come from ``seed_store``, so the remote
    runs also check that both stores hold the same graph."""
    if request.param == "embedded":
        return str(seed_store)
    return request.getfixturevalue("remote_seed_store")


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``citykg ARGS...`` in-process and return its exit status and output."""

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()  # drop anything printed before
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def canonical_nquads(quads: Iterable[Quad]) -> set[str]:
    """N-Quads lines after blank-node canonicalization: equal sets mean isomorphic datasets.

    The ontology graph holds blank nodes (OWL lists) whose ids change with every parse.
    """
    dataset = Dataset(quads)
    dataset.canonicalize(CanonicalizationAlgorithm.UNSTABLE)
    return set(str(dataset).splitlines())


@pytest.fixture(scope="session")
def canonical() -> Callable[[Iterable[Quad]], set[str]]:
    return canonical_nquads


@pytest.fixture(scope="session")
def seed_app(served_store: str | RemoteStore):
    """One app (and its worker processes) over the seed store for every HTTP test that reads it."""
    from server.web.app import close_app, create_app

    app = create_app({"CITYKG_STORE": served_store, "CITYKG_WORKERS": 2, "TESTING": True})
    yield app
    close_app(app)


@pytest.fixture
def client(seed_app):
    """A test client of the seed app (modules with an app of their own define their own)."""
    return seed_app.test_client()
