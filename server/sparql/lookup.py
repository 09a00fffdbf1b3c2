"""Lookups: queries proven cheap before they run, so they need no killable worker.

pyoxigraph cannot cancel a query, so a query runs in a worker process that can be killed at its
deadline (``server.sparql.executor``). That costs a process hop per query, which for the most
common query of all, "what do you know about this IRI", costs more than the query. A *lookup*
is a query whose work is bounded before it starts, so it can run in the server process:

1. **Its shape, read from the tokens** (``server.sparql.scan``; anything else is not a lookup):
   an optional prologue (``PREFIX``, ``BASE``), then ``SELECT [DISTINCT|REDUCED] (?v ... | *)
   [WHERE]`` or ``ASK [WHERE]``, then one group holding exactly **one triple pattern whose
   subject is an IRI** (written ``<…>`` or as a prefixed name; never a variable or a blank
   node), then at most ``LIMIT n`` and ``OFFSET n``. No FROM, no second pattern, no FILTER,
   OPTIONAL, UNION, subquery, path, expression, aggregate, ORDER BY or SERVICE can be in it:
   the engine evaluates it as one scan of the subject's statements (an index range).
2. **Its size, measured first**: ``SELECT * WHERE { S ?p ?o } LIMIT 1 OFFSET max_quads`` on the
   same handle, with the same prologue, so ``S`` is the IRI the engine will use. The engine
   stops after ``max_quads`` statements; only when the subject has at most that many (union of
   all graphs) is the lookup run here, and its scan then reads at most as many. A store
   version never changes, so the measure is kept per version (by the probe's text).

So a lookup here reads at most ``2 × max_quads`` index entries, whatever its text; it makes no
network call (it has no SERVICE); its answer is capped by the row and byte limits as in a
worker, and it runs on the app's read-only handle. Every other query keeps the worker and its
hard timeout. SECURITY.md and docs/architecture.md give the same argument.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from server.sparql import scan
from server.sparql.execute import CheckedQueries, execute
from server.sparql.executor import ExecutorConfig
from server.sparql.request import QueryRequest, QueryResponse
from server.store.interface import GraphReader, StoreBackend
from server.store.prefixes import store_prefixes

DEFAULT_MAX_QUADS = 2000  # statements a subject may have for a lookup to run in-process
_SIZES_REMEMBERED = 65536  # subjects whose size was measured, per store version
_TERM_KINDS = ("iri", "pname")
_OBJECT_KINDS = ("iri", "pname", "var", "string", "number")


@dataclass(frozen=True)
class Lookup:
    """A query of the lookup shape: its prologue text and its subject as written."""

    prologue: str
    subject: str

    def probe(self, max_quads: int) -> str:
        """A query answering a row only when the subject has more than ``max_quads`` statements."""
        return (f"{self.prologue}\nSELECT * WHERE {{ {self.subject} ?lookupPredicate ?lookupObject }} "
                f"LIMIT 1 OFFSET {int(max_quads)}")


@lru_cache(maxsize=1024)
def lookup(text: str) -> Lookup | None:
    """The lookup ``text`` is, or None (see the module docstring for the shape)."""
    head = scan.prologue(text)
    if "<urn:citykg:" in text.lower():  # the federation markers expand into many IRIs
        return None
    tokens = list(scan.tokens(text, head.end))
    position = _form(tokens)
    if position is None:
        return None
    if position < len(tokens) and _word(tokens[position]) == "where":
        position += 1
    triple = _one_pattern(tokens, position)
    if triple is None:
        return None
    subject, position = triple
    if not _modifiers(tokens, position):
        return None
    return Lookup(text[: head.end], subject)


def _word(token: scan.Token) -> str:
    return token.text.lower() if token.kind == "name" else ""


def _form(tokens: list[scan.Token]) -> int | None:
    """The position after ``SELECT [DISTINCT|REDUCED] vars`` or ``ASK``; None for any other form."""
    if not tokens:
        return None
    first = _word(tokens[0])
    if first == "ask":
        return 1
    if first != "select":
        return None
    position = 1
    if position < len(tokens) and _word(tokens[position]) in ("distinct", "reduced"):
        position += 1
    if position < len(tokens) and tokens[position].text == "*":
        return position + 1
    start = position
    while position < len(tokens) and tokens[position].kind == "var":
        position += 1
    return position if position > start else None


def _one_pattern(tokens: list[scan.Token], position: int) -> tuple[str, int] | None:
    """``{ subject predicate object [.] }``: the subject's text and the position after ``}``."""
    if len(tokens) < position + 5 or tokens[position].text != "{":
        return None
    subject, predicate, obj = tokens[position + 1 : position + 4]
    if subject.kind not in _TERM_KINDS or subject.text.startswith("_:"):
        return None
    if not (predicate.kind in ("iri", "pname", "var") or (predicate.kind == "name" and predicate.text == "a")):
        return None
    if predicate.kind == "pname" and predicate.text.startswith("_:"):
        return None
    position += 4
    if obj.kind == "string":  # a literal may carry a language tag or a datatype
        if position < len(tokens) and tokens[position].kind == "langtag":
            position += 1
        elif position + 1 < len(tokens) and tokens[position].text == "^^" and tokens[position + 1].kind in _TERM_KINDS:
            position += 2
    elif not (obj.kind in _OBJECT_KINDS or _word(obj) in ("true", "false")) or obj.text.startswith("_:"):
        return None
    if position < len(tokens) and tokens[position].text == ".":
        position += 1
    if position >= len(tokens) or tokens[position].text != "}":
        return None
    return subject.text, position + 1


