"""Fixtures of the web front-end tests: the seeds with markup in Medellín's page, built once.

``markup_store`` is the store, and ``web_app`` the one app over it, that both the Flask-client
tests (tests/web/test_*.py) and the browser tests (tests/web/e2e/, whose ``site`` serves it) use: the five seed snapshots, Medellín's
page changed in two places (``MARKUP_SPOTLIGHT`` in a spotlight sentence, ``MARKUP_ROLE`` as a
role the survey's vocabulary does not know, kept as a free-text concept labelled with the
markup), so every page can be checked to show such values as text. Everything else is the
seeds' hand-checked facts (tests/golden/), except that Medellín names 8 roles here, not 7.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import SEEDS

MEDELLIN_PAGE = "000_25ed298be2eb3bc2.txt"
MARKUP_SPOTLIGHT = '<script>window.__xss = "spotlight"</script><b>has</b>'
MARKUP_ROLE = '<b>Chief</b> hacker <img src=x onerror="window.__xss = \'role\'">'


@pytest.fixture(scope="session")
def markup_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds, Medellín's page carrying markup, built into a store (read-only use)."""
    from server.store.build import build_store

    pages = tmp_path_factory.mktemp("markup-pages")
    for seed in SEEDS.glob("*.txt"):
        text = seed.read_text(encoding="utf-8")
        (pages / seed.name).write_text(with_markup(text) if seed.name == MEDELLIN_PAGE else text, encoding="utf-8")
    store = tmp_path_factory.mktemp("markup-store") / "store"
    report = build_store([pages], store)
    assert report.written, report.reason_not_written
    return store


@pytest.fixture(scope="session")
def web_app(markup_store: Path) -> Iterator[Flask]:
    """One app (and its two query workers) over ``markup_store``: the Flask-client tests use
    its test client, the browser tests serve it on 127.0.0.1."""
    from server.web.app import close_app, create_app

    app = create_app({"CITYKG_STORE": str(markup_store), "CITYKG_WORKERS": 2})
    yield app
    close_app(app)


def with_markup(text: str) -> str:
    roles = "Medellin utilizes 7 different innovation skills or roles\n\nProject manager\n"
    spotlight = "Medellin has a triple helix"
    assert roles in text and spotlight in text, "the Medellín seed changed: update tests/web/conftest.py"
    text = text.replace(roles, roles.replace("7", "8") + MARKUP_ROLE + "\n", 1)
    return text.replace(spotlight, f"Medellin {MARKUP_SPOTLIGHT} a triple helix", 1)
