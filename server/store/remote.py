"""The remote store: any SPARQL 1.1 store, reached through the standard protocols only.

citykg then keeps no state of its own: every replica of ``citykg serve`` reads one store
(Oxigraph server, Apache Jena Fuseki, QLever, Virtuoso...) and ``citykg build`` writes it.

- Reading is the SPARQL 1.1 Protocol's query operation (a form POST with ``query``,
  ``default-graph-uri`` and ``named-graph-uri``). ``RemoteReader`` answers the read half of
  pyoxigraph's ``Store`` API with it (``server.store.interface.GraphReader``): the store's
  prefixes are declared on one line above the query (error positions are moved back by that
  line), ``substitutions`` replace their variables in the text (no protocol carries bindings;
  the terms are pyoxigraph's, so well-formed), and answers are parsed by pyoxigraph into its
  own result types. The store must query the union of its named graphs by
  default (what citykg's embedded store does); ``version()`` refuses a store that does not.
- Writing is the SPARQL 1.1 Graph Store HTTP Protocol: ``replace`` PUTs each graph of a build
  whole (so a rebuild is idempotent), deletes citykg's graphs that the new build no longer has,
  checks every graph's size by query, and on any failure puts back what it had overwritten or
  deleted. Each PUT is atomic on its own; the build as a whole is not (see docs/deploy.md).
- Time: every request has a client-side limit, and stores that take one get their own limit
  with the query (``timeout_parameter``). A partial answer (HTTP 206, Virtuoso's
  ``X-SQL-State``) or one cut off mid-body is an error, never a result.
- ``version()``: the protocols cannot say when a store changed, so a remote version is a time
  window of ``refresh`` seconds, checked on each new window (the store answers, holds citykg
  data, and queries the union of its graphs). Queries always read the live store; what readers
  cache per version (prefixes, VoID, exports) is at most ``refresh`` seconds old.

Credentials come from the environment, never from the command line: ``CITYKG_STORE_USER`` and
``CITYKG_STORE_PASSWORD`` (HTTP Basic, or Digest with ``CITYKG_STORE_AUTH=digest``) or
``CITYKG_STORE_TOKEN`` (``Authorization: Bearer``).
"""

from __future__ import annotations

import os
import re
import secrets
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from pygments.lexers.rdf import SparqlLexer
from pygments.token import Token
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Triple,
    Variable,
    parse,
    parse_query_results,
    serialize,
)

from server.store.interface import BuildError, NoStore, StoreBackend, StoreError

ENV_USER, ENV_PASSWORD, ENV_TOKEN, ENV_AUTH = "CITYKG_STORE_USER", "CITYKG_STORE_PASSWORD", "CITYKG_STORE_TOKEN", "CITYKG_STORE_AUTH"
DEFAULT_TIMEOUT = 60.0  # seconds a query may run (the command line; `citykg serve` uses its --max-timeout)
DEFAULT_REFRESH = 60.0  # seconds a version (and what readers cache with it) lasts
WRITE_TIMEOUT = 300.0  # seconds for one Graph Store request (a whole graph)
TRANSFER_MARGIN = 5.0  # seconds the client waits beyond the query's limit, for the answer to arrive
MAX_ANSWER_BYTES = 512 * 1024 * 1024  # an answer larger than this is refused, not held in memory
CIK_SNAPSHOT = "https://w3id.org/citykg/ontology#Snapshot"
QUERY_ACCEPT = (
    "application/sparql-results+json, application/n-triples, text/turtle;q=0.9, "
    "application/sparql-results+xml;q=0.8, application/rdf+xml;q=0.5"
)
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
RESULT_TYPES = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "text/tab-separated-values": QueryResultsFormat.TSV,
}
GRAPH_TYPES = {
    "application/n-triples": RdfFormat.N_TRIPLES,
    "text/turtle": RdfFormat.TURTLE,
    "application/x-turtle": RdfFormat.TURTLE,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/n-quads": RdfFormat.N_QUADS,
    "application/trig": RdfFormat.TRIG,
    "application/ld+json": RdfFormat.JSON_LD,
}
_LEXER = SparqlLexer()
_POSITIONS = (re.compile(r"(at )(\d+)(:\d+)"), re.compile(r"(line )(\d+)(, column \d+)"))  # Oxigraph, Jena


