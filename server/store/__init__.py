"""The store layer: where citykg's graph lives, how a build replaces it, how readers open it.

- ``server.store.interface``: the store interface (``StoreBackend``: version, open, replace; and
  ``GraphReader``: what readers call) and the store errors. ``server.store.backends.backend()``
  turns a location into an implementation.
- ``server.store.embedded``: the default implementation, an Oxigraph store on disk
  (pyoxigraph), replaced atomically by swapping a symlink. The only module that opens
  pyoxigraph stores.
- ``server.store.remote``: any SPARQL 1.1 store, read through the SPARQL 1.1 Protocol and
  built through the Graph Store HTTP Protocol (``--store-url``).
- ``server.store.build``: documents in, one named graph per snapshot out, written whole.
- ``server.store.report``: what each document gave (the build report).
- ``server.store.validate``: SHACL validation of a built store.
- ``server.store.prefixes``: the namespaces and the prefix table a store implies.

It calls only ``mapper`` (and ``server.errors``, ``server.manifest``).
"""
