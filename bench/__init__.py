"""Benchmarks of citykg against its peers (see bench/README.md); not part of the installed package."""
