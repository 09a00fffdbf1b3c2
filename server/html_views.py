"""HTML for the canned-query routes: the catalogue, a result table with its form, an error.

Rendered by Flask from strings, so Jinja autoescapes every value; nothing here marks text as
safe. Links are made only from http(s) IRIs, so a stored ``javascript:`` IRI stays text.
"""

from __future__ import annotations

from server.tables import text

_HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %} · citykg</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;line-height:1.4}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top;text-align:left}
th{background:#f3f3f3}code,pre{background:#f6f6f6}pre{padding:.5rem;overflow:auto}.muted{color:#666}
form label{display:inline-block;min-width:10rem}.error{color:#a00}
</style></head><body>
<p><a href="/">citykg</a> · <a href="{{ url_for('queries.catalogue') }}">canned queries</a></p>
"""
_FOOT = "</body></html>\n"

CATALOGUE = _HEAD.replace("{% block title %}{% endblock %}", "Canned queries") + """
<h1>Canned queries</h1>
<p>Each runs as <code>/queries/NAME?param=value</code>; add <code>.json</code> or <code>.csv</code>
(or send <code>Accept</code>) for data. Also as <a href="{{ url_for('queries.catalogue', suffix='json') }}">JSON</a>.</p>
{% for q in queries %}
<section>
<h2><a href="{{ q.url }}">{{ q.name }}</a></h2>
<p><strong>{{ q.summary }}</strong></p>
<p>{{ q.description }}</p>
{% if q.tags %}<p class="muted">tags: {{ q.tags | join(', ') }}</p>{% endif %}
{% if q.parameters %}
<table><tr><th>parameter</th><th>type</th><th>required</th><th>default</th><th>allowed values</th><th>description</th></tr>
{% for p in q.parameters %}
<tr><td><code>{{ p.name }}</code></td><td>{{ p.type }}</td><td>{{ 'yes' if p.required else 'no' }}</td>
<td>{{ p.default or '' }}</td>
<td>{% if p.allowed is none %}any{% else %}{{ p.allowed | length }}: {% for c in p.allowed[:6] %}{{ c.label }}{% if not loop.last %}, {% endif %}{% endfor %}{% if p.allowed | length > 6 %}, …{% endif %}{% endif %}</td>
<td>{{ p.description }}</td></tr>
{% endfor %}</table>
{% endif %}
<p>Example: <a href="{{ q.example_url }}">{{ q.example_url }}</a></p>
</section>
{% endfor %}
""" + _FOOT

RESULT = _HEAD.replace("{% block title %}{% endblock %}", "{{ query.name }}") + """
<h1>{{ query.name }}</h1>
<p><strong>{{ query.summary }}</strong></p>
<p>{{ query.description }}</p>
{% if query.parameters %}
<form method="get" action="{{ query.url }}">
{% for p in query.parameters %}
<p><label for="p-{{ p.name }}"><code>{{ p.name }}</code> ({{ p.type }}{{ ', required' if p.required }})</label>
{% set current = given.get(p.name) or shown.get(p.name) or '' %}
{% if p.allowed is not none %}
<select id="p-{{ p.name }}" name="{{ p.name }}">
{% if not p.required %}<option value="">(any)</option>{% endif %}
{% for c in p.allowed %}<option value="{{ c.value }}"{{ ' selected' if c.value == shown.get(p.name) }}>{{ c.label }}</option>{% endfor %}
</select>
{% else %}
<input id="p-{{ p.name }}" name="{{ p.name }}" value="{{ current }}">
{% endif %}
<span class="muted">{{ p.description }}</span></p>
{% endfor %}
<p><button type="submit">Run</button></p>
</form>
{% endif %}
<p>{{ table.rows | length }} row{{ '' if table.rows | length == 1 else 's' }} ·
<a href="{{ links.json }}">JSON</a> · <a href="{{ links.csv }}">CSV</a></p>
<table>
<tr>{% for column in table.columns %}<th>{{ column }}</th>{% endfor %}</tr>
{% for row in table.rows %}
<tr>{% for cell in row %}<td>{% set href = cell_href(cell) %}{% if href %}<a href="{{ href }}">{{ cell_text(cell, prefixes) }}</a>{% else %}{{ cell_text(cell, prefixes) }}{% endif %}</td>{% endfor %}</tr>
{% endfor %}
</table>
<details><summary>SPARQL</summary><pre>{{ query.sparql }}</pre></details>
""" + _FOOT

ERROR = _HEAD.replace("{% block title %}{% endblock %}", "Error {{ status }}") + """
<h1>Error {{ status }}</h1>
<p class="error">{{ message }}</p>
{% if parameter %}<p>Parameter: <code>{{ parameter }}</code></p>{% endif %}
""" + _FOOT


def cell_href(cell: dict | None) -> str | None:
    """A link target for an IRI cell, only for http(s) IRIs."""
    if cell and cell.get("type") == "uri" and str(cell.get("value", "")).startswith(("http://", "https://")):
        return cell["value"]
    return None


def cell_text(cell: dict | None, prefixes: list[tuple[str, str]]) -> str:
    return text(cell, prefixes)

