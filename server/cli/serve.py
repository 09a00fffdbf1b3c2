"""``citykg serve``: the web app on waitress (``server.web.serving``), until Ctrl-C or SIGTERM.

A missing store or a busy port ends in one line and exit status 2, like every other command.
"""

from __future__ import annotations

import argparse
import errno
from pathlib import Path
from typing import Any

from server.cli.output import DEFAULT_STORE, fail
from server.cli.stores import add_store_url_options, chosen_store
from server.errors import EXIT_OK, EXIT_USAGE
from server.sparql.executor import DEFAULT_SERVICE_ALLOWLIST, DEFAULT_TIMEOUT
from server.sparql.federation import DEFAULT_WIKIDATA_ENDPOINT, FederationConfigError, validate_endpoint
from server.store.interface import StoreBackend

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def add_commands(commands: argparse._SubParsersAction, store_default: Path = DEFAULT_STORE) -> None:
    serve = commands.add_parser("serve", help="serve the store over HTTP: SPARQL 1.1 Protocol at /sparql")
    serve.add_argument("--store", type=Path, default=store_default, metavar="DIR", help=f"store directory (default: {store_default})")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default: {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0 picks a free one)")
    serve.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="S", help=f"seconds per query (default: {DEFAULT_TIMEOUT:g}); requests may only lower it")
    serve.add_argument("--max-timeout", type=_seconds, default=None, metavar="S", help="the most a request's `timeout` may ask for (default: --timeout)")
    serve.add_argument("--workers", type=_positive, default=None, metavar="N", help="query worker processes (default: one per core, at least 2)")
    serve.add_argument("--max-rows", type=_positive, default=None, metavar="N", help="result rows before a 422 (default: 10000)")
    serve.add_argument(
        "--service-allowlist", nargs="*", default=list(DEFAULT_SERVICE_ALLOWLIST), metavar="URL",
        help="SPARQL endpoints SERVICE may call (default: the Wikidata query service; none: no SERVICE at all)",
    )
    serve.add_argument(
        "--base-iri", default=None, metavar="IRI",
        help="data base IRI this host serves: /city/x describes <IRI>city/x (default: https://w3id.org/citykg/)",
    )
    add_wikidata_option(serve)
    add_store_url_options(serve, serving=True)
    serve.set_defaults(handler=cmd_serve)


def add_wikidata_option(command: argparse.ArgumentParser) -> None:
    """``--wikidata-endpoint URL`` (serve, query): where federated Wikidata SERVICE calls go."""
    command.add_argument(
        "--wikidata-endpoint", type=_endpoint, default=DEFAULT_WIKIDATA_ENDPOINT, metavar="URL",
        help=f"SPARQL endpoint for Wikidata SERVICE calls, made through citykg's proxy with its "
        f"User-Agent and cache (default: {DEFAULT_WIKIDATA_ENDPOINT}; none: no federation)",
    )


def _endpoint(value: str) -> str | None:
    if value.strip().lower() == "none":
        return None
    try:
        return validate_endpoint(value)
    except FederationConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_serve(args: argparse.Namespace, console: Any) -> int:
    """Build the app (fails fast without a store), bind, serve until Ctrl-C or SIGTERM."""
    from server.web.serving import Serving  # Flask and waitress: only this command pays

    store = chosen_store(args, timeout=args.max_timeout or args.timeout)  # a remote store's own limit: the ceiling
    config: dict[str, Any] = {
        "CITYKG_STORE": store if isinstance(store, StoreBackend) else str(store),
        "CITYKG_TIMEOUT": args.timeout,
        "CITYKG_MAX_TIMEOUT": args.max_timeout,
        "CITYKG_SERVICE_ALLOWLIST": tuple(args.service_allowlist),
        "CITYKG_WIKIDATA_ENDPOINT": args.wikidata_endpoint,
    }
    if args.workers:
        config["CITYKG_WORKERS"] = args.workers
    if args.base_iri:
        config["CITYKG_BASE_IRI"] = args.base_iri
    if args.max_rows:
        config["CITYKG_MAX_ROWS"] = args.max_rows
    try:
        serving = Serving(config, args.host, args.port)  # StoreError (no store) is reported by cli.main
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return fail(f"port {args.port} on {args.host} is already in use; choose another with --port", EXIT_USAGE)
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", EXIT_USAGE)
    cfg, proxy = serving.executor, serving.proxy
    allow = ", ".join(iri for iri in cfg.service_allowlist if proxy is None or iri != proxy.url) or "none"
    if proxy is not None:
        allow += f"; Wikidata via {proxy.url}, cache {proxy.config.cache_dir or 'in memory'}"
    print(
        f"citykg: serving {store.location if isinstance(store, StoreBackend) else store} at {serving.url}sparql "
        f"({cfg.workers} workers, timeout {cfg.timeout:g} s, max {cfg.max_timeout:g} s, "
        f"{cfg.max_rows} rows; SERVICE allowed: {allow}) — Ctrl-C stops",
        flush=True,
    )
    serving.run()
    return EXIT_OK


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {value!r}")
    return seconds


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value!r}")
    return number
