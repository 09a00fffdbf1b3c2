"""Canned queries: ``queries/*.rq`` with grlc-style ``#+`` headers, and their typed parameters.

A canned query is plain SPARQL that also runs as it stands (``citykg query FILE``): its
parameters are variables named by the grlc/BASIL convention, ``?_name_type`` (required) or
``?__name_type`` (optional), type one of ``iri``, ``string`` (``literal``), ``integer``,
``decimal`` (``number``), ``boolean``; with no suffix the type is ``string``. A value is never
spliced into the text: it is validated here, turned into an RDF term, and bound by the engine
through pyoxigraph's ``substitutions=`` (SEP-0007). SEP-0007 substitutes only variables of the
outermost projection, so every parameter variable must be in the query's top-level SELECT
(and in the SELECT of any subquery that uses it).

The header is YAML after the ``#+`` marks. grlc's decorators (``summary``, ``description``,
``tags``, ``defaults``, ``enumerate``) keep grlc's shapes; citykg adds ``params`` (per
parameter: ``description``, and for IRIs where the allowed values come from: ``scheme`` - the
concepts of a vocabulary, or ``class`` - the instances of a class, read from the store - and
``namespace`` for short forms) and ``example`` (a parameter dict that the tests run).
An ``enumerate`` entry is a parameter name (values from the store, as grlc does from its
endpoint) or grlc's ``{name: [values...]}``.

Validation errors raise CannedQueryError naming the parameter; HTTP turns it into a 400 and
the CLI into exit status 2, with the same message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pyoxigraph import Literal, NamedNode

from server.sparql.request import BadRequest, QueryRequest, QueryResponse
from server.store.prefixes import DATA_PATHS, STANDARD_PREFIXES, XSD

# queries/ sits beside mapper/ and server/ in a checkout and in site-packages alike
QUERIES_DIR = Path(__file__).resolve().parents[2] / "queries"
TYPES = ("iri", "string", "integer", "decimal", "boolean")
_TYPE_ALIASES = {"literal": "string", "number": "decimal"}
_SUFFIXES = "|".join(TYPES + tuple(_TYPE_ALIASES))
_VARIABLE = re.compile(r"[?$](_{1,2}[A-Za-z0-9_]+)")
_PARAM = re.compile(rf"^(?P<marks>_{{1,2}})(?P<name>[A-Za-z0-9](?:[A-Za-z0-9_]*?[A-Za-z0-9])??)(?:_(?P<type>{_SUFFIXES}))?$")
_HEADER_LINE = re.compile(r"^#\+ ?(.*)$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LOCAL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_PREFIXED = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9_\-]*):(?P<local>[^/].*|)$")
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
MAX_VALUE_LENGTH = 2000
RESERVED = frozenset({"format", "timeout"})  # query-string keys the routes use themselves (and any `_key`)


class CannedQueryError(BadRequest):
    """A canned query that cannot run as asked: unknown name, bad or missing parameter, or a
    malformed ``.rq`` header. ``parameter`` names the culprit when there is one."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.parameter))


class UnknownQuery(CannedQueryError):
    """No canned query of that name: the HTTP route answers 404."""

    http_status = 404


# --- the model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One parameter: the variable it binds, its type, and where its allowed values come from."""

    name: str
    variable: str
    type: str
    required: bool
    description: str = ""
    default: str | None = None
    scheme: str | None = None  # concept scheme slug: allowed values are its concepts
    class_iri: str | None = None  # allowed values are the instances of this class
    namespace: str | None = None  # short forms: relative to the data base IRI, or absolute
    values: tuple[str, ...] | None = None  # a static grlc enumeration

    @property
    def enumerated(self) -> bool:
        return self.scheme is not None or self.class_iri is not None or self.values is not None

    @property
    def source_key(self) -> tuple[str, str] | None:
        """Which store lookup gives the allowed values: ("scheme", slug) or ("class", IRI)."""
        if self.scheme:
            return ("scheme", self.scheme)
        if self.class_iri:
            return ("class", self.class_iri)
        return None


