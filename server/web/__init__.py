"""The web layer: citykg over HTTP, a Flask app built by ``server.web.app.create_app``.

- ``server.web.app``: the app factory (configuration, the query worker pool, CORS, error bodies).
- ``server.web.views``: one module per kind of page, each a blueprint: ``sparql`` (the SPARQL 1.1
  Protocol endpoint), ``queries`` (canned queries), ``resources`` (dereferenceable IRIs and the
  ontology), ``dataset`` (exports, VoID, the JSON-LD context), ``home``, ``openapi``.
- ``server.web.context``: what a request reads from its app (worker pool, base IRI, store).
- ``server.web.negotiation``: choosing a format from ``?format=`` and Accept.
- ``server.web.describe``: resource descriptions (triples) as the values pages show.
- ``server.web.render``: HTML pages from ``templates/`` (one base layout, Jinja autoescaping
  every value); ``static/`` holds the stylesheet.

It calls ``server.sparql`` (every query runs in its worker pool) and ``server.store``.
"""
