"""HTML pages: Jinja templates of ``server/web/templates/``, all extending ``base.html``.

Flask renders ``.html`` templates with autoescaping on, so every value is escaped and nothing
here marks text as safe. Links are made only from http(s) IRIs (``cell_href``), so a stored
``javascript:`` IRI stays text.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, render_template

from server.sparql.tables import text
from server.web.negotiation import vary_on_accept

HTML = "text/html; charset=utf-8"


def init_app(app: Flask) -> None:
    """Make the helpers below available to every template."""
    app.add_template_global(cell_href)
    app.add_template_global(cell_text)


def page(template: str, **values: Any) -> Response:
    """The rendered template as a ``text/html`` response that varies with Accept."""
    return vary_on_accept(Response(render_template(template, **values), content_type=HTML))


def cell_href(cell: dict | None) -> str | None:
    """A link target for an IRI cell of a result table, only for http(s) IRIs."""
    if cell and cell.get("type") == "uri" and str(cell.get("value", "")).startswith(("http://", "https://")):
        return cell["value"]
    return None


def cell_text(cell: dict | None, prefixes: list[tuple[str, str]]) -> str:
    """A result cell as text, IRIs compacted with ``prefixes``."""
    return text(cell, prefixes)