@dataclass(frozen=True)
class Dialect:
    """Where a kind of store puts its endpoints (relative to its URL), how it takes a limit, and
    how a query asks for the union of the named graphs as its default graph.

    ``timeout_parameter`` is a protocol parameter sent with each query, ``{s}`` or ``{ms}``
    standing for the limit in seconds or milliseconds; None where the store takes none.
    ``union_parameter`` is sent (as ``true``) with queries that declare no dataset of their own;
    None where the union is the store's configured default graph.
    """

    query: str
    update: str
    gsp: str
    timeout_parameter: str | None = None
    union_parameter: str | None = None


DIALECTS: dict[str, Dialect] = {
    # server-wide limit only (`oxigraph serve --timeout-s`); the union asked per query, so a
    # query's own FROM still counts (`--union-default-graph` would override every FROM)
    "oxigraph": Dialect("query", "update", "store", union_parameter="union-default-graph"),
    "fuseki": Dialect("query", "update", "data", "timeout={s}"),  # dataset URL, e.g. http://host:3030/ds
    "qlever": Dialect("", "", "", "timeout={s}s"),  # one URL for everything
    "virtuoso": Dialect("sparql", "sparql-auth", "sparql-graph-crud-auth", "timeout={ms}"),
    "generic": Dialect("", "", ""),  # the URL is the endpoint; give the others with their own options
}


class RemoteStoreError(StoreError, OSError):
    """The store could not be reached or answered with an error.

    An ``OSError`` too, so a query that fails this way is reported as a store failure (HTTP 500)
    exactly as a failed read of the embedded store is.
    """


def _credentials() -> httpx.Auth | None:
    user, password, token = (os.environ.get(name) for name in (ENV_USER, ENV_PASSWORD, ENV_TOKEN))
    if token:
        return _BearerAuth(token)
    if user is None:
        return None
    if password is None:
        raise StoreError(f"{ENV_USER} is set but {ENV_PASSWORD} is not")
    if os.environ.get(ENV_AUTH, "basic").lower() == "digest":
        return httpx.DigestAuth(user, password)
    return httpx.BasicAuth(user, password)


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _user_agent() -> str:
    try:
        from importlib.metadata import version

        release = version("citykg")
    except Exception:  # noqa: BLE001 - a source checkout that is not installed
        release = "0"
    return f"citykg/{release} (+https://w3id.org/citykg)"


