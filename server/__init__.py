"""citykg application layer: the Oxigraph store, the ``citykg`` command line and (later) HTTP.

``server.store`` is the only module that opens pyoxigraph stores; everything else asks it.
"""
