"""HTML pages: Jinja templates of ``server/web/templates/``, all extending ``base.html``.

Flask renders ``.html`` templates with autoescaping on, so every value is escaped and nothing
here marks text as safe. Links in pages are made by ``server.web.describe.Linker`` (local
pages for our IRIs, http(s) IRIs as they are, nothing else), so a stored ``javascript:`` IRI
stays text.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template

from server.web.negotiation import vary_on_accept

HTML = "text/html; charset=utf-8"


def page(template: str, **values: Any) -> Response:
    """The rendered template as a ``text/html`` response that varies with Accept."""
    return vary_on_accept(Response(render_template(template, **values), content_type=HTML))