def check_url(url: str, what: str) -> str:
    """An absolute http(s) URL with a host, else ``StoreError`` naming ``what``."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"{what} {url!r} is not an absolute http(s) URL")
    return url.strip()


def is_url(location: object) -> bool:
    return isinstance(location, str) and location.strip().lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class RemoteStore(StoreBackend):
    """A SPARQL 1.1 store: its query endpoint, and for builds its Graph Store endpoint."""

    query_url: str
    gsp_url: str | None = None  # None: this location is read-only for citykg
    update_url: str | None = None  # optional: vanished graphs are then dropped in one request
    timeout: float = DEFAULT_TIMEOUT
    timeout_parameter: str | None = None
    union_parameter: str | None = None
    refresh: float = DEFAULT_REFRESH
    name: str = ""  # how messages name the store (the URL given), default the query URL
    _versions: dict[str, tuple[str, float]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def at(
        cls,
        url: str,
        kind: str = "oxigraph",
        *,
        query_url: str | None = None,
        update_url: str | None = None,
        gsp_url: str | None = None,
        **options: Any,
    ) -> RemoteStore:
        """The store at ``url``, its endpoints where ``kind`` of store puts them unless given."""
        if kind not in DIALECTS:
            raise StoreError(f"unknown kind of store {kind!r}; one of {', '.join(DIALECTS)}")
        dialect = DIALECTS[kind]
        base = check_url(url, "store URL").rstrip("/") + "/"
        under = lambda path: base + path if path else base.rstrip("/")  # noqa: E731
        options.setdefault("timeout_parameter", dialect.timeout_parameter)
        options.setdefault("union_parameter", dialect.union_parameter)
        return cls(
            query_url=check_url(query_url, "--query-url") if query_url else under(dialect.query),
            gsp_url=check_url(gsp_url, "--gsp-url") if gsp_url else under(dialect.gsp),
            update_url=check_url(update_url, "--update-url") if update_url else (under(dialect.update) if dialect.update else None),
            name=url.strip(),
            **options,
        )

    @property
    def location(self) -> str:
        return self.name or self.query_url

    @property
    def evaluates_in_process(self) -> bool:
        return False

    def version(self) -> str:
        """The current time window, once the store was checked in it (see the module docstring)."""
        window = int(time.time() // self.refresh)
        cached = self._versions.get("current")
        if cached is not None and cached[1] == window:
            return cached[0]
        reader = RemoteReader(self)
        try:
            reader.check()
        finally:
            reader.close()
        version = f"{self.location}@{window}"
        self._versions["current"] = (version, window)
        return version

    def open(self) -> RemoteReader:
        return RemoteReader(self)

    def replace(self, quads: Sequence[Quad]) -> str:
        if self.gsp_url is None:
            raise BuildError(f"the store at {self.location} has no Graph Store endpoint to write to (--gsp-url)")
        build_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)
        reader = RemoteReader(self)
        try:
            with httpx.Client(**self.client_options(WRITE_TIMEOUT)) as client:
                _GraphWrite(self, client, reader).run(quads)
        finally:
            reader.close()
        self._versions.clear()  # this process sees the new build at once
        return build_id

    # shared by readers and writers ---------------------------------------------------------

    def client_options(self, limit: float) -> dict[str, Any]:
        return {
            "auth": _credentials(),
            "headers": {"User-Agent": _user_agent()},
            "timeout": httpx.Timeout(limit, connect=min(10.0, limit)),
        }

    def server_limit(self) -> dict[str, str]:
        """The store's own time limit, as the protocol parameter its kind understands."""
        if not self.timeout_parameter:
            return {}
        name, _, template = self.timeout_parameter.partition("=")
        value = template.format(s=f"{self.timeout:g}", ms=str(int(self.timeout * 1000)))
        return {name: value}


# --- reading --------------------------------------------------------------------------------


