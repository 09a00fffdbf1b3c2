"""The limits every query runs under, their defaults, and the checks made before evaluation.

One table of defaults (SECURITY.md lists them with the flags that change them), so the web
app, ``citykg serve`` and the executor agree. Checks here read only the query text:

- **nesting** (``nesting_depth``): pyoxigraph parses and evaluates by recursion, so a query
  nested a few thousand levels deep (``{{{…}}}``, ``CONCAT(CONCAT(…))``) or chaining a few
  thousand clauses in one group (``MINUS {…}`` × 3000, ``UNION`` × 8000, ``&&`` × 12000)
  overflows the worker's stack and kills it (measured on pyoxigraph 0.5.13: every shape
  survives 1000 levels of this measure but MINUS, which dies between 1000 and 3000). The
  measure counts each open bracket, and each clause keyword or chaining operator inside
  the group or expression it belongs to; the limit refuses the query before it runs.
- **response size** (``check_response_size``): the row cap does not bound bytes (one row can
  hold a 256 MB string), so the serialised answer is measured too, refused whole over the cap.
"""

from __future__ import annotations

from server.sparql import scan
from server.sparql.request import DEFAULT_MAX_ROWS, QueryTooComplex, ResultTooLarge

MIB = 1024 * 1024

DEFAULT_TIMEOUT = 10.0  # seconds per query when the request names none
DEFAULT_MIN_TIMEOUT = 1.0  # a request may not ask for less: each timeout kills and restarts a worker
DEFAULT_MAX_RESPONSE = 32 * MIB  # serialised answer bytes before a 422
DEFAULT_WORKER_MEMORY = 1024 * MIB  # RLIMIT_DATA of each query worker
DEFAULT_MAX_NESTING = 400  # nesting_depth of a query before a 400
DEFAULT_MAX_BODY = 256 * 1024  # request body bytes before a 413 (the web app's)

# Clause keywords that add a level to the algebra of the group they sit in, and operators that
# chain (each one nests the expression or path built so far one level deeper).
_CHAINING_WORDS = frozenset(
    {"union", "minus", "optional", "bind", "filter", "service", "graph", "values", "exists", "not"}
)
_CHAINING_OPERATORS = frozenset({"&&", "||", "+", "-", "*", "/", "|", "^", "!"})
_OPEN, _CLOSE = frozenset("{(["), frozenset("})]")
_STAR_NOT_AN_OPERATOR = frozenset({"select", "distinct", "reduced", "(", "describe"})


def nesting_depth(text: str) -> int:
    """The deepest level of the query: open brackets plus the chaining clauses and operators
    met so far in each enclosing group (a closed group's count ends with it)."""
    deepest = 0
    levels = [0]  # chain count of each open group; the depth is their sum plus the brackets
    depth = 0
    previous = ""
    for token in scan.tokens(text):
        word, after = token.text.lower(), previous
        previous = word
        if word == "*" and after in _STAR_NOT_AN_OPERATOR:  # SELECT *, COUNT(*)
            continue
        if token.kind == "punct" and token.text in _OPEN:
            levels.append(0)
            depth += 1
        elif token.kind == "punct" and token.text in _CLOSE:
            if len(levels) > 1:
                depth -= 1 + levels.pop()
        elif (token.kind == "name" and word in _CHAINING_WORDS) or (token.kind == "punct" and token.text in _CHAINING_OPERATORS):
            levels[-1] += 1
            depth += 1
        deepest = max(deepest, depth)
    return deepest


def check_nesting(text: str, limit: int) -> None:
    """``QueryTooComplex`` (400) when the query is nested or chained deeper than ``limit``."""
    depth = nesting_depth(text)
    if depth > limit:
        raise QueryTooComplex(
            f"the query nests {depth} levels deep (brackets, plus chained clauses and operators such as UNION, "
            f"MINUS, BIND, FILTER, && in one group); this endpoint allows at most {limit} "
            "(raise it with `citykg serve --max-nesting`)"
        )


def check_response_size(size: int, limit: int | None) -> None:
    """``ResultTooLarge`` (422) when an answer of ``size`` bytes is over ``limit``: refused whole."""
    if limit is not None and size > limit:
        raise ResultTooLarge(response_too_large(limit))


def response_too_large(limit: int) -> str:
    return (
        f"the answer is larger than {format_bytes(limit)}, the response size limit of this endpoint "
        "(`citykg serve --max-response`); add a LIMIT, select fewer or shorter values, or narrow the query"
    )


def format_bytes(size: int) -> str:
    """``32 MiB``, ``512 KiB``, ``100 bytes``: limits as people write them."""
    for unit, scale in (("GiB", MIB * 1024), ("MiB", MIB), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"
