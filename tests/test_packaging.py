"""What ``pip install .`` ships: every data file the code reads at run time, and the command.

A wheel is not built here (that needs the network for its build backend); instead the
package-data globs of pyproject.toml are applied to the tree, as setuptools applies them.
``docs/deploy.md`` shows the non-editable install these globs make work.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.conftest import REPO

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
# Data the code reads beside mapper/ and server/ (and the web app's own files).
DATA_DIRS = ["server/web/templates", "server/web/static", "ontology", "queries", "seeds/wikidata"]


def shipped() -> set[Path]:
    out: set[Path] = set()
    for package, patterns in SETUPTOOLS["package-data"].items():
        directory = REPO / package.replace(".", "/")
        for pattern in patterns:
            out |= {path for path in directory.glob(pattern) if path.is_file()}
    return out


def test_every_data_file_is_package_data() -> None:
    present = {path for d in DATA_DIRS for path in (REPO / d).rglob("*")
               if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".py"}
    missing = sorted(str(path.relative_to(REPO)) for path in present - shipped())
    assert missing == []


def test_every_data_directory_is_a_package_found() -> None:
    include = SETUPTOOLS["packages"]["find"]["include"]
    for directory in ["mapper", "ontology", "ontology/vocab", "queries", "seeds/wikidata"]:
        assert directory.replace("/", ".") in include
    assert "server" in include and "server.*" in include  # every sub-package, templates and static too
    assert SETUPTOOLS["packages"]["find"]["namespaces"] is True


def test_the_licence_is_an_spdx_expression_with_its_file() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_the_command_is_the_cli_entry_point() -> None:
    module, _, function = PYPROJECT["project"]["scripts"]["citykg"].partition(":")
    assert callable(getattr(importlib.import_module(module), function))
