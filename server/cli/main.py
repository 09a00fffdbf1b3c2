"""The ``citykg`` entry point: one parser, one sub-command per job, one way to report errors.

Every error a user can cause (``server.errors.CitykgError``: a bad path, no store yet, a bad
query, a bad parameter) ends in one line on stderr naming the file or parameter, and exit status
2; only a bug shows a traceback (CITYKG_DEBUG=1 prints the cause of a reported error). Exit
status 1 means the command ran but the answer is "no": nothing could be built, or the graph
does not conform.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from server.cli import build, fetch, query, reconcile, serve
from server.cli.output import console, fail
from server.errors import EXIT_INTERRUPTED, EXIT_USAGE, CitykgError


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (the console script passes it to sys.exit)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or argparse's own usage error (already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.handler(args, console())
    except CitykgError as exc:
        return fail(str(exc), EXIT_USAGE, exc)
    except KeyboardInterrupt:
        return fail("interrupted; the store was left as it was", EXIT_INTERRUPTED)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citykg", description="City Innovation Snapshots as a knowledge graph.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build.add_build(commands)
    query.add_query(commands)
    build.add_export(commands)
    build.add_validate(commands)
    query.add_queries(commands)
    serve.add_commands(commands)
    fetch.add_commands(commands)
    reconcile.add_commands(commands)
    return parser
