"""The ingest layer: fetching snapshot pages from the survey site (``server.ingest.fetch``).

It keeps only pages the mapper reads as snapshots, and records what it fetched in the manifest
(``server.manifest``) that the store build reads for provenance. It calls only ``mapper``.
"""
