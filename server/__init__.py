"""citykg's application: the store, SPARQL, the web site and the ``citykg`` command line.

Sub-packages are layers; each imports only from the layers below it (``tests/test_architecture.py``
checks this, and that no import cycle exists)::

    server.cli ──► server.web ──► server.sparql ──► server.store ──► mapper
        └────────► server.ingest ─────────────────────────────────► mapper

- ``server.cli``: the ``citykg`` commands: argument parsing and printing only.
- ``server.web``: the Flask app factory, one view module per kind of page, Jinja templates, static files.
- ``server.sparql``: reading a query, executing it (worker pool, hard timeouts), result formats,
  canned queries, the Wikidata federation proxy.
- ``server.store``: building and opening the store, the build report, SHACL validation, and the
  store interface the embedded Oxigraph store implements.
- ``server.ingest``: fetching snapshot pages from the survey site.

The modules directly in ``server/`` are shared by every layer and import nothing from them:
``server.errors`` (exit statuses and the base of every user-facing error) and
``server.manifest`` (the fetch manifest, written by ingest and read by the store build).
"""
