"""One query as a value: ``QueryRequest`` in, ``QueryResponse`` out, ``SparqlError`` on failure.

The HTTP endpoint, the canned-query routes and the CLI all describe a query as a
``QueryRequest`` and get a ``QueryResponse`` (bytes already serialised in the negotiated media
type), so the same value can cross a process boundary to a worker (``server.sparql.executor``)
and back. Substitutions travel as N-Triples term text and become pyoxigraph terms in the
worker, so parameters are bound by the engine (``substitutions=``), never spliced into text.
Every error carries the HTTP status the endpoint answers with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.errors import CitykgError

DEFAULT_MAX_ROWS = 10_000


@dataclass(frozen=True)
class QueryRequest:
    query: str
    # variable name (no '?') -> N-Triples term text: '<iri>', '"lit"^^<dt>' or '"lit"@en'
    substitutions: Mapping[str, str] = field(default_factory=dict)
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    media_type: str = "application/sparql-results+json"  # chosen by negotiation; graphs e.g. "text/turtle"
    max_rows: int = DEFAULT_MAX_ROWS


@dataclass(frozen=True)
class QueryResponse:
    kind: str  # "solutions" | "boolean" | "graph"
    media_type: str
    body: bytes
    rows: int | None = None  # solutions or triples (for a large SELECT answer, at most this many)


class SparqlError(CitykgError):
    """A query that cannot be answered as asked; ``http_status`` says how the endpoint reports it.

    Instances pickle by message alone, so workers can send them back to the parent.
    """

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,))


class BadRequest(SparqlError):
    """A malformed protocol request (no query, two queries, a bad graph IRI or parameter)."""

    http_status = 400


class QuerySyntaxError(SparqlError):
    """The parser's message, with the position and the offending line under a caret."""

    http_status = 400


class UpdateRefused(SparqlError):
    """The store is read-only: SPARQL UPDATE is refused on every route."""

    http_status = 403


class ServiceNotAllowed(SparqlError):
    """A SERVICE clause names an endpoint that is not on the allowlist (checked before evaluation)."""

    http_status = 403


class QueryTimeout(SparqlError):
    """The query ran past its deadline and its worker process was killed."""

    http_status = 504


class ResultTooLarge(SparqlError):
    """More rows (or triples) than the configured cap: the answer is refused, never truncated."""

    http_status = 422


class QueryTooComplex(SparqlError):
    """Nested or chained deeper than the limit, refused before evaluation (it could crash the engine)."""

    http_status = 400


class MemoryLimitExceeded(SparqlError):
    """The query needed more memory than a query worker may use; the worker was replaced."""

    http_status = 422


class UnsupportedFormat(SparqlError):
    """No acceptable format can carry this kind of result (e.g. CSV for a CONSTRUCT)."""

    http_status = 406


class EvaluationError(SparqlError):
    """The engine refused the query while evaluating it (a request the client can fix)."""

    http_status = 400


class StoreFailure(SparqlError):
    """Reading the store (or an allowed SERVICE endpoint) failed: not the client's fault."""

    http_status = 500


class UpstreamFailure(SparqlError):
    """A federated endpoint (Wikidata) failed or cannot be reached: a bad gateway, not our fault
    nor the client's. The message names the configured endpoint, never citykg's own proxy."""

    http_status = 502


class UpstreamTimeout(UpstreamFailure):
    """A federated endpoint did not answer in time."""

    http_status = 504


class UnsupportedMediaType(SparqlError):
    """A POST body the protocol does not define (not form-encoded or application/sparql-query,
    or not UTF-8)."""

    http_status = 415


class Unavailable(SparqlError):
    """Every worker stayed busy past the wait limit, the queue is full, or the pool is shut down.

    ``retry_after`` (seconds) becomes the ``Retry-After`` header.
    """

    http_status = 503

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.retry_after))


class TooManyRequests(Unavailable):
    """This client already has as many queries running or queued as one client may."""

    http_status = 429


class ServiceCheckFailed(SparqlError):
    """The query mentions SERVICE but the SERVICE check cannot read it, so it cannot run."""

    http_status = 400


UPDATE_MESSAGE = (
    "SPARQL UPDATE is refused: this endpoint is read-only (the store changes only by "
    "`citykg build`)"
)
