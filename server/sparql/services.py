"""SERVICE targets found by a SPARQL grammar and resolved by the engine itself.

pyoxigraph sends a real HTTP request for every SERVICE clause it evaluates and has no hook to
stop it, so every target must be checked before the query runs, and checked as the engine will
read it. Reading the text with a hand-made scanner let the two disagree (a relative ``PREFIX``
IRI resolved against ``BASE``, the request URL as base), so here:

1. **Structure**: the query is parsed by rdflib's SPARQL 1.1 grammar (a real parser, the same
   grammar as pyoxigraph's), and every ``ServiceGraphPattern`` in the tree is a target:
   subqueries, ``EXISTS``, ``OPTIONAL``… included. ``\\u`` escapes are decoded inside IRIs
   only, as pyoxigraph does (rdflib would decode them everywhere, which can hide a SERVICE
   inside a string). A query that mentions SERVICE and that rdflib cannot read is refused.
2. **Resolution**: each target, with the query's own ``BASE``/``PREFIX`` declarations in their
   order, is resolved by pyoxigraph: ``SELECT (<target> AS ?iri) {}`` on an empty in-memory
   store with the same ``base_iri`` and predeclared prefixes as the real query. So the IRI
   checked is the IRI the engine will call, by construction. A variable, or a target that does
   not resolve to an absolute IRI, is refused.
3. A second net: the token scanner (``server.sparql.scan``), which follows both readings of an
   ambiguous ``<`` and the glued keyword forms pyoxigraph accepts (``SERVICESILENT<…>``); its
   targets are resolved the same way and must pass too.

A SERVICE nested inside an allowed one is evaluated by that remote endpoint (the Wikidata
label-service idiom), so it is not checked. Behind all this, the query workers cannot open a
connection to anything but the federation proxy (``server.sparql.netguard``).
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pyoxigraph import NamedNode, Store

from server.sparql import scan
from server.sparql.request import ServiceCheckFailed

MENTIONS_SERVICE = re.compile("service", re.IGNORECASE)  # case-folds more than SPARQL does: errs on the safe side
PARSER_STACK = 64 * 1024 * 1024  # rdflib's parser recurses; 64 MiB reads 500 nested groups
_IRI_TEXT = re.compile(r'[^<>"{}|^`\\\x00-\x20]*')  # what may stand between < and > (after decoding)
_PN_PREFIX = re.compile(r"(?:[^\W\d_][\w.\-\u00B7\u0300-\u036F\u203F-\u2040]*)?")
_PN_LOCAL = re.compile(r"(?:[\w.:\-\u00B7\u0300-\u036F\u203F-\u2040]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])*")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class Target:
    written: str  # as the query writes it, for messages
    iri: str | None  # the absolute IRI the engine would call; None: never allowed


def refused_service(
    query: str, predeclared: Mapping[str, str], base_iri: str | None, allowlist: Collection[str]
) -> str | None:
    """The first SERVICE target (as written) not on ``allowlist``; None when every one passes.

    ``ServiceCheckFailed`` when the query mentions SERVICE and cannot be read by the grammar.
    """
    if not MENTIONS_SERVICE.search(query):
        return None  # no SERVICE keyword can be spelled without these letters
    for target in [*grammar_targets(query, predeclared, base_iri, allowlist), *scanned_targets(query, predeclared, base_iri, allowlist)]:
        if target.iri is None or target.iri not in allowlist:
            return target.written
    return None


# --- 1. the grammar -------------------------------------------------------------------------


def grammar_targets(
    query: str, predeclared: Mapping[str, str], base_iri: str | None, allowlist: Collection[str]
) -> list[Target]:
    """SERVICE targets of rdflib's parse tree, resolved by the engine (allowed groups not entered)."""
    tree = _parse(decode_iri_escapes(query))
    prologue, body = tree[0], tree[1]
    declarations = _declarations(prologue)
    found: list[Target] = []
    for node in _services(body, lambda node: _resolve_node(node, declarations, predeclared, base_iri, found), allowlist):
        pass
    return found


