"""``--store-url`` and its companions: a remote SPARQL 1.1 store instead of ``--store DIR``.

``build``, ``export``, ``validate`` and ``serve`` take them; ``chosen_store(args)`` is what the
command then hands to ``server.store.backends.backend`` (or to the app as ``CITYKG_STORE``).
Credentials never appear on the command line: see ``server.store.remote``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from server.cli.output import DEFAULT_STORE, UsageError
from server.store.interface import StoreError
from server.store.remote import DEFAULT_REFRESH, DIALECTS, WRITE_TIMEOUT, RemoteStore


def add_store_url_options(command: argparse.ArgumentParser, *, serving: bool = False) -> None:
    group = command.add_argument_group("a remote SPARQL 1.1 store instead of --store (see docs/deploy.md)")
    group.add_argument("--store-url", metavar="URL", help="the store's URL (Oxigraph server: http://host:7878)")
    group.add_argument(
        "--store-kind", choices=tuple(DIALECTS), default="oxigraph",
        help="where its endpoints are under --store-url and how it takes a time limit (default: oxigraph)",
    )
    group.add_argument("--query-url", metavar="URL", help="its SPARQL query endpoint, if not where --store-kind puts it")
    group.add_argument("--gsp-url", metavar="URL", help="its Graph Store Protocol endpoint (builds write there)")
    group.add_argument("--update-url", metavar="URL", help="its SPARQL update endpoint (builds drop vanished graphs there)")
    if serving:
        group.add_argument(
            "--store-refresh", type=float, default=DEFAULT_REFRESH, metavar="S",
            help=f"seconds between checks of the store; what is cached from it is at most this old (default: {DEFAULT_REFRESH:g})",
        )


def chosen_store(args: argparse.Namespace, timeout: float = WRITE_TIMEOUT) -> Path | RemoteStore:
    """``args.store`` (a directory), or the remote store the ``--store-url`` options describe,
    whose queries may run ``timeout`` seconds."""
    others = [f"--{name.replace('_', '-')}" for name in ("query_url", "gsp_url", "update_url") if getattr(args, name)]
    if args.store_url is None:
        if others:
            raise UsageError(f"{others[0]} needs --store-url")
        return args.store
    if args.store != DEFAULT_STORE:
        raise UsageError("--store and --store-url name two stores; give one")
    refresh = getattr(args, "store_refresh", DEFAULT_REFRESH)
    if not refresh > 0:
        raise UsageError(f"--store-refresh must be more than 0 seconds, not {refresh:g}")
    try:
        return RemoteStore.at(
            args.store_url, args.store_kind, query_url=args.query_url, gsp_url=args.gsp_url, update_url=args.update_url,
            timeout=timeout, refresh=refresh,
        )
    except StoreError as exc:
        raise UsageError(str(exc)) from None