@dataclass(frozen=True)
class CannedQuery:
    """One ``.rq`` file: its text (run as it stands, never edited) and its header."""

    name: str
    path: Path
    text: str
    summary: str
    description: str
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    example: Mapping[str, str] = field(default_factory=dict)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


@dataclass(frozen=True)
class Choice:
    """An allowed value of an enumerated parameter, with the label the catalogue shows."""

    value: str
    label: str


@dataclass
class Context:
    """What validation needs from the store: the data base IRI, the prefixes for prefixed
    forms, and the allowed values of each enumeration source."""

    base: str
    prefixes: dict[str, str]
    choices: dict[tuple[str, str], list[Choice]] = field(default_factory=dict)
    _value_sets: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    def allows(self, parameter: Parameter, value: str) -> bool:
        """Whether ``value`` is one of the parameter's allowed values (a set made once per
        source: a city parameter has one value per city)."""
        key = parameter.source_key or ("values", parameter.name)
        values = self._value_sets.get(key)
        if values is None:
            values = self._value_sets[key] = frozenset(choice.value for choice in self.allowed(parameter) or [])
        return value in values

    def allowed(self, parameter: Parameter) -> list[Choice] | None:
        if parameter.values is not None:
            return [Choice(v, v) for v in parameter.values]
        key = parameter.source_key
        return None if key is None else self.choices.get(key, [])

    def namespace(self, parameter: Parameter) -> str | None:
        ns = parameter.namespace or (f"vocab/{parameter.scheme}/" if parameter.scheme else None)
        if ns is None:
            return None
        return ns if _ABSOLUTE.match(ns) else self.base + ns


# --- loading ------------------------------------------------------------------------------


def load_queries(directory: Path = QUERIES_DIR) -> dict[str, CannedQuery]:
    """Every ``*.rq`` under ``directory`` by name (the file stem), in name order."""
    return {q.name: q for q in (parse_query_file(path) for path in sorted(Path(directory).glob("*.rq")))}


def parse_query_file(path: Path) -> CannedQuery:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CannedQueryError(f"cannot read canned query {path}: {exc}") from exc
    return parse_query(Path(path).stem, text, Path(path))


def parse_query(name: str, text: str, path: Path | None = None) -> CannedQuery:
    """The query and its header; a header that contradicts the query text is an error here,
    at load time, rather than a confusing 400 later."""
    where = path or name
    if not _NAME.match(name):
        raise CannedQueryError(f"{where}: a canned query name is lowercase letters, digits and '-'")
    header = _header(text, where)
    params_meta = _mapping(header.get("params", {}), "params", where)
    defaults = _list_of_mappings(header.get("defaults", []), "defaults", where)
    enumerate_ = _enumerations(header.get("enumerate", []), where)
    parameters = tuple(_parameter(var, params_meta, defaults, enumerate_, where) for var in _parameter_variables(text))
    names = {p.name for p in parameters}
    for key, source in (("params", params_meta), ("defaults", defaults), ("enumerate", enumerate_)):
        for unknown in set(source) - names:
            raise CannedQueryError(f"{where}: {key} names {unknown!r}, which is no parameter variable of the query")
    example = {str(k): _scalar_text(v) for k, v in _mapping(header.get("example", {}) or {}, "example", where).items()}
    return CannedQuery(
        name=name,
        path=path or Path(f"{name}.rq"),
        text=text,
        summary=str(header.get("summary", "")).strip(),
        description=" ".join(str(header.get("description", "")).split()),
        tags=tuple(str(t) for t in header.get("tags", []) or []),
        parameters=parameters,
        example=example,
    )


