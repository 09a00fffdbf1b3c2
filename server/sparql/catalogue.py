"""The canned-query catalogue as data: what ``GET /queries`` lists and ``/openapi.json`` types.

One description per query (name, summary, description, tags, parameters with type, default,
required, allowed values) built from the ``#+`` header and, for enumerated parameters, the
values read from the store, so the catalogue and the API description never disagree with what
validation accepts.
"""

from __future__ import annotations

from typing import Any

from server.sparql.canned import CannedQuery, Context, Parameter, expand_iri

JSON_TYPES = {"iri": "string", "string": "string", "integer": "integer", "decimal": "number", "boolean": "boolean"}


def default_value(param: Parameter, context: Context) -> str | None:
    """The default as validation will bind it: a short form is shown expanded to its IRI."""
    if param.default is None:
        return None
    return expand_iri(param, param.default, context) if param.type == "iri" else param.default


def parameter_info(param: Parameter, context: Context) -> dict[str, Any]:
    allowed = context.allowed(param)
    info: dict[str, Any] = {
        "name": param.name,
        "variable": f"?{param.variable}",
        "type": param.type,
        "required": param.required,
        "description": param.description,
        "default": default_value(param, context),
    }
    if param.scheme:
        info["scheme"] = f"{context.base}vocab/{param.scheme}"
    if param.class_iri:
        info["class"] = param.class_iri
    if param.type == "iri" and context.namespace(param):
        info["short_form_namespace"] = context.namespace(param)
    info["allowed"] = None if allowed is None else [{"value": c.value, "label": c.label} for c in allowed]
    return info


def describe(query: CannedQuery, context: Context, url: str, example_url: str) -> dict[str, Any]:
    return {
        "name": query.name,
        "summary": query.summary,
        "description": query.description,
        "tags": list(query.tags),
        "url": url,
        "example": dict(query.example),
        "example_url": example_url,
        "parameters": [parameter_info(p, context) for p in query.parameters],
        "sparql": query.text,
    }
