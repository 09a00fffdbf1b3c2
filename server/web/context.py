"""What a request reads from its app: the query worker pool, the base IRI, the current store,
and queries run through the pool.

``create_app`` puts these in ``app.extensions``; views reach them through these functions only,
so no view imports the app module (which imports every view).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app
from pyoxigraph import RdfFormat, Triple, parse

from mapper.rdf import DEFAULT_BASE
from server.sparql.admission import Lanes
from server.sparql.request import QueryRequest, QueryResponse
from server.sparql.services import MENTIONS_SERVICE
from server.store.backends import CurrentVersion
from server.store.interface import GraphReader, StoreBackend
from server.store.prefixes import store_prefixes
from server.web.caching import mark_uncacheable
from server.web.describe import Linker

EXECUTOR = "citykg.executor"
PUBLISHED = "citykg.published"


def executor() -> Lanes:
    """The app's worker pools: every query of every route runs there (timeout, caps, allowlist).
    A federated query (SERVICE) makes this request's answer uncacheable (``server.web.caching``)."""
    return _Marking(current_app.extensions[EXECUTOR])


class _Marking:
    """The pools, telling the response cache about every query that calls out (SERVICE)."""

    def __init__(self, lanes: Lanes) -> None:
        self._lanes = lanes

    def run(self, request: QueryRequest, timeout: float | None = None) -> QueryResponse:
        if MENTIONS_SERVICE.search(request.query):
            mark_uncacheable()
        return self._lanes.run(request, timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lanes, name)


def public_url() -> str:
    """The URL clients reach this server at (configured, ends with ``/``): never the Host header."""
    url = str(current_app.config.get("CITYKG_PUBLIC_URL") or "http://127.0.0.1:8000/")
    return url if url.endswith("/") else url + "/"


def base_iri() -> str:
    """The data base IRI this app serves: ``/city/x`` describes ``<base>city/x``."""
    return str(current_app.config.get("CITYKG_BASE_IRI") or DEFAULT_BASE)


def publish(app: Flask, store: StoreBackend) -> None:
    """Give ``app`` a handle on the store's current version, with its prefix table cached."""
    app.extensions[PUBLISHED] = CurrentVersion(store, lambda handle: {"prefixes": store_prefixes(handle)})


def published() -> tuple[GraphReader, dict[str, Any]]:
    """A read-only handle in this process on the current store version, and its cache (values
    computed once per version, dropped when a rebuild swaps the store)."""
    return current_app.extensions[PUBLISHED].get()


def prefixes() -> dict[str, str]:
    """The prefix table of the current store version."""
    return published()[1]["prefixes"]


def linker() -> Linker:
    """Links and short names for IRIs, with this app's base IRI and the store's prefixes."""
    return Linker(base_iri(), prefixes())


def construct(query: str, substitutions: dict[str, str]) -> list[Triple]:
    """A CONSTRUCT run in the worker pool (timeout and caps hold), as triples."""
    pool = executor()
    answer = pool.run(QueryRequest(query, substitutions=substitutions, media_type="application/n-triples",
                                   max_rows=pool.config.max_rows))
    return [quad.triple for quad in parse(answer.body, format=RdfFormat.N_TRIPLES)]


def select(query: str, substitutions: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """A SELECT run in the worker pool, as SPARQL JSON bindings."""
    pool = executor()
    answer = pool.run(QueryRequest(query, substitutions=substitutions or {}, max_rows=pool.config.max_rows))
    return json.loads(answer.body)["results"]["bindings"]
