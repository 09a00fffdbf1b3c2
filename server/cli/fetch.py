"""``citykg fetch``: download survey pages politely into a directory ``citykg build`` reads.

The fetching itself (robots.txt, pacing, retries, the manifest) is ``server.ingest.fetch``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from server.cli.output import UsageError
from server.errors import EXIT_NO, EXIT_OK
from server.ingest.fetch import DEFAULT_USER_AGENT, INDEX_URL, FetchError, Fetcher, check_url
from server.manifest import MANIFEST


def add_commands(commands: argparse._SubParsersAction) -> None:
    fetch = commands.add_parser("fetch", help="download survey pages politely into a directory for `citykg build`")
    fetch.add_argument("urls", nargs="*", metavar="URL", help="city pages (https://cities-innovation-oecd.com/cities/<city>/)")
    fetch.add_argument("--all", action="store_true", help=f"every city page linked from the index ({INDEX_URL})")
    fetch.add_argument("--index-url", default=INDEX_URL, metavar="URL", help=argparse.SUPPRESS)
    fetch.add_argument("--out", type=Path, required=True, metavar="DIR", help="where documents and manifest.json go")
    fetch.add_argument("--delay", type=float, default=2.0, metavar="S", help="seconds between requests (default 2)")
    fetch.add_argument("--user-agent", default=DEFAULT_USER_AGENT, metavar="UA", help="User-Agent header")
    fetch.add_argument("--refresh", action="store_true", help="re-check pages already fetched (conditional requests)")
    fetch.add_argument("--retries", type=int, default=4, metavar="N", help="retries on 429/5xx/timeouts (default 4)")
    fetch.add_argument("--timeout", type=float, default=30.0, metavar="S", help="per-request timeout (default 30)")
    fetch.set_defaults(handler=cmd_fetch)


def cmd_fetch(args: argparse.Namespace, console: Console) -> int:
    if not args.urls and not args.all:
        raise UsageError("fetch: give page URLs, or --all for every city of the index")
    if args.delay < 0 or args.retries < 0 or args.timeout <= 0:
        raise UsageError("fetch: --delay and --retries must be >= 0, --timeout > 0")
    stderr = Console(stderr=True)
    try:
        for url in args.urls:
            check_url(url)
        with Fetcher(args.out, delay=args.delay, user_agent=args.user_agent, refresh=args.refresh,
                     retries=args.retries, timeout=args.timeout, on_event=lambda m: stderr.print(m, markup=False,
                     highlight=False)) as fetcher:
            urls = list(args.urls)
            if args.all:
                urls += fetcher.index(args.index_url)
            records = fetcher.fetch_all(urls)
    except FetchError as exc:
        raise UsageError(str(exc)) from exc
    table = Table(title=f"citykg fetch → {args.out}", title_justify="left")
    for header in ("url", "outcome", "HTTP", "file", "reason"):
        table.add_column(header, overflow="fold")
    for r in records:
        style = None if r.ok else "bold red"
        table.add_row(r.url, r.outcome, str(r.status or ""), r.file or "", r.reason or "", style=style)
    console.print(table)
    counts: dict[str, int] = {}
    for r in records:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    console.print(", ".join(f"{n} {outcome}" for outcome, n in counts.items()) + f" — manifest {args.out / MANIFEST}",
                  soft_wrap=True)
    return EXIT_OK if all(r.ok for r in records) else EXIT_NO
