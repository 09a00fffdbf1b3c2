"""Shared fixtures: a store built once from seeds/, and an in-process ``citykg`` runner."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyoxigraph import CanonicalizationAlgorithm, Dataset, Quad

from server.cli.main import main
from server.store.build import build_store
from server.store.report import BuildReport

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
def seed_app(seed_store: Path):
    """One app (and its worker processes) over the seed store for every HTTP test that reads it."""
    from server.web.app import close_app, create_app

    app = create_app({"CITYKG_STORE": str(seed_store), "CITYKG_WORKERS": 2, "TESTING": True})
    yield app
    close_app(app)


@pytest.fixture
def client(seed_app):
    """A test client of the seed app (modules with an app of their own define their own)."""
    return seed_app.test_client()
