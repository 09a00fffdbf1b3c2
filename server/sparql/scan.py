"""Reading SPARQL text without evaluating it: tokens, form, UPDATE, FROM, and SERVICE clauses.

A token-level reading with the SPARQL 1.1 grammar's terminals (IRIREF with its ``\\u`` escapes,
PNAME_NS/PNAME_LN with PN_LOCAL escapes, strings, comments): cheap enough for every request
(the form, for negotiation; UPDATE, to refuse it with a reason), and remembered per text for
the texts clients repeat (``lru_cache``: these are pure functions of the text). For SERVICE it is the second
net behind the grammar (``server.sparql.services``, which also resolves what it finds).

The one place a token-level reading can differ from the parser is ``<``: after an operand
(``FILTER(?a<?b#>...``) it is "less than", elsewhere it opens an IRI, and reading it the wrong
way can hide the rest of a line (``#``) or of the query (``'''``). So wherever both readings
are possible the scan follows both, and every SERVICE found on any reading must pass. The
scan also copies the parser's tolerance for glued keywords (``SERVICESILENT<...>``,
``SERVICE:name`` with the empty prefix), measured on pyoxigraph 0.5.13. A SERVICE nested
inside an allowed SERVICE is evaluated by that remote endpoint (the Wikidata label service
idiom), so it is not checked here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

_PN_CHARS = r"\w\u00B7\u0300-\u036F\u203F-\u2040"
_TOKEN = re.compile(
    rf"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''|\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
                |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{{4}}|\\U[0-9A-Fa-f]{{8}})*>)
    | (?P<var>[?$][{_PN_CHARS}]+)
    | (?P<pname>(?:[^\W\d_][{_PN_CHARS}.\-]*)?:(?:[{_PN_CHARS}:%.\-]|\\[_~.\-!$&'()*+,;=/?\#@%])*)
    | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<number>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    | (?P<name>[^\W\d][\w]*)
    | (?P<punct>\^\^|&&|\|\||<=|>=|!=|.)
    """,
    re.VERBOSE | re.DOTALL,
)
_OPERAND_ENDS = {"var", "iri", "pname", "string", "langtag", "number"}
_UPDATE_VERBS = {"insert", "delete", "load", "clear", "create", "drop", "copy", "move", "add", "with"}
_QUERY_FORMS = {"select", "ask", "construct", "describe"}
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_POSITION = re.compile(r"at (?P<line>\d+):(?P<column>\d+)")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int


def tokens(text: str, start: int = 0) -> Iterator[Token]:
    """Significant tokens (no whitespace or comments), ``<`` always read as an IRI if it can be."""
    pos = start
    while pos < len(text):
        token = _token_at(text, pos)
        pos = token.end
        if token.kind not in ("ws", "comment"):
            yield token


def _token_at(text: str, pos: int, iri: bool = True) -> Token:
    """The token at ``pos``; with ``iri=False`` a ``<`` is the less-than operator."""
    if not iri and text[pos] == "<":
        end = pos + 2 if text.startswith("<=", pos) else pos + 1
        return Token("punct", text[pos:end], pos, end)
    match = _TOKEN.match(text, pos)
    assert match is not None and match.lastgroup is not None  # the last alternative matches any char
    kind, end = match.lastgroup, match.end()
    if kind == "pname":  # PN_LOCAL cannot end with '.': that dot ends the triple
        while end > pos and text[end - 1] == "." and text[end - 2 : end] != "\\.":
            end -= 1
    return Token(kind, text[pos:end], pos, end)


# --- prologue, form, update --------------------------------------------------------------------


@dataclass(frozen=True)
class Prologue:
    end: int  # where the query or update proper starts
    prefixes: dict[str, str]  # declared in the text (relative IRIs kept as written)
    base: str | None


def prologue(text: str) -> Prologue:
    """``BASE`` and ``PREFIX`` declarations at the start of the text."""
    prefixes: dict[str, str] = {}
    base: str | None = None
    stream = tokens(text)
    end = 0
    for token in stream:
        keyword = token.text.lower() if token.kind == "name" else ""
        if keyword == "prefix":
            name, iri = next(stream, None), next(stream, None)
            if name is None or iri is None or name.kind != "pname" or not name.text.endswith(":") or iri.kind != "iri":
                return Prologue(token.start, prefixes, base)
            prefixes[name.text[:-1]] = unescape_iri(iri.text)
            end = iri.end
        elif keyword == "base":
            iri = next(stream, None)
            if iri is None or iri.kind != "iri":
                return Prologue(token.start, prefixes, base)
            base = unescape_iri(iri.text)
            end = iri.end
        else:
            return Prologue(token.start, prefixes, base)
    return Prologue(end, prefixes, base)


def _first_keyword(text: str) -> str:
    start = prologue(text).end
    first = next(tokens(text, start), None)
    return first.text.lower() if first is not None and first.kind == "name" else ""


@lru_cache(maxsize=1024)
def is_update(text: str) -> bool:
    """True when the text is a SPARQL UPDATE request (its first operation's verb, after the
    prologue), so refusing it can say why instead of reporting a parse error."""
    return _first_keyword(text) in _UPDATE_VERBS