def _header(text: str, where: object) -> dict[str, Any]:
    lines = []
    for line in text.splitlines():
        match = _HEADER_LINE.match(line)
        if not match:
            break
        lines.append(match.group(1))
    try:
        header = yaml.safe_load("\n".join(lines)) if lines else {}
    except yaml.YAMLError as exc:
        raise CannedQueryError(f"{where}: the #+ header is not valid YAML: {exc}") from exc
    return _mapping(header or {}, "the #+ header", where)


def _mapping(value: object, what: str, where: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CannedQueryError(f"{where}: {what} must be a mapping")
    return value


def _list_of_mappings(value: object, what: str, where: object) -> dict[str, Any]:
    """grlc writes ``defaults`` as a list of one-key mappings; a plain mapping is accepted too."""
    if isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for item in value or []:
        out.update(_mapping(item, what, where))
    return out


def _enumerations(value: object, where: object) -> dict[str, tuple[str, ...] | None]:
    out: dict[str, tuple[str, ...] | None] = {}
    for item in value or []:
        if isinstance(item, str):
            out[item] = None
        else:
            for name, values in _mapping(item, "enumerate", where).items():
                out[name] = tuple(_scalar_text(v) for v in values) if values else None
    return out


def _parameter_variables(text: str) -> list[str]:
    """Variables named ``_x`` or ``__x`` outside whole-line comments, in order of first use."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    seen: dict[str, None] = {}
    for match in _VARIABLE.finditer(body):
        seen.setdefault(match.group(1))
    return list(seen)


def _parameter(variable: str, meta: dict[str, Any], defaults: dict[str, Any], enumerate_: dict, where: object) -> Parameter:
    match = _PARAM.match(variable)
    if not match:
        raise CannedQueryError(f"{where}: ?{variable} is not a parameter variable (?_name_type or ?__name_type)")
    name = match["name"]
    type_ = _TYPE_ALIASES.get(match["type"] or "string", match["type"] or "string")
    info = _mapping(meta.get(name, {}) or {}, f"params.{name}", where)
    default = defaults.get(name)
    class_iri = info.get("class")
    if class_iri is not None:
        class_iri = _expand_header_iri(str(class_iri), where)
    param = Parameter(
        name=name,
        variable=variable,
        type=type_,
        required=match["marks"] == "_" and default is None,
        description=" ".join(str(info.get("description", "")).split()),
        default=None if default is None else _scalar_text(default),
        scheme=info.get("scheme"),
        class_iri=class_iri,
        namespace=info.get("namespace"),
        values=enumerate_.get(name),
    )
    if (param.scheme or param.class_iri) and type_ != "iri":
        raise CannedQueryError(f"{where}: parameter {name!r} has a scheme or class but is not an iri parameter")
    if param.source_key and name not in enumerate_:
        raise CannedQueryError(f"{where}: parameter {name!r} has a scheme or class; list it under enumerate")
    if name in enumerate_ and not param.enumerated:
        raise CannedQueryError(f"{where}: enumerate lists {name!r} without values, scheme or class")
    return param


def _expand_header_iri(text: str, where: object) -> str:
    match = _PREFIXED.match(text)
    if match and match["prefix"] in STANDARD_PREFIXES:
        return STANDARD_PREFIXES[match["prefix"]] + match["local"]
    try:
        return NamedNode(text).value
    except ValueError:
        raise CannedQueryError(f"{where}: class {text!r} is neither an absolute IRI nor a standard prefixed name") from None


def _scalar_text(value: object) -> str:
    """YAML reads ``true`` and ``4`` as bool and int; parameters are text until validated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- the store context --------------------------------------------------------------------

Runner = Callable[[QueryRequest], QueryResponse]
CONTEXT_ROWS = 100_000_000  # rows of the context queries (the store's own values, not a client's answer)

_BASE_QUERY = """SELECT ?g WHERE { GRAPH ?g { ?g a <https://w3id.org/citykg/ontology#Snapshot> } } LIMIT 1"""
_SCHEMES_QUERY = """SELECT DISTINCT ?scheme WHERE { ?scheme a <http://www.w3.org/2004/02/skos/core#ConceptScheme> }"""
_SCHEME_VALUES = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?_scheme_iri ?value (SAMPLE(?prefLabel) AS ?label)
WHERE { ?value skos:inScheme ?_scheme_iri . OPTIONAL { ?value skos:prefLabel ?prefLabel } }
GROUP BY ?_scheme_iri ?value ORDER BY ?label ?value"""
_CLASS_VALUES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?_class_iri ?value (SAMPLE(?rdfsLabel) AS ?label)
WHERE { ?value a ?_class_iri . OPTIONAL { ?value rdfs:label ?rdfsLabel } }
GROUP BY ?_class_iri ?value ORDER BY ?label ?value"""


def load_context(run: Runner, queries: Iterable[CannedQuery], default_base: str) -> Context:
    """Base IRI, prefixes and allowed values, read through ``run`` (in-process for the CLI,
    the worker pool for HTTP) with the scheme or class bound as a parameter like any other.
    These are citykg's own queries, bounded by the data (one row per city at most), so the row
    cap for clients' answers does not apply to them: 100,000 cities are 100,000 allowed values."""
    base = default_base
    for row in _select(run, QueryRequest(_BASE_QUERY)):
        graph = row["g"]
        if "/snapshot/" in graph:
            base = graph[: graph.rindex("/snapshot/") + 1]
    prefixes = dict(STANDARD_PREFIXES)
    prefixes["ckg"] = base
    for path in DATA_PATHS:
        prefixes[path] = f"{base}{path}/"
    for row in _select(run, QueryRequest(_SCHEMES_QUERY, max_rows=CONTEXT_ROWS)):
        scheme = row["scheme"]
        slug = scheme.rsplit("/", 1)[-1]
        if scheme.startswith(f"{base}vocab/") and re.match(r"^[A-Za-z][A-Za-z0-9_\-]*$", slug):
            prefixes.setdefault(slug, f"{scheme}/")
    context = Context(base=base, prefixes=prefixes)
    keys = {p.source_key for q in queries for p in q.parameters if p.source_key}
    for kind, key in sorted(keys):  # type: ignore[misc]
        if kind == "scheme":
            request = QueryRequest(_SCHEME_VALUES, {"_scheme_iri": str(NamedNode(f"{base}vocab/{key}"))}, max_rows=CONTEXT_ROWS)
        else:
            request = QueryRequest(_CLASS_VALUES, {"_class_iri": str(NamedNode(key))}, max_rows=CONTEXT_ROWS)
        context.choices[(kind, key)] = [
            Choice(row["value"], row.get("label") or row["value"]) for row in _select(run, request)
        ]
    return context


def _select(run: Runner, request: QueryRequest) -> list[dict[str, str]]:
    response = run(request)
    data = json.loads(response.body)
    return [{name: cell["value"] for name, cell in row.items()} for row in data["results"]["bindings"]]


# --- binding ------------------------------------------------------------------------------


def bind(query: CannedQuery, given: Mapping[str, str], context: Context) -> dict[str, NamedNode | Literal]:
    """Validated terms by parameter name: given values, then defaults; a missing required
    parameter, an unknown one or a bad value raises CannedQueryError naming it."""
    for key in given:
        if key not in RESERVED and not key.startswith("_") and query.parameter(key) is None:
            expected = ", ".join(p.name for p in query.parameters) or "no parameters"
            raise CannedQueryError(f"unknown parameter {key!r} for query {query.name!r} (it takes: {expected})", key)
    bound: dict[str, NamedNode | Literal] = {}
    for param in query.parameters:
        raw = given.get(param.name)
        if raw is None or raw == "":
            raw = param.default
        if raw is None:
            if param.required:
                raise CannedQueryError(f"missing required parameter {param.name!r} ({_kind(param)})", param.name)
            continue
        bound[param.name] = convert(param, raw, context)
    return bound


def convert(param: Parameter, raw: str, context: Context) -> NamedNode | Literal:
    """One value as an RDF term of the parameter's type."""
    if len(raw) > MAX_VALUE_LENGTH:
        raise CannedQueryError(f"parameter {param.name!r}: value longer than {MAX_VALUE_LENGTH} characters", param.name)
    if param.type == "iri":
        return _iri(param, raw.strip(), context)
    if param.type == "integer":
        text = raw.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,18}", text):
            raise CannedQueryError(f"parameter {param.name!r}: {raw!r} is not an integer", param.name)
        return Literal(int(text))
    if param.type == "decimal":
        try:
            number = Decimal(raw.strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise CannedQueryError(f"parameter {param.name!r}: {raw!r} is not a decimal number", param.name)
        return Literal(format(number, "f"), datatype=NamedNode(XSD + "decimal"))
    if param.type == "boolean":
        value = _BOOLEANS.get(raw.strip().lower())
        if value is None:
            raise CannedQueryError(f"parameter {param.name!r}: {raw!r} is not a boolean (true or false)", param.name)
        return Literal(value)
    return Literal(raw)


def _iri(param: Parameter, raw: str, context: Context) -> NamedNode:
    """A full IRI, a prefixed name (``role:designer``) or a short form (``designer``) in the
    parameter's namespace; then, for an enumerated parameter, one of the allowed values."""
    iri = expand_iri(param, raw, context)
    try:
        node = NamedNode(iri)
    except ValueError as exc:
        raise CannedQueryError(f"parameter {param.name!r}: {raw!r} is not an absolute IRI ({exc})", param.name) from None
    allowed = context.allowed(param)
    if allowed is not None and not context.allows(param, node.value):
        examples = ", ".join(_short(c.value, context) for c in allowed[:5]) + (", …" if len(allowed) > 5 else "")
        raise CannedQueryError(
            f"parameter {param.name!r}: {raw!r} is not one of the {len(allowed)} allowed values "
            f"({_kind(param)}{': ' + examples if examples else ''})",
            param.name,
        )
    return node


def expand_iri(param: Parameter, raw: str, context: Context) -> str:
    prefixed = _PREFIXED.match(raw)
    if prefixed and prefixed["prefix"] in context.prefixes:
        return context.prefixes[prefixed["prefix"]] + prefixed["local"]
    namespace = context.namespace(param)
    if namespace and _LOCAL_NAME.match(raw):
        return namespace + raw
    return raw


def _short(iri: str, context: Context) -> str:
    for name, ns in context.prefixes.items():
        if iri.startswith(ns) and _LOCAL_NAME.match(iri[len(ns):]):
            return f"{name}:{iri[len(ns):]}"
    return iri


def _kind(param: Parameter) -> str:
    if param.scheme:
        return f"a concept of the {param.scheme} scheme"
    if param.class_iri:
        for prefix, namespace in STANDARD_PREFIXES.items():
            if param.class_iri.startswith(namespace):
                return f"an instance of {prefix}:{param.class_iri[len(namespace):]}"
        return f"an instance of <{param.class_iri}>"
    return {"iri": "an IRI", "string": "a string", "integer": "an integer", "decimal": "a decimal number",
            "boolean": "true or false"}[param.type]


def request_for(
    query: CannedQuery,
    bound: Mapping[str, NamedNode | Literal],
    media_type: str = "application/sparql-results+json",
    max_rows: int | None = None,
) -> QueryRequest:
    """The QueryRequest that runs ``query`` with ``bound``: terms travel as N-Triples text,
    written by pyoxigraph (so escaped by it), keyed by the variable they substitute."""
    substitutions = {query.parameter(name).variable: str(term) for name, term in bound.items()}  # type: ignore[union-attr]
    extra = {} if max_rows is None else {"max_rows": max_rows}
    return QueryRequest(query.text, substitutions=substitutions, media_type=media_type, **extra)


def display_value(term: NamedNode | Literal) -> str:
    """A bound parameter as shown back to the user: the IRI, or the literal's lexical form."""
    return term.value
