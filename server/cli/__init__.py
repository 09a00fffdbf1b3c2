"""The ``citykg`` command line: argument parsing and printing only.

``server.cli.main`` is the entry point and dispatches to one module per group of commands:
``build`` (build, export, validate), ``query`` (query, queries), ``serve``, ``fetch``;
``stores`` holds the ``--store-url`` options those that read or write a store share. The work
itself is done by the layers below (``server.web``, ``server.sparql``, ``server.store``,
``server.ingest``); errors they raise as ``server.errors.CitykgError`` end in one line on stderr
and exit status 2.
"""