@lru_cache(maxsize=1024)
def query_form(text: str) -> str | None:
    """``"select"``, ``"ask"``, ``"construct"`` or ``"describe"``; None if unreadable.

    The endpoint negotiates the media type before the query runs, so a 406 costs nothing.
    """
    keyword = _first_keyword(text)
    return keyword if keyword in _QUERY_FORMS else None


def has_dataset_clause(text: str) -> bool:
    """True if the query has FROM or FROM NAMED (which must then not be overridden by the union)."""
    return any(t.kind == "name" and t.text.lower().startswith("from") for t in tokens(text, prologue(text).end))


def error_position(message: str) -> tuple[int | None, int | None]:
    """``line, column`` of a pyoxigraph syntax error message (``error at 1:38: ...``)."""
    where = _POSITION.search(message)
    return (int(where["line"]), int(where["column"])) if where else (None, None)


# --- SERVICE ------------------------------------------------------------------------------------


def service_target_texts(text: str, allowed: Callable[[str | None], bool], both_readings: bool = False) -> list[str | None]:
    """Every SERVICE target of the text, as written (None: a variable, missing or unreadable).
    ``allowed(target)`` says whether a target passes: the group of one that does is evaluated
    remotely and is not walked (``server.sparql.services`` resolves them). ``<`` is read as an
    IRI wherever it can be; ``both_readings`` also follows "less than" there, which finds
    SERVICE clauses a ``#`` or ``'''`` after it could hide, and words inside IRIs too.

    Walks states ``(position, after an operand, brace depth, depth of an allowed SERVICE being
    skipped)``; both readings of an ambiguous ``<`` are queued, and a state seen once is not
    walked again, so the work stays linear in practice.
    """
    head = prologue(text)
    found: dict[int, str | None] = {}
    seen: set[tuple[int, bool, int, int]] = set()
    queue = [(head.end, False, 0, -1)]
    while queue:
        state = queue.pop()
        if state in seen:
            continue
        seen.add(state)
        pos, after_operand, depth, skipping = state
        if pos >= len(text):
            continue
        token = _token_at(text, pos)
        if token.kind == "iri" and after_operand and both_readings:  # could be "less than": follow that too
            less = _token_at(text, pos, iri=False)
            queue.append((less.end, False, depth, skipping))
        if token.kind in ("ws", "comment"):
            queue.append((token.end, after_operand, depth, skipping))
            continue
        service = _service_at(text, token)
        if service is not None:
            written, group = service
            if skipping < 0:
                found.setdefault(token.start, written)
            if group is not None and skipping < 0 and allowed(written):
                # the remote endpoint evaluates the group, nested SERVICEs included (if the
                # target is refused, the query is refused anyway)
                queue.append((group + 1, False, depth + 1, depth))
            else:
                queue.append((token.end, False, depth, skipping))
            continue
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
            if depth == skipping:
                skipping = -1
        ends_operand = token.kind in _OPERAND_ENDS or token.text == ")" or token.text.lower() in ("true", "false")
        queue.append((token.end, ends_operand, depth, skipping))
    return [found[key] for key in sorted(found)]


def _service_at(text: str, token: Token) -> tuple[str | None, int | None] | None:
    """If ``token`` starts a SERVICE clause: (target as written or None, position of its ``{``)."""
    lowered = token.text.lower()
    if token.kind == "name" and lowered in ("service", "servicesilent"):
        pos = token.end
        target = _next_significant(text, pos)
        if lowered == "service" and target is not None and target.kind == "name" and target.text.lower() == "silent":
            target = _next_significant(text, target.end)
        elif lowered == "service" and target is not None and target.kind == "pname" and target.text.lower().startswith("silent:"):
            target = Token("pname", target.text[6:], target.start + 6, target.end)
        if target is None:
            return (None, None)
        brace = _next_significant(text, target.end)
        written = target.text if target.kind in ("iri", "pname") else None
        return (written, brace.start if brace and brace.text == "{" else None)
    if token.kind == "pname":
        prefix = token.text.split(":", 1)[0].lower()
        if prefix in ("service", "servicesilent"):
            brace = _next_significant(text, token.end)
            if brace is not None and brace.text == "{":  # only then can it parse as SERVICE :name {…}
                return (token.text[len(prefix) :], brace.start)
    return None


def _next_significant(text: str, pos: int) -> Token | None:
    return next(tokens(text, pos), None)


def declarations(text: str) -> str:
    """The prologue's BASE and PREFIX declarations, in their order, without comments: only
    keyword, prefix and IRI tokens (whose text cannot hold a ``>`` or a space)."""
    return " ".join(token.text for token in tokens(text[: prologue(text).end]) if token.kind in ("name", "pname", "iri"))


def unescape_iri(token_text: str) -> str:
    """``<...>`` without its brackets, ``\\uXXXX`` / ``\\UXXXXXXXX`` decoded as the parser does."""
    inner = token_text[1:-1] if token_text.startswith("<") else token_text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), inner)