class RemoteReader:
    """The read half of pyoxigraph's ``Store`` over the SPARQL 1.1 Protocol (see the module docstring).

    Not pinned to a version: it reads whatever the store holds when each query runs.
    """

    def __init__(self, store: RemoteStore) -> None:
        self.store = store
        self._client = httpx.Client(**store.client_options(store.timeout + TRANSFER_MARGIN))

    def close(self) -> None:
        self._client.close()

    def query(
        self,
        query: str,
        *,
        base_iri: str | None = None,
        prefixes: Mapping[str, str] | None = None,
        use_default_graph_as_union: bool = False,
        default_graph: Any = None,
        named_graphs: Any = None,
        substitutions: Mapping[Any, Any] | None = None,
    ) -> Any:
        """SELECT solutions, an ASK boolean, or an iterator of CONSTRUCT/DESCRIBE triples.

        ``use_default_graph_as_union`` is sent where the store takes it per query
        (``union_parameter``); elsewhere the union is the store's own default (checked by
        ``check``). Raises ``SyntaxError`` (position in the caller's text) or ``RuntimeError`` when the
        store refuses the query, ``RemoteStoreError`` (an ``OSError``) when it fails.
        """
        head = _prologue(query, base_iri, prefixes)
        form: list[tuple[str, str]] = [("query", head + _bind(query, substitutions))]
        form += [("default-graph-uri", iri) for iri in _graph_names(default_graph)]
        form += [("named-graph-uri", iri) for iri in _graph_names(named_graphs)]
        if use_default_graph_as_union and self.store.union_parameter and not (default_graph or named_graphs):
            form.append((self.store.union_parameter, "true"))
        form += list(self.store.server_limit().items())
        response = self._send(form)
        if response.status_code == 400:
            try:
                message = response.read().decode("utf-8", "replace")
            finally:
                response.close()
            _refused(message, shift=1 if head else 0)
        body = self._answer(response)
        return _parse_answer(body, _media_type(response), self.store.location)

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any, graph_name: Any = None) -> Iterator[Quad]:
        """Quads of the named graphs (citykg writes no default-graph triples; a store whose
        default graph is the union cannot tell them apart)."""
        if isinstance(graph_name, DefaultGraph):
            return iter(())
        bound = {name: term for name, term in zip("spog", (subject, predicate, object, graph_name)) if term is not None}
        if any(isinstance(term, BlankNode) for term in bound.values()):
            return iter(())  # a blank node of another answer names nothing in the store
        solutions = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", substitutions={Variable(k): v for k, v in bound.items()})
        return iter([Quad(row["s"], row["p"], row["o"], row["g"]) for row in solutions])

    def named_graphs(self) -> Iterator[NamedNode]:
        return iter([row["g"] for row in self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")])

    def dump(self, output: Any = None, format: Any = None, *, from_graph: Any = None, **kwargs: Any) -> bytes | None:
        quads = list(self.quads_for_pattern(None, None, None, from_graph))
        statements: list[Any] = [quad.triple for quad in quads] if from_graph is not None else quads
        return serialize(statements, output, format, **kwargs)

    def __len__(self) -> int:
        rows = list(self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
        return int(rows[0]["n"].value)

    def check(self) -> None:
        """``NoStore`` without citykg data; ``StoreError`` when the store does not query the
        union of its named graphs by default (citykg's queries are written for that)."""
        if not self.query(f"ASK {{ GRAPH ?g {{ ?g a <{CIK_SNAPSHOT}> }} }}"):
            raise NoStore(f"no citykg data at {self.store.location}: run `citykg build --store-url {self.store.location}` first")
        if not self.query(f"ASK {{ ?g a <{CIK_SNAPSHOT}> }}", use_default_graph_as_union=True):
            raise StoreError(
                f"the store at {self.store.location} does not query the union of its named graphs by default; "
                "see docs/deploy.md for what Fuseki, QLever and Virtuoso need"
            )

    # HTTP ------------------------------------------------------------------------------------

    def _send(self, form: list[tuple[str, str]]) -> httpx.Response:
        url = self.store.query_url
        try:
            request = self._client.build_request("POST", url, data=dict(_group(form)), headers={"Accept": QUERY_ACCEPT})
            return self._client.send(request, stream=True)
        except httpx.TimeoutException:
            raise RemoteStoreError(f"the store at {url} did not answer within {self.store.timeout + TRANSFER_MARGIN:g} s") from None
        except httpx.HTTPError as exc:
            raise RemoteStoreError(f"cannot reach the store at {url}: {exc}") from None

    def _answer(self, response: httpx.Response) -> bytes:
        """The whole body of a complete, successful answer (``RemoteStoreError`` otherwise)."""
        url = self.store.query_url
        try:
            if response.status_code != 200 or "x-sql-state" in response.headers:
                detail = response.read()[:2000].decode("utf-8", "replace").strip()
                raise RemoteStoreError(_failure(url, response, detail))
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise RemoteStoreError(f"the answer of the store at {url} is larger than {MAX_ANSWER_BYTES // 2**20} MiB; narrow the query")
                chunks.append(chunk)
            return b"".join(chunks)
        except httpx.TimeoutException:
            raise RemoteStoreError(f"the store at {url} did not send its whole answer within {self.store.timeout + TRANSFER_MARGIN:g} s") from None
        except httpx.HTTPError as exc:
            raise RemoteStoreError(f"the answer of the store at {url} broke off: {exc}") from None
        finally:
            response.close()


def _group(form: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for key, value in form:
        grouped[key].append(value)
    return grouped


def _failure(url: str, response: httpx.Response, detail: str) -> str:
    if response.status_code in (401, 403):
        return (f"the store at {url} refused access (HTTP {response.status_code}); "
                f"set {ENV_USER} and {ENV_PASSWORD}, or {ENV_TOKEN}")
    if response.status_code == 206 or "x-sql-state" in response.headers:
        return f"the store at {url} sent a partial answer (its own time or row limit): {response.headers.get('x-sql-message', detail)[:300]}"
    return f"the store at {url} answered HTTP {response.status_code}: {detail[:500]}"


def _prologue(query: str, base_iri: str | None, prefixes: Mapping[str, str] | None) -> str:
    """One line: BASE and the prefixes the text uses (an own declaration later in the query wins)."""
    parts = [f"BASE <{base_iri}>"] if base_iri else []
    for name, namespace in (prefixes or {}).items():
        if re.search(rf"(?<![\w.\-]){re.escape(name)}:", query):
            parts.append(f"PREFIX {name}: <{namespace}>")
    return " ".join(parts) + "\n" if parts else ""


def _bind(query: str, substitutions: Mapping[Any, Any] | None) -> str:
    """``query`` with each substituted variable replaced by its term, as pyoxigraph binds it
    (every occurrence, subqueries included; no protocol carries bindings).

    Tokens come from Pygments' SPARQL lexer, so strings, IRIs and comments are never touched.
    The variable keeps its name in the answer: the top-level SELECT list gets ``(term AS ?v)``
    (a subquery's list drops it: it is bound everywhere already); GROUP BY and ORDER BY get a
    bracketed ``(term)``; after ``AS`` or ``VALUES`` (an assignment) it stays as written.
    """
    if not substitutions:
        return query
    values = {_name(variable): _term_text(variable, term) for variable, term in substitutions.items()}
    out: list[str] = []
    done = brackets = braces = clause_brackets = 0
    clause: str | None = None  # "select" (a projection) or "modifier" (GROUP BY, ORDER BY)
    previous = ""
    for position, kind, text in _LEXER.get_tokens_unprocessed(query):
        if kind in Token.Comment or not text.strip():
            continue
        word = text.upper() if kind in Token.Keyword else text
        if word == "SELECT" or word in ("GROUP BY", "ORDER BY"):
            clause, clause_brackets = ("select" if word == "SELECT" else "modifier"), brackets
        elif word in ("WHERE", "FROM", "{", "}", "HAVING", "LIMIT", "OFFSET", "VALUES"):
            clause = None
        if kind in Token.Punctuation:
            brackets += {"(": 1, ")": -1}.get(text, 0)
            braces += {"{": 1, "}": -1}.get(text, 0)
        if kind in Token.Name.Variable and text[1:] in values and previous not in ("AS", "VALUES"):
            term = f" {values[text[1:]]} "  # spaced: never glued into `<<` or a longer name
            if clause == "select" and brackets == clause_brackets:
                term = f" ({term.strip()} AS {text}) " if braces == 0 else " "
            elif clause == "modifier" and brackets == clause_brackets:
                term = f" ({term.strip()}) "
            out += [query[done:position], term]
            done = position + len(text)
        previous = word
    return "".join(out) + query[done:]


def _term_text(variable: Any, term: Any) -> str:
    if isinstance(term, BlankNode) or not isinstance(term, (NamedNode, Literal, Triple)):
        raise RuntimeError(f"?{_name(variable)} cannot be bound to {term!r} on a remote store")
    return str(term)


def _name(variable: Any) -> str:
    return variable.value if isinstance(variable, Variable) else str(variable).lstrip("?$")


def _graph_names(graphs: Any) -> list[str]:
    if graphs is None:
        return []
    if isinstance(graphs, (NamedNode, DefaultGraph)):
        graphs = [graphs]
    return [graph.value for graph in graphs if isinstance(graph, NamedNode)]


def _refused(message: str, shift: int) -> None:
    """A 400 is the store refusing the query: a syntax error, with its position in the
    caller's text (our prologue line taken off), or an evaluation error."""
    text = message.strip()
    for pattern in _POSITIONS:
        found = pattern.search(text)
        if found:
            line = max(1, int(found.group(2)) - shift)
            raise SyntaxError(text[: found.start(2)] + str(line) + text[found.end(2) :])
    raise RuntimeError(text or "the store refused the query")


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _parse_answer(body: bytes, media_type: str, location: str) -> Any:
    """pyoxigraph's result types, read whole here so that an answer cut off mid-body is an
    error of the store, never taken for a smaller result."""
    try:
        if media_type in RESULT_TYPES:
            fmt = RESULT_TYPES[media_type]
            answer = parse_query_results(body, format=fmt)
            if not isinstance(answer, QuerySolutions):
                return answer  # an ASK boolean
            for _row in answer:  # read every row once: a truncated body fails here
                pass
            return parse_query_results(body, format=fmt)
        if media_type in GRAPH_TYPES:
            return iter([quad.triple for quad in parse(body, format=GRAPH_TYPES[media_type])])
    except (SyntaxError, ValueError) as exc:
        raise RemoteStoreError(f"the answer of the store at {location} cannot be read (cut off?): {exc}") from None
    raise RemoteStoreError(f"the store at {location} answered in {media_type or 'no media type'}, which citykg cannot read")


# --- writing --------------------------------------------------------------------------------


class _GraphWrite:
    """One build over the Graph Store Protocol: check, back up, PUT, delete, verify; undo on failure."""

    def __init__(self, store: RemoteStore, client: httpx.Client, reader: RemoteReader) -> None:
        self.store, self.client, self.reader = store, client, reader
        self.backups: dict[str, bytes | None] = {}  # graph -> content before this build (None: absent)
        self.touched: list[str] = []  # graphs PUT or deleted so far, in order

    def run(self, quads: Sequence[Quad]) -> None:
        graphs = _by_graph(quads)
        base = _data_base(graphs)
        self._check_writable()
        existing = {graph.value for graph in self.reader.named_graphs()}
        vanished = sorted(g for g in existing - set(graphs) if base and g.startswith(base))
        try:
            for graph in sorted(existing & set(graphs)) + vanished:
                self.backups[graph] = self._get(graph)
            for graph, triples in sorted(graphs.items()):
                self.backups.setdefault(graph, None)
                self.touched.append(graph)
                self._put(graph, serialize(sorted(triples, key=str), format=RdfFormat.N_TRIPLES))
            self.touched += vanished
            self._drop(vanished)
            self._verify({graph: len(triples) for graph, triples in graphs.items()}, vanished)
        except BaseException as exc:
            self._undo(exc)
            raise

    # the steps -------------------------------------------------------------------------------

    def _check_writable(self) -> None:
        """Write access, before any data changes: PUT an empty probe graph, then delete it."""
        probe = f"urn:citykg:write-check:{secrets.token_hex(6)}"
        self._put(probe, b"")
        self._delete(probe)

    def _get(self, graph: str) -> bytes | None:
        response = self._request("GET", graph, headers={"Accept": GRAPH_ACCEPT})
        if response.status_code == 404:
            return None
        triples = parse(response.content, format=GRAPH_TYPES.get(_media_type(response), RdfFormat.TURTLE))
        return serialize([quad.triple for quad in triples], format=RdfFormat.N_TRIPLES)

    def _put(self, graph: str, body: bytes) -> None:
        self._request("PUT", graph, content=body, headers={"Content-Type": "text/turtle; charset=utf-8"})

    def _delete(self, graph: str) -> None:
        self._request("DELETE", graph)

    def _drop(self, graphs: list[str]) -> None:
        """Vanished graphs: in one SPARQL Update request where the store has an update endpoint
        (one transaction on Oxigraph and Fuseki), else one Graph Store DELETE each."""
        if not graphs:
            return
        if self.store.update_url is None:
            for graph in graphs:
                self._delete(graph)
            return
        update = " ;\n".join(f"DROP SILENT GRAPH <{graph}>" for graph in graphs)
        self._call("POST", self.store.update_url, data={"update": update})

    def _verify(self, expected: dict[str, int], vanished: list[str]) -> None:
        """Every graph reads back with exactly its triples, and no vanished graph is left."""
        names = " ".join(f"<{graph}>" for graph in [*expected, *vanished])
        query = f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"
        found = {row["g"].value: int(row["n"].value) for row in self.reader.query(query)}
        wrong = [f"{g} holds {found.get(g, 0)} triples, expected {n}" for g, n in expected.items() if found.get(g, 0) != n]
        wrong += [f"{g} should have been deleted" for g in vanished if g in found]
        if wrong:
            raise BuildError(f"the store at {self.store.location} does not read back what was written: {'; '.join(wrong[:5])}")

    def _undo(self, cause: BaseException) -> None:
        """Put back every graph this build changed; if that fails too, say what state remains."""
        try:
            for graph in reversed(self.touched):
                before = self.backups.get(graph)
                if before is None:
                    self._delete(graph)
                else:
                    self._put(graph, before)
        except Exception as exc:  # noqa: BLE001 - reported with the original failure
            raise BuildError(
                f"the build failed ({cause or type(cause).__name__}) and restoring the previous graphs failed too ({exc}): "
                f"the store at {self.store.location} may mix old and new graphs; run the build again"
            ) from cause

    # HTTP ------------------------------------------------------------------------------------

    def _request(self, method: str, graph: str, **kwargs: Any) -> httpx.Response:
        assert self.store.gsp_url is not None
        separator = "&" if urllib.parse.urlsplit(self.store.gsp_url).query else "?"
        url = f"{self.store.gsp_url}{separator}{urllib.parse.urlencode({'graph': graph})}"
        return self._call(method, url, ok_missing=method in ("GET", "DELETE"), **kwargs)

    def _call(self, method: str, url: str, ok_missing: bool = False, **kwargs: Any) -> httpx.Response:
        endpoint = url.split("?", 1)[0]
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise RemoteStoreError(f"the store at {endpoint} did not answer a {method} within {WRITE_TIMEOUT:g} s") from None
        except httpx.HTTPError as exc:
            raise RemoteStoreError(f"cannot reach the store at {endpoint}: {exc}") from None
        if response.is_success or (ok_missing and response.status_code == 404):
            return response
        raise RemoteStoreError(f"{method}: " + _failure(endpoint, response, response.text.strip()))


def _by_graph(quads: Sequence[Quad]) -> dict[str, set[Triple]]:
    graphs: dict[str, set[Triple]] = defaultdict(set)
    for quad in quads:
        if not isinstance(quad.graph_name, NamedNode):
            raise BuildError("citykg writes named graphs only; a quad in the default graph cannot be stored remotely")
        graphs[quad.graph_name.value].add(quad.triple)
    return dict(graphs)


def _data_base(graphs: Mapping[str, set[Triple]]) -> str | None:
    """The data base IRI of a build, from its snapshot graphs' names: the namespace whose
    graphs this build owns (an older build's graph under it that is gone now is deleted)."""
    for graph, triples in graphs.items():
        if "/snapshot/" in graph and any(t.subject == NamedNode(graph) and t.object == NamedNode(CIK_SNAPSHOT) for t in triples):
            return graph[: graph.rindex("/snapshot/") + 1]
    return None
