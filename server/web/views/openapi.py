"""``GET /openapi.json``: an OpenAPI 3.1 description of the HTTP API, made from the running app.

The SPARQL endpoint and the canned-query routes are described in full: one path per canned
query with its parameters typed (and enumerated from the store, so the description lists
exactly what validation accepts). Every other route the app has (``/city/<id>``, ``/export``…)
is listed from the URL map with its path parameters, so the description never misses one.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

from server.sparql.canned import CannedQuery, Context, expand_iri
from server.sparql.catalogue import JSON_TYPES, default_value
from server.sparql.formats import ALL_NAMES, FORMATS
from server.sparql.request import (
    BadRequest,
    QueryTimeout,
    ResultTooLarge,
    UpstreamFailure,
    UpstreamTimeout,
    ServiceNotAllowed,
    TooManyRequests,
    Unavailable,
    UnsupportedFormat,
    UpdateRefused,
)
from server.web.context import executor
from server.web.views import compare, dataset, editor, home, resources, search
from server.web.views.queries import state

bp = Blueprint("openapi", __name__)
_DESCRIBED = {"queries.catalogue", "queries.run", "openapi.openapi", "static"}
_ERROR = {"$ref": "#/components/responses/Error"}
_BUSY = {"$ref": "#/components/responses/Busy"}  # 429 and 503: the error, with Retry-After
# Every operation may answer these: an empty parameter (400), a client over its share (429), a
# full queue (503), and anything else in the same error form ("default").
_ANY_ROUTE = {"400": _ERROR, "429": _BUSY, "503": _BUSY, "default": _ERROR}
# Media types and query parameters of the routes described from the URL map, by endpoint.
ROUTE_MEDIA: dict[str, list[str]] = {**resources.ROUTE_MEDIA, **dataset.ROUTE_MEDIA, **home.ROUTE_MEDIA,
                                     **search.ROUTE_MEDIA, **compare.ROUTE_MEDIA, **editor.ROUTE_MEDIA}
ROUTE_QUERY_PARAMS = {**resources.ROUTE_QUERY_PARAMS, **search.ROUTE_QUERY_PARAMS, **compare.ROUTE_QUERY_PARAMS}


@bp.get("/openapi.json")
def openapi() -> Response:
    try:
        context: Context | None = state().context(executor())
    except Exception:  # noqa: BLE001 - no store yet: describe the API without enumerations
        context = None
    response = jsonify(build_spec(current_app, state().queries, context))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def build_spec(app: Flask, queries: dict[str, CannedQuery], context: Context | None) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    if any(rule.rule == "/sparql" for rule in app.url_map.iter_rules()):
        paths["/sparql"] = _sparql_path()
    if "queries.catalogue" in endpoints:
        paths["/queries"] = _catalogue_path()
        paths["/queries.json"] = _catalogue_path(json_only=True)
    if "queries.run" in endpoints:
        for query in queries.values():
            paths[f"/queries/{query.name}"] = _canned_path(query, context)
        paths["/queries/{name}"] = _canned_generic(list(queries))
    paths["/openapi.json"] = {"get": {
        "operationId": "openapi", "summary": "This description (OpenAPI 3.1)", "tags": ["meta"],
        "responses": {"200": {"description": "the OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}},
                      "default": _ERROR},
    }}
    for path, item in _other_routes(app, paths).items():
        paths.setdefault(path, item)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "citykg",
            "version": _version(),
            "summary": "City Innovation Snapshots (OECD / Bloomberg Philanthropies) as a knowledge graph",
            "description": "A read-only SPARQL 1.1 endpoint over the citykg graph, documented canned queries, "
                           "and dereferenceable IRIs. Nothing here changes the store: it is rebuilt by `citykg build`.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": dict(sorted(paths.items())),
        "components": _components(),
    }


def _version() -> str:
    try:
        return version("citykg")
    except PackageNotFoundError:
        return "0.0.0"


# --- /sparql ------------------------------------------------------------------------------


def _sparql_path() -> dict[str, Any]:
    media = sorted({f.media_type for f in FORMATS})
    content = {m: {"schema": {"type": "string"} if not m.endswith("json") else {"type": "object"}} for m in media}
    responses = {
        "200": {"description": "SELECT/ASK results (SPARQL JSON, XML, CSV, TSV) or a graph for CONSTRUCT/DESCRIBE "
                               "(Turtle, JSON-LD, N-Triples, RDF/XML, TriG, N-Quads); with no query, the service description",
                "content": content},
        **_error_statuses(BadRequest, UpdateRefused, ServiceNotAllowed, UnsupportedFormat, ResultTooLarge,
                          UpstreamFailure,
    UpstreamTimeout, QueryTimeout),
        "413": _ERROR,
        "415": _ERROR,
        **_ANY_ROUTE,
    }
    common = [
        {"name": "default-graph-uri", "in": "query", "schema": {"type": "array", "items": {"type": "string", "format": "iri", "minLength": 1}},
         "style": "form", "explode": True, "description": "the default graph (repeatable); default: the union of all graphs"},
        {"name": "named-graph-uri", "in": "query", "schema": {"type": "array", "items": {"type": "string", "format": "iri", "minLength": 1}},
         "style": "form", "explode": True, "description": "a named graph (repeatable)"},
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": list(ALL_NAMES)},
         "description": "the result format, overriding Accept"},
        _timeout_parameter(),
    ]
    form = {"type": "object", "properties": {
        "query": {"type": "string"},
        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
        "format": {"type": "string"}, "timeout": {"type": "number"},
    }, "required": ["query"]}
    return {
        "get": {
            "operationId": "sparqlGet", "tags": ["sparql"],
            "summary": "SPARQL 1.1 query (GET); no query: the service description",
            "parameters": [{"name": "query", "in": "query", "schema": {"type": "string", "minLength": 1}, "description": "a SPARQL 1.1 query"}] + common,
            "responses": responses,
        },
        "post": {
            "operationId": "sparqlPost", "tags": ["sparql"],
            "summary": "SPARQL 1.1 query (POST, form-encoded or application/sparql-query); UPDATE is refused",
            "parameters": common,
            "requestBody": {"required": True, "content": {
                "application/x-www-form-urlencoded": {"schema": form},
                "application/sparql-query": {"schema": {"type": "string"}},
            }},
            "responses": responses,
        },
    }


def _error_statuses(*errors: type) -> dict[str, Any]:
    return {str(error.http_status): _BUSY if issubclass(error, Unavailable) else _ERROR for error in errors}


def _timeout_parameter() -> dict[str, Any]:
    """``timeout`` within the bounds this server enforces (its own settings)."""
    config = executor().config
    return {"name": "timeout", "in": "query",
            "schema": {"type": "number", "minimum": config.min_timeout, "maximum": config.max_timeout},
            "description": f"seconds; may lower the endpoint's limit of {config.max_timeout:g} s, never raise it, "
                           f"and not below {config.min_timeout:g} s"}


# --- /queries -----------------------------------------------------------------------------


def _catalogue_path(json_only: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": {"$ref": "#/components/schemas/Catalogue"}}}
    if not json_only:
        content["text/html"] = {"schema": {"type": "string"}}
    return {"get": {
        "operationId": "catalogueJson" if json_only else "catalogue", "tags": ["queries"],
        "summary": "The canned queries: summary, description, parameters with types, defaults, allowed values, example URL",
        "responses": {"200": {"description": "the catalogue", "content": content}, "406": _ERROR, **_ANY_ROUTE},
    }}


def _run_responses() -> dict[str, Any]:
    return {
        "200": {"description": "the answer", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/CannedResult"}},
            "application/sparql-results+json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        }},
        "400": {"description": "a bad or missing parameter (named in `parameter`)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "404": _ERROR,
        **_error_statuses(UpdateRefused, UnsupportedFormat, ResultTooLarge, UpstreamFailure, UpstreamTimeout, QueryTimeout),
        **_ANY_ROUTE,
        "400": {"description": "a bad or missing parameter (named in `parameter`)",
                "content": _error_content()},
    }


_FORMAT_PARAM = {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "sparql-json", "csv", "html"]},
                 "description": "the result format, overriding Accept (or use the suffix `.json`, `.csv`, `.html`)"}


def _canned_path(query: CannedQuery, context: Context | None) -> dict[str, Any]:
    parameters = []
    for param in query.parameters:
        schema: dict[str, Any] = {"type": JSON_TYPES[param.type]}
        if schema["type"] == "string":
            schema["minLength"] = 1  # an empty value is refused (400), never read as "no value"
        if param.type == "iri":
            schema["format"] = "iri"
        if context is not None:
            allowed = context.allowed(param)
            if allowed is not None:
                schema["enum"] = [choice.value for choice in allowed]
            default = default_value(param, context)
            if default is not None:
                schema["default"] = _typed(param.type, default)
        entry: dict[str, Any] = {"name": param.name, "in": "query", "required": param.required,
                                 "description": param.description, "schema": schema}
        if param.name in query.example:
            example = query.example[param.name]
            if param.type == "iri" and context is not None:
                example = expand_iri(param, example, context)
            entry["example"] = _typed(param.type, example)
        parameters.append(entry)
    parameters += [_FORMAT_PARAM, _timeout_parameter()]
    return {"get": {
        "operationId": "query_" + query.name.replace("-", "_"),
        "tags": ["queries", *query.tags],
        "summary": query.summary,
        "description": query.description,
        "parameters": parameters,
        "responses": _run_responses(),
    }}


def _canned_generic(names: list[str]) -> dict[str, Any]:
    return {"get": {
        "operationId": "query_by_name", "tags": ["queries"],
        "summary": "Run a canned query by name; `NAME.json`, `NAME.csv`, `NAME.html` choose the format",
        "description": "The parameters of each query are described under its own path.",
        "parameters": [{"name": "name", "in": "path", "required": True, "schema": {
            "type": "string", "pattern": r"^(" + "|".join(names) + r")(\.(json|csv|html|sparql-json))?$"}},
            _FORMAT_PARAM, _timeout_parameter()],
        "responses": _run_responses(),
    }}


def _typed(type_: str, value: str) -> Any:
    if type_ == "integer":
        return int(value)
    if type_ == "decimal":
        return float(value)
    if type_ == "boolean":
        return value.lower() in ("true", "1", "yes")
    return value


# --- every other route --------------------------------------------------------------------


def _other_routes(app: Flask, described: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in _DESCRIBED or rule.rule == "/sparql":
            continue
        path = rule.rule
        params = []
        for name in rule.arguments:
            path = _template(path, name)
            params.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
        if path in described or path in out:
            continue
        params += _route_query_params(rule.endpoint)
        item: dict[str, Any] = {}
        view = app.view_functions.get(rule.endpoint)
        doc = (view.__doc__ or "").strip().split("\n\n")[0] if view else ""
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            item[method.lower()] = {
                "operationId": f"{rule.endpoint}_{method.lower()}".replace(".", "_"),
                "summary": " ".join(doc.split()) or rule.endpoint,
                "parameters": list(params),
                "responses": _route_responses(rule.endpoint),
            }
        if item:
            out[path] = item
    return out


def _route_query_params(endpoint: str) -> list[dict[str, Any]]:
    """The query parameters a linked-data route takes besides ?format=."""
    return list(ROUTE_QUERY_PARAMS.get(endpoint, []))


def _route_responses(endpoint: str) -> dict[str, Any]:
    """The media types of a linked-data route, else plain OK."""
    media = ROUTE_MEDIA.get(endpoint)
    if media is None:
        return {"200": {"description": "OK"}, "404": _ERROR, **_ANY_ROUTE}
    content = {m: {"schema": {"type": "object" if m.endswith("json") else "string"}} for m in media}
    return {"200": {"description": "negotiated by Accept (q-values) or ?format=; Vary: Accept", "content": content},
            "404": _ERROR, "406": _ERROR, **_ANY_ROUTE}


def _template(path: str, name: str) -> str:
    """``/city/<id>`` or ``/city/<path:id>`` → ``/city/{id}``."""
    return re.sub(rf"<(?:[^:<>]+:)?{re.escape(name)}>", "{" + name + "}", path)


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}},
            "text/html": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}}}


def _components() -> dict[str, Any]:
    return {
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string", "description": "what went wrong, in one message"},
                "status": {"type": "integer"},
                "type": {"type": "string", "description": "the kind of error (e.g. CannedQueryError, QueryTimeout)"},
                "parameter": {"type": "string", "description": "the parameter at fault, when there is one"},
            }},
            "CannedResult": {"type": "object", "required": ["query", "parameters", "columns", "rows", "truncated"], "properties": {
                "query": {"type": "string"},
                "parameters": {"type": "object", "additionalProperties": {"type": "string"},
                               "description": "the values bound, defaults included (IRIs expanded)"},
                "columns": {"type": "array", "items": {"type": "string"}},
                "rows": {"type": "array", "items": {"type": "object", "additionalProperties": {
                    "type": ["string", "number", "integer", "boolean", "null"]}}},
                "truncated": {"type": "boolean", "description": "always false: over the row cap the answer is a 422"},
            }},
            "Catalogue": {"type": "object", "required": ["queries"], "properties": {
                "queries": {"type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "summary": {"type": "string"}, "description": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}}, "url": {"type": "string"},
                    "example_url": {"type": "string"}, "sparql": {"type": "string"},
                    "parameters": {"type": "array", "items": {"type": "object"}},
                }}},
            }},
        },
        "responses": {
            "Error": {"description": "an error: JSON by default, an HTML page for browsers (Accept prefers text/html), "
                                     "plain text when Accept prefers text/plain",
                      "content": _error_content()},
            "Busy": {"description": "this client has too many requests in progress (429), or every worker is busy "
                                    "and the queue is full (503): come back after Retry-After seconds",
                     "headers": {"Retry-After": {"description": "seconds to wait before trying again",
                                                 "schema": {"type": "integer", "minimum": 1}}},
                     "content": _error_content()},
        },
    }
