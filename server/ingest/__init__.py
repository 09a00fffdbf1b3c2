"""The ingest layer: fetching snapshot pages from the survey site (``server.ingest.fetch``), and
asking Wikidata about the cities the offline sources miss (``server.ingest.wikidata``).

It keeps only pages the mapper reads as snapshots, and records what it fetched in the manifest
(``server.manifest``) that the store build reads for provenance; Wikidata's answers go to the
links file ``seeds/wikidata/reconciled-qids.csv`` that the build reads. It calls only ``mapper``.
"""