def _resolve_node(node: Any, declarations: str | None, predeclared: Mapping[str, str], base_iri: str | None,
                  found: list[Target]) -> Target:
    term = node["term"] if "term" in node else None
    written = _written(term)
    iri = None if declarations is None or written is None else resolve(declarations, written, predeclared, base_iri)
    shown = term.n3() if hasattr(term, "n3") and written is None else str(term)
    target = Target(written or shown, iri)
    found.append(target)
    return target


def _services(node: Any, resolve_node: Any, allowlist: Collection[str]) -> Iterator[Any]:
    """Walk the tree; a SERVICE whose target is allowed is not entered (its group runs remotely)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, CompValue):
            if current.name == "ServiceGraphPattern":
                target = resolve_node(current)
                yield current
                if target.iri is not None and target.iri in allowlist:
                    continue
            stack.extend(current.values())
        elif isinstance(current, (list, tuple)) or type(current).__name__ == "ParseResults":
            stack.extend(current)


def _written(term: Any) -> str | None:
    """The target as SPARQL text the engine can read again, or None for a variable or junk."""
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef, Variable

    if isinstance(term, Variable):
        return None
    if isinstance(term, URIRef):
        return f"<{term}>" if _IRI_TEXT.fullmatch(str(term)) else None
    if isinstance(term, CompValue) and term.name == "pname":
        prefix, local = (str(term[key]) if key in term else "" for key in ("prefix", "localname"))
        if _PN_PREFIX.fullmatch(prefix) and _PN_LOCAL.fullmatch(local):
            return f"{prefix}:{local}"
    return None


def _declarations(prologue: Any) -> str | None:
    """The query's BASE and PREFIX declarations, in order, as SPARQL text (None: unreadable)."""
    lines = []
    for declaration in prologue:
        iri = str(declaration["iri"]) if "iri" in declaration else ""
        if not _IRI_TEXT.fullmatch(iri):
            return None
        if declaration.name == "Base":
            lines.append(f"BASE <{iri}>")
        else:
            prefix = str(declaration["prefix"]) if "prefix" in declaration else ""
            if not _PN_PREFIX.fullmatch(prefix):
                return None
            lines.append(f"PREFIX {prefix}: <{iri}>")
    return "\n".join(lines)


def decode_iri_escapes(query: str) -> str:
    """``\\u``/``\\U`` escapes decoded inside IRI tokens (where pyoxigraph decodes them) and made
    inert everywhere else (rdflib would decode them before tokenising, so ``"\\u0022"`` could
    end a string early for rdflib and not for the engine, hiding what follows). An escape that
    decodes to a character no IRI may hold is left as it is, and the parse then fails."""
    out, last = [], 0
    for token in scan.tokens(query):
        if "\\" not in token.text:
            continue
        if token.kind == "iri":
            decoded = scan.unescape_iri(token.text)
            replacement = f"<{decoded}>" if _IRI_TEXT.fullmatch(decoded) else token.text
        else:  # strings and stray text: the backslash goes, so nothing decodes to a quote or '#'
            replacement = _ESCAPE.sub(lambda m: "u" + (m.group(1) or m.group(2)), token.text)
        out += [query[last:token.start], replacement]
        last = token.end
    out.append(query[last:])
    return "".join(out)


class _Parser:
    """rdflib's SPARQL grammar on a thread with a deep stack (its parser recurses per level)."""

    _pool: ThreadPoolExecutor | None = None
    _lock = threading.Lock()

    @classmethod
    def parse(cls, text: str) -> Any:
        with cls._lock:
            if cls._pool is None:
                previous = threading.stack_size(PARSER_STACK)
                try:
                    cls._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="citykg-sparql-parser")
                    cls._pool.submit(sys.setrecursionlimit, max(sys.getrecursionlimit(), 100_000)).result()
                finally:
                    threading.stack_size(previous)
        return cls._pool.submit(_parse_now, text).result()


