"""Queries run in the caller's own process, for the command line: ad-hoc text and canned queries.

The user at a shell is the store's operator, so these skip the web's limits (no worker pool, no
row cap, no SERVICE allowlist); federated Wikidata calls still go through citykg's proxy, which
lives in this process as long as the query runs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyoxigraph import Literal, NamedNode

from mapper.rdf import DEFAULT_BASE
from server.sparql import federation
from server.sparql.canned import CannedQuery, bind, load_context, request_for
from server.sparql.execute import execute, syntax_error_message
from server.sparql.request import QuerySyntaxError, StoreFailure, UpdateRefused
from server.sparql.scan import is_update
from server.sparql.tables import Table, table_from_results
from server.store.backends import backend
from server.store.prefixes import store_prefixes


@contextmanager
def query_results(store_dir: Path, text: str, wikidata_endpoint: str | None) -> Iterator[tuple[Any, dict[str, str]]]:
    """Evaluate ``text`` over the union of all graphs, the store's prefixes predeclared.

    Yields pyoxigraph's lazy result and the prefixes: iterate inside the block, because SERVICE
    calls are made while the result is read, through a proxy that lives as long as the block.
    Raises ``UpdateRefused``, ``QuerySyntaxError`` (with the position under a caret) or
    ``StoreFailure`` (reading the store or an endpoint failed).
    """
    store = backend(store_dir).open()
    prefixes = store_prefixes(store)
    endpoint = wikidata_endpoint if "service" in text.lower() else None
    with federation.local_proxy(endpoint) as rewrites:  # Wikidata SERVICE calls: User-Agent, cache
        text = federation.prepare(store, text, rewrites, prefixes)
        try:
            result = store.query(text, use_default_graph_as_union=True, prefixes=prefixes)
        except SyntaxError as exc:
            if is_update(text):
                raise UpdateRefused("SPARQL UPDATE is refused: this store is read-only") from None
            raise QuerySyntaxError(syntax_error_message(text, str(exc))) from None
        except OSError as exc:
            raise StoreFailure(f"query failed: {exc}") from None
        yield result, prefixes


@dataclass(frozen=True)
class CannedAnswer:
    table: Table
    bound: Mapping[str, NamedNode | Literal]  # every parameter's value, defaults included
    prefixes: dict[str, str]


def run_canned(
    query: CannedQuery, given: Mapping[str, str], store_dir: Path, wikidata_endpoint: str | None
) -> CannedAnswer:
    """Validate and bind the parameters as ``GET /queries/<name>`` does, run, tabulate. A query
    with SERVICE reaches ``wikidata_endpoint`` through a proxy in this process."""
    store = backend(store_dir).open()
    prefixes = store_prefixes(store)
    run = lambda request: execute(store, request, prefixes=prefixes)  # noqa: E731
    context = load_context(run, [query], DEFAULT_BASE)
    bound = bind(query, given, context)
    federated = "service" in query.text.lower()
    with federation.local_proxy(wikidata_endpoint if federated else None) as rewrites:
        response = execute(store, request_for(query, bound, max_rows=sys.maxsize), prefixes=prefixes, service_rewrites=rewrites)
    return CannedAnswer(table_from_results(response.body, query, bound), bound, prefixes)
