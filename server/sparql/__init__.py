"""The SPARQL layer: reading a query, running it, and writing its answer.

- ``server.sparql.scan``: reading SPARQL text without evaluating it (form, UPDATE, FROM, SERVICE targets).
- ``server.sparql.request``: a query and its answer as values, and the errors with their HTTP statuses.
- ``server.sparql.execute``: one query run in-process, checked before evaluation, its answer serialised.
- ``server.sparql.executor``: the worker pool that runs queries with a hard, killable deadline.
- ``server.sparql.formats`` and ``server.sparql.jsonld``: result formats, Turtle and JSON-LD output.
- ``server.sparql.canned``, ``catalogue``, ``tables``: canned queries (``queries/*.rq``), their
  catalogue, their answers as tables.
- ``server.sparql.federation``: Wikidata SERVICE calls through citykg's forwarding proxy.
- ``server.sparql.dataset``: the whole dataset as exports and as a VoID description.
- ``server.sparql.local``: queries run in the caller's own process (the command line).

It calls ``server.store`` (the data) and ``mapper`` (IRIs), never the web or the command line.
"""