def _modifiers(tokens: list[scan.Token], position: int) -> bool:
    """Only ``LIMIT n`` and ``OFFSET n`` (each at most once) may follow the group."""
    seen: set[str] = set()
    while position < len(tokens):
        word = _word(tokens[position])
        if word not in ("limit", "offset") or word in seen or position + 1 >= len(tokens):
            return False
        if tokens[position + 1].kind != "number" or not tokens[position + 1].text.isdigit():
            return False
        seen.add(word)
        position += 2
    return True


class LocalLookups:
    """Runs lookups on a read-only handle in this process; ``None`` for anything else (or a
    subject with more than ``max_quads`` statements): the caller sends those to a worker.

    ``version()`` says which store version is current (cheaply: ``server.web.caching``); the
    handle, the prefixes and the checked query texts follow it.
    """

    def __init__(self, store: StoreBackend, config: ExecutorConfig, version: Callable[[], str],
                 max_quads: int = DEFAULT_MAX_QUADS) -> None:
        self.store, self.config, self.version, self.max_quads = store, config, version, max_quads
        self._lock = threading.Lock()
        self._current: tuple[str, GraphReader, dict[str, str], CheckedQueries, dict[str, bool]] | None = None
        self.answered = 0  # lookups answered here

    def __call__(self, request: QueryRequest) -> QueryResponse | None:
        if request.default_graph_uris or request.named_graph_uris or request.substitutions:
            return None
        found = lookup(request.query)
        if found is None:
            return None
        handle, prefixes, checked, small = self._handle()
        probe = found.probe(self.max_quads)
        fits = small.get(probe)
        if fits is None:  # measured once per subject (as written) and store version
            try:
                rows = handle.query(probe, base_iri=self.config.base_iri, prefixes=prefixes,
                                    use_default_graph_as_union=True)
                fits = next(iter(rows), None) is None
            except (SyntaxError, OSError, RuntimeError):
                return None  # the worker reports it as it reports every query
            if len(small) >= _SIZES_REMEMBERED:
                small.clear()
            small[probe] = fits
        if not fits:
            return None  # a subject this large: the worker, with its hard timeout
        answer = execute(handle, request, service_allowlist=self.config.service_allowlist, prefixes=prefixes,
                         base_iri=self.config.base_iri, max_nesting=self.config.max_nesting,
                         max_response=self.config.max_response, checked=checked)
        self.answered += 1
        return answer

    def _handle(self) -> tuple[GraphReader, dict[str, str], CheckedQueries, dict[str, bool]]:
        """The current version's handle, prefixes, checked queries and measured subjects."""
        version = self.version()
        with self._lock:
            if self._current is None or self._current[0] != version:
                self._current = None  # let the old handle (and its version's lock) go first
                handle = self.store.open()
                self._current = (version, handle, store_prefixes(handle), CheckedQueries(), {})
            return self._current[1:]
