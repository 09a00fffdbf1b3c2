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
from server.sparql import admission, limits
from server.sparql.executor import DEFAULT_SERVICE_ALLOWLIST
from server.sparql.federation import DEFAULT_WIKIDATA_ENDPOINT, FederationConfigError, validate_endpoint
from server.sparql.limits import DEFAULT_TIMEOUT, format_bytes
from server.store.interface import StoreBackend

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
READY_WAIT = 60.0  # seconds for the first query worker to start before giving up


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
    serve.add_argument("--public-url", default=None, metavar="URL",
                       help="the URL clients reach this server at, written into VoID and the service description "
                            "(default: http://HOST:PORT/ as bound; set it behind a reverse proxy)")
    limit = serve.add_argument_group("limits (SECURITY.md lists each with its default)")
    limit.add_argument("--min-timeout", type=_seconds, default=limits.DEFAULT_MIN_TIMEOUT, metavar="S",
                       help=f"the least a request's `timeout` may ask for (default: {limits.DEFAULT_MIN_TIMEOUT:g})")
    limit.add_argument("--max-response", type=_size, default=limits.DEFAULT_MAX_RESPONSE, metavar="BYTES",
                       help=f"answer size before a 422, e.g. 32M (default: {format_bytes(limits.DEFAULT_MAX_RESPONSE)})")
    limit.add_argument("--max-nesting", type=_positive, default=limits.DEFAULT_MAX_NESTING, metavar="N",
                       help=f"query nesting depth before a 400 (default: {limits.DEFAULT_MAX_NESTING})")
    limit.add_argument("--worker-memory", type=_size, default=limits.DEFAULT_WORKER_MEMORY, metavar="BYTES",
                       help=f"memory each query worker may allocate, e.g. 1G; 0: no limit (default: {format_bytes(limits.DEFAULT_WORKER_MEMORY)})")
    limit.add_argument("--heavy-workers", type=_count, default=admission.DEFAULT_HEAVY_WORKERS, metavar="N",
                       help=f"worker processes for queries that outrun the interactive budget; 0: one lane (default: {admission.DEFAULT_HEAVY_WORKERS})")
    limit.add_argument("--interactive-budget", type=_seconds, default=admission.DEFAULT_INTERACTIVE_BUDGET, metavar="S",
                       help=f"seconds a query may run on an interactive worker before it moves to a heavy one (default: {admission.DEFAULT_INTERACTIVE_BUDGET:g})")
    limit.add_argument("--queue", type=_count, default=admission.DEFAULT_INTERACTIVE_QUEUE, metavar="N",
                       help=f"requests that may wait for an interactive worker before a 503 (default: {admission.DEFAULT_INTERACTIVE_QUEUE})")
    limit.add_argument("--heavy-queue", type=_count, default=admission.DEFAULT_HEAVY_QUEUE, metavar="N",
                       help=f"requests that may wait for a heavy worker before a 503 (default: {admission.DEFAULT_HEAVY_QUEUE})")
    limit.add_argument("--per-client", type=_count, default=admission.DEFAULT_PER_CLIENT, metavar="N",
                       help=f"requests one client address may have in progress before a 429; 0: no limit (default: {admission.DEFAULT_PER_CLIENT})")
    limit.add_argument("--response-cache", type=_size, default=None, metavar="BYTES",
                       help="answers kept in memory per store version, e.g. 64M; 0: none (default: 64 MiB)")
    limit.add_argument("--answers", default=None, metavar="DIR",
                       help="where each build's canned answers are precomputed and kept (default: STORE.answers beside "
                            "an embedded store; none: not precomputed)")
    limit.add_argument("--precompute-timeout", type=_seconds, default=None, metavar="S",
                       help="seconds each canned query may take while precomputing (default: 600)")
    limit.add_argument("--trusted-proxies", type=_count, default=0, metavar="N",
                       help="reverse proxies in front of this server whose X-Forwarded-For/-Proto/-Host are believed (default: 0)")
    limit.add_argument("--network-guard", choices=("auto", "required", "off"), default="auto",
                       help="query workers reach only the federation proxy (a network namespace): auto tries, required "
                            "refuses to start without it (default: auto)")
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
        "CITYKG_MIN_TIMEOUT": args.min_timeout,
        "CITYKG_MAX_RESPONSE": args.max_response,
        "CITYKG_MAX_NESTING": args.max_nesting,
        "CITYKG_WORKER_MEMORY": args.worker_memory or None,
        "CITYKG_HEAVY_WORKERS": args.heavy_workers,
        "CITYKG_INTERACTIVE_BUDGET": args.interactive_budget,
        "CITYKG_QUEUE": args.queue,
        "CITYKG_HEAVY_QUEUE": args.heavy_queue,
        "CITYKG_PER_CLIENT": args.per_client or None,
        "CITYKG_TRUSTED_PROXIES": args.trusted_proxies,
        "CITYKG_NETWORK_GUARD": args.network_guard,
    }
    if args.public_url:
        config["CITYKG_PUBLIC_URL"] = args.public_url
    if args.workers:
        config["CITYKG_WORKERS"] = args.workers
    if args.base_iri:
        config["CITYKG_BASE_IRI"] = args.base_iri
    if args.max_rows:
        config["CITYKG_MAX_ROWS"] = args.max_rows
    if args.response_cache is not None:
        config["CITYKG_RESPONSE_CACHE"] = args.response_cache
    config["CITYKG_ANSWERS"] = _answers_dir(args.answers, store)
    config["CITYKG_PRECOMPUTE_TIMEOUT"] = args.precompute_timeout
    try:
        serving = Serving(config, args.host, args.port)  # StoreError (no store) is reported by cli.main
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return fail(f"port {args.port} on {args.host} is already in use; choose another with --port", EXIT_USAGE)
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", EXIT_USAGE)
    if not serving.lanes.interactive.wait_ready(READY_WAIT):
        reason = serving.lanes.interactive.failure or f"no query worker started within {READY_WAIT:g} s"
        serving.close()
        return fail(f"cannot serve: {reason}", EXIT_USAGE)
    cfg, proxy = serving.executor, serving.proxy
    internal = set(proxy.urls.values()) if proxy is not None else set()
    allow = ", ".join(iri for iri in cfg.service_allowlist if iri not in internal) or "none"
    if proxy is not None:
        allow += f"; through citykg's proxy on 127.0.0.1:{proxy.port}, cache {proxy.config.cache_dir or 'in memory'}"
    heavy = serving.lanes.heavy_config
    print(
        f"citykg: serving {store.location if isinstance(store, StoreBackend) else store} at {serving.url}sparql "
        f"({cfg.workers} workers + {heavy.workers if heavy else 0} heavy, timeout {cfg.timeout:g} s, max {cfg.max_timeout:g} s, "
        f"{cfg.max_rows} rows; SERVICE allowed: {allow}) — Ctrl-C stops",
        flush=True,
    )
    print(f"citykg: network guard {serving.lanes.network_guard or 'starting'}; limits in SECURITY.md", flush=True)
    serving.run()
    return EXIT_OK


def _answers_dir(given: str | None, store: Path | StoreBackend) -> str | None:
    """Where precomputed answers go: as given, none, or beside an embedded store."""
    if given is not None:
        return None if given.lower() == "none" else given
    if isinstance(store, StoreBackend):
        return None  # a remote store cannot say when it changed: nothing is kept per build
    return str(Path(store).with_name(Path(store).name + ".answers"))


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {value!r}")
    return seconds


def _size(value: str) -> int:
    """Bytes, with an optional K, M or G suffix (powers of 1024)."""
    text = value.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(text[-1:], 1)
    try:
        number = float(text[:-1] if scale > 1 else text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {value!r} (bytes, or with K, M, G)") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value!r}")
    return int(number * scale)


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value!r}")
    return number


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value!r}")
    return number