_READING = threading.local()


def _parse_now(text: str) -> Any:
    from rdflib.plugins.sparql.parser import Query

    _patch_service_pattern()
    _READING.active = True
    try:
        return Query.parse_string(text, parse_all=True)
    finally:
        _READING.active = False


def _patch_service_pattern() -> None:
    """rdflib 7 records each SERVICE clause's text by searching the *whole* input again from its
    ``ServiceGraphPattern`` parse action, which recurses without end on a nested SERVICE (the
    Wikidata label idiom) and is quadratic anyway. While this module reads a query, the action
    keeps the parameters only; anywhere else (rdflib evaluating its own queries) it is unchanged."""
    from rdflib.plugins.sparql import parser
    from rdflib.plugins.sparql.parserutils import CompValue, ParamValue

    element = parser.ServiceGraphPattern
    if getattr(element, "_citykg_patched", False):
        return
    original = element.postParse

    def post_parse(instring: str, loc: int, tokens: Any) -> Any:
        if not getattr(_READING, "active", False):
            return original(instring, loc, tokens)
        value = CompValue("ServiceGraphPattern")
        for token in tokens:
            if isinstance(token, ParamValue):
                value[token.name] = token.tokenList
        return value

    element.postParse = post_parse  # type: ignore[method-assign]
    element._citykg_patched = True  # type: ignore[attr-defined]


def _parse(text: str) -> Any:
    try:
        return _Parser.parse(text)
    except RecursionError:
        raise ServiceCheckFailed("the query mentions SERVICE and is nested too deeply for the SERVICE check to read it") from None
    except Exception as exc:  # noqa: BLE001 - pyparsing's ParseException and friends
        message = " ".join(str(exc).split())
        raise ServiceCheckFailed(
            f"the query mentions SERVICE, so it must be standard SPARQL 1.1 that the SERVICE check can read, "
            f"and it cannot: {message}"
        ) from None


# --- 2. the engine's resolution ------------------------------------------------------------------


_RESOLVER = Store()  # empty, in memory: resolving an IRI reads nothing and calls nothing


def resolve(declarations: str, target: str, predeclared: Mapping[str, str], base_iri: str | None) -> str | None:
    """The absolute IRI pyoxigraph makes of ``target`` after ``declarations``; None if none.

    ``target`` and ``declarations`` are checked token text (``_written``, ``_declarations``),
    so the little query holds nothing but them.
    """
    text = f"{declarations}\nSELECT ({target} AS ?iri) {{}}"
    try:
        rows = list(_RESOLVER.query(text, base_iri=base_iri, prefixes=dict(predeclared)))
    except (SyntaxError, ValueError, OSError, RuntimeError):
        return None
    value = rows[0]["iri"] if rows else None
    return value.value if isinstance(value, NamedNode) and _absolute(value.value) else None


def _absolute(iri: str) -> bool:
    return re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", iri) is not None


# --- 3. the scanner, as a second net --------------------------------------------------------------


def scanned_targets(
    query: str, predeclared: Mapping[str, str], base_iri: str | None, allowlist: Collection[str]
) -> list[Target]:
    """The token scanner's SERVICE targets (every reading), resolved by the engine."""
    declarations = scan.declarations(query)
    found = []
    for written in scan.service_target_texts(query, lambda text: _passes(declarations, text, predeclared, base_iri, allowlist)):
        iri = None if written is None else resolve(declarations, written, predeclared, base_iri)
        found.append(Target(written or "(variable or unreadable target)", iri))
    return found


def _passes(declarations: str, written: str | None, predeclared: Mapping[str, str], base_iri: str | None,
            allowlist: Collection[str]) -> bool:
    if written is None:
        return False
    iri = resolve(declarations, written, predeclared, base_iri)
    return iri is not None and iri in allowlist
