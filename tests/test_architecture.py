"""The layout is a contract: layers call only downwards, nothing imports in a cycle, HTML is
in templates.

Imports are read with ``ast`` from every module of ``mapper/`` and ``server/``, at any depth
(an import inside a function is as real a dependency as one at the top), and resolved to the
module they name: ``from server.sparql import scan`` depends on ``server.sparql.scan``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

CODE = ("mapper", "server")
# Layer of a module -> the layers it may import. Shared modules (directly in server/) may be
# imported by every server layer; ``server.__main__`` only starts the command line.
ALLOWED = {
    "mapper": {"mapper"},
    "shared": {"shared", "mapper"},
    "store": {"store", "shared", "mapper"},
    "ingest": {"ingest", "shared", "mapper"},
    "sparql": {"sparql", "store", "shared", "mapper"},
    "web": {"web", "sparql", "store", "shared", "mapper"},
    "cli": {"cli", "web", "sparql", "store", "ingest", "shared", "mapper"},
    "main": {"cli"},
}
MAX_TOP_LEVEL_MODULES = 8
# A tag that only an HTML document or fragment holds (SPARQL's <iri> never matches: ``<p>``,
# ``<a href``, ``<table`` do).
HTML = re.compile(
    r"<(?:!doctype|html|head|body|title|meta|link|style|script|table|tr|td|th|div|span|section|p|ul|ol|li"
    r"|form|input|select|option|textarea|button|label|details|summary|code|pre|h[1-6]|br|a)[\s>/]",
    re.IGNORECASE,
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for package in CODE for path in sorted((REPO / package).rglob("*.py"))}


def imports_of(name: str) -> Iterator[str]:
    """Every module of ``MODULES`` that ``name`` imports, wherever the import statement is."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        yield from (target for target in targets if target in MODULES)


GRAPH = {name: set(imports_of(name)) - {name} for name in MODULES}


def layer(name: str) -> str:
    parts = name.split(".")
    if parts[0] == "mapper":
        return "mapper"
    if name == "server.__main__":
        return "main"
    if len(parts) == 2 and (REPO / "server" / f"{parts[1]}.py").is_file() or name == "server":
        return "shared"
    return parts[1]


def test_the_modules_are_found() -> None:
    assert {"mapper.parse", "server.cli.main", "server.web.app", "server.sparql.execute", "server.store.build",
            "server.ingest.fetch"} <= set(MODULES)
    assert GRAPH["server.cli.main"] >= {"server.cli.build", "server.cli.query"}


def test_no_import_cycle() -> None:
    """Depth-first search over the import graph; a back edge is a cycle, shown as a path."""
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in sorted(GRAPH[name]):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [name, target] if target in path else [name, target])
            elif target not in state:
                visit(target, [*path, name])
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_mapper_imports_nothing_from_server() -> None:
    offending = {name: sorted(t for t in GRAPH[name] if t.startswith("server")) for name in MODULES if name.startswith("mapper")}
    assert {name: targets for name, targets in offending.items() if targets} == {}


def test_layers_only_call_downwards() -> None:
    """cli -> web -> sparql -> store -> mapper and cli -> ingest -> mapper (skipping a layer is
    still downwards); the modules directly in server/ are shared and import no layer."""
    wrong = sorted(
        f"{name} ({layer(name)}) imports {target} ({layer(target)})"
        for name, targets in GRAPH.items()
        for target in targets
        if layer(target) not in ALLOWED[layer(name)]
    )
    assert wrong == []


def test_few_modules_directly_in_server() -> None:
    top = sorted(path.name for path in (REPO / "server").glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_every_package_says_what_it_owns_and_re_exports_nothing() -> None:
    """A package's __init__ is its docstring only, so importing a module never drags in its
    siblings (and the import graph above is the whole truth)."""
    for init in sorted((REPO / "server").rglob("__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{init.relative_to(REPO)} has no docstring"
        assert len(tree.body) == 1, f"{init.relative_to(REPO)} holds code besides its docstring"


@pytest.mark.parametrize("path", [path for path in MODULES.values() if path.is_relative_to(REPO / "server")],
                         ids=lambda path: str(path.relative_to(REPO)))
def test_no_html_in_python(path: Path) -> None:
    """HTML lives in server/web/templates (Jinja, autoescaped), never in a Python string."""
    strings = [node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    found = [match.group(0) for text in strings for match in HTML.finditer(text)]
    assert found == []


def test_one_base_layout() -> None:
    """Every page template extends base.html; only base.html is a whole document."""
    templates = REPO / "server" / "web" / "templates"
    pages = sorted(p for p in templates.rglob("*.html") if p.name != "base.html" and not p.name.startswith("_"))
    assert pages, "no templates found"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert text.startswith('{% extends "base.html" %}'), page.name
        assert not re.search(r"<(?:!doctype|html|head|body)\b", text, re.IGNORECASE), page.name
    assert "<!doctype html>" in (templates / "base.html").read_text(encoding="utf-8").lower()


def test_the_html_check_sees_html() -> None:
    """The pattern above is not vacuous: it finds markup, and leaves SPARQL IRIs alone."""
    assert HTML.search("<!doctype html>") and HTML.search('<a href="/x">') and HTML.search("<p>text")
    assert not HTML.search("SELECT * WHERE { <http://example.org/p> <urn:x> ?o } # <prefix>")
