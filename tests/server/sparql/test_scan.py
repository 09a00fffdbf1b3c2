"""server.sparql.scan: reading SPARQL text before it runs (form, UPDATE, FROM).

SERVICE targets are tested in test_services.py (the grammar, the engine's resolution, a listener).
"""

from __future__ import annotations

import pytest

from server.sparql.scan import has_dataset_clause, is_update, query_form


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT * {}", "select"),
        ("  # comment\nPREFIX a: <urn:a#>\nBASE <http://x/>\n construct { } where { }", "construct"),
        ("PREFIX a:<urn:a#> ASK {}", "ask"),
        ("DESCRIBE <urn:x>", "describe"),
        ("INSERT DATA {}", None),
        ("nonsense", None),
    ],
)
def test_query_form(text: str, expected: str | None) -> None:
    assert query_form(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", True),
        ("PREFIX x: <urn:x#> # a comment\n delete where { ?s ?p ?o }", True),
        ("WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", True),
        ("CLEAR ALL", True),
        ("LOAD <http://example.org/data.ttl>", True),
        ("SELECT * { ?s ?p 'INSERT DATA' }", False),
        ("PREFIX insert: <urn:i#> SELECT * { ?s insert:p ?o }", False),
    ],
)
def test_is_update(text: str, expected: bool) -> None:
    assert is_update(text) is expected


def test_has_dataset_clause() -> None:
    assert has_dataset_clause("SELECT * FROM <urn:g> { ?s ?p ?o }")
    assert has_dataset_clause("SELECT * FROM NAMED <urn:g> { GRAPH ?g { ?s ?p ?o } }")
    assert not has_dataset_clause("SELECT * { ?s ?p 'from' } # FROM <urn:g>")
