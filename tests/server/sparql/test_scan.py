"""server.sparql.scan: reading SPARQL text before it runs (form, UPDATE, FROM, SERVICE targets).

The SERVICE cases are the ways pyoxigraph 0.5.13 was measured to accept a SERVICE clause
(glued keywords, the empty prefix, ``\\u`` escapes in IRIs) and the ways a token-level reader
could be fooled (a ``<`` that is "less than" followed by ``#`` or ``'''``).
"""

from __future__ import annotations

import pytest

from server.sparql.scan import (
    has_dataset_clause,
    is_update,
    query_form,
    refused_services,
    service_targets,
)

WIKIDATA = "https://query.wikidata.org/sparql"
EVIL = "http://evil.example/sparql"


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


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT * {{ SERVICE <{EVIL}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ service silent <{EVIL}> {{ }} }}",
        f"SELECT * {{ SERVICESILENT<{EVIL}>{{}} }}",
        "SELECT * { SERVICE <http:\\u002F\\u002Fevil.example/sparql> {} }",
        "PREFIX e: <http://evil.example/> SELECT * { SERVICE e:sparql {} }",
        "PREFIX : <http://evil.example/> SELECT * { SERVICE:sparql {} }",
        "PREFIX : <http://evil.example/> SELECT * { SERVICE SILENT:sparql {} }",
        "SELECT * { VALUES ?e { <http://evil.example/sparql> } SERVICE ?e {} }",
        "BASE <http://evil.example/> SELECT * { SERVICE <sparql> {} }",  # relative: never allowed
        "SELECT * { SERVICE undeclared:sparql {} }",
        f"SELECT * {{ FILTER(?a<?b#> '''\n) SERVICE <{EVIL}> {{}} # '''\n}}",
        f'SELECT * {{ FILTER(?a<?b#> """\n) . ?s <http://x#y> ?o . SERVICE <{EVIL}> {{}} # """\n}}',
        f"SELECT * {{ SERVICE <{WIKIDATA}> {{ ?s ?p ?o }} SERVICE <{EVIL}> {{}} }}",
    ],
)
def test_services_off_the_allowlist_are_found(query: str) -> None:
    assert refused_services(query, {}, [WIKIDATA]) is not None


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT * {{ SERVICE <{WIKIDATA}> {{ ?s ?p ?o }} }}",
        "PREFIX wdq: <https://query.wikidata.org/> SELECT * { SERVICE SILENT wdq:sparql { ?s ?p ?o } }",
        f"SELECT * {{ ?s ?p 'SERVICE <{EVIL}> {{}}' }} # SERVICE <{EVIL}> {{}}",
        "PREFIX service: <urn:s#> SELECT * { ?s service:p ?o . ?s ?p ?o FILTER(?o < 3) }",
        f"PREFIX wikibase: <http://wikiba.se/ontology#> SELECT * {{ SERVICE <{WIKIDATA}> {{ ?i ?p ?o SERVICE wikibase:label {{ ?i ?q ?l }} }} }}",
        "SELECT * { ?s <http://x.example/#service> ?o }",
    ],
)
def test_allowed_and_harmless_queries_pass(query: str) -> None:
    assert refused_services(query, {}, [WIKIDATA]) is None


def test_predeclared_prefixes_are_used_and_the_prologue_wins() -> None:
    predeclared = {"wdq": "https://query.wikidata.org/"}
    assert service_targets("SELECT * { SERVICE wdq:sparql {} }", predeclared) == [("wdq:sparql", WIKIDATA)]
    overridden = "PREFIX wdq: <http://evil.example/> SELECT * { SERVICE wdq:sparql {} }"
    assert service_targets(overridden, predeclared) == [("wdq:sparql", EVIL)]
