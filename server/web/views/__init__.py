"""One module per kind of page, each a Flask blueprint registered by ``server.web.app``.

``sparql`` (``/sparql``), ``queries`` (``/queries``, ``/queries/<name>``), ``resources`` (``/city/<id>``
and every other data IRI, ``/ontology``), ``dataset`` (``/export``, ``/.well-known/void``,
``/context.jsonld``), ``home`` (``/``), ``openapi`` (``/openapi.json``).
"""
