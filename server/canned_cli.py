"""``citykg query NAME --param k=v`` and ``citykg queries``: canned queries from the shell.

The same loading, validation and messages as ``GET /queries/<name>`` (server.canned), run
in-process through ``server.sparql.execute``; ``--format json`` and ``csv`` print the same bytes
as the HTTP ``.json`` and ``.csv`` routes. A bad or missing parameter raises
CannedQueryError, which the CLI reports in one line naming the parameter, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pyoxigraph import Literal, NamedNode
from rich.console import Console
from rich.table import Table as RichTable

from mapper.rdf import DEFAULT_BASE
from server.canned import (
    QUERIES_DIR,
    CannedQuery,
    CannedQueryError,
    bind,
    display_value,
    load_context,
    load_queries,
    parse_query_file,
    request_for,
)
from server.federation import DEFAULT_WIKIDATA_ENDPOINT, local_proxy
from server.formats import compact_iri, ordered_prefixes, store_prefixes, write_stdout
from server.sparql import execute
from server.store import open_store
from server.tables import as_csv, as_json, table_from_results, text


def add_param_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE",
        help="a canned query's parameter (repeatable); see `citykg queries`",
    )


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """``["role=designer", ...]`` to a dict; a pair without '=' or a name given twice is an error."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CannedQueryError(f"--param {pair!r}: expected NAME=VALUE", name or None)
        if name in params:
            raise CannedQueryError(f"--param {name}: given more than once", name)
        params[name] = value
    return params


def canned_target(argument: str, params: Sequence[str], queries_dir: Path = QUERIES_DIR) -> CannedQuery | None:
    """The canned query ``argument`` names, or None for plain SPARQL (text or a file).

    A name of ``queries/`` wins only when no file of that name exists; a file given with
    ``--param`` is read as a canned query too, so its ``#+`` header applies.
    """
    path = Path(argument)
    try:
        is_file = path.is_file()
    except OSError:
        is_file = False
    if is_file:
        return parse_query_file(path) if params else None
    candidate = queries_dir / f"{argument}.rq"
    if "/" not in argument and candidate.is_file():
        return parse_query_file(candidate)
    if params:
        shown = argument if len(argument) <= 60 else argument[:59] + "…"
        raise CannedQueryError(f"--param given, but {shown!r} is not a canned query (`citykg queries` lists them)")
    return None


def run_canned(
    query: CannedQuery, pairs: Sequence[str], store_dir: Path, fmt: str, console: Console,
    wikidata_endpoint: str | None = DEFAULT_WIKIDATA_ENDPOINT,
) -> int:
    """Validate, bind, run, print. Returns the exit status (errors raise). A query with SERVICE
    reaches ``wikidata_endpoint`` through a proxy in this process (User-Agent, cache)."""
    given = parse_params(pairs)
    store = open_store(store_dir)
    prefixes = store_prefixes(store)
    run = lambda request: execute(store, request, prefixes=prefixes)  # noqa: E731
    context = load_context(run, [query], DEFAULT_BASE)
    bound = bind(query, given, context)
    federated = "service" in query.text.lower()
    with local_proxy(wikidata_endpoint if federated else None) as rewrites:
        response = execute(store, request_for(query, bound, max_rows=sys.maxsize), prefixes=prefixes, service_rewrites=rewrites)
    table = table_from_results(response.body, query, bound)
    shown = {name: display_value(term) for name, term in bound.items()}
    if fmt == "json":
        write_stdout(as_json(query, shown, table))
    elif fmt == "csv":
        write_stdout(as_csv(table))
    else:
        ordered = ordered_prefixes(prefixes)
        values = ", ".join(f"{name}={_short(term, ordered)}" for name, term in bound.items())
        title = f"{query.name} ({values})" if values else query.name
        rich = RichTable(title=title, title_justify="left")
        for column in table.columns:
            rich.add_column(column, overflow="fold")
        for row in table.rows:
            rich.add_row(*(text(cell, ordered) for cell in row))
        console.print(rich)
        console.print(f"{len(table.rows)} row{'s' if len(table.rows) != 1 else ''}")
    return 0


def _short(term: NamedNode | Literal, prefixes: list[tuple[str, str]]) -> str:
    return compact_iri(term.value, prefixes) if isinstance(term, NamedNode) else term.value


# --- citykg queries -------------------------------------------------------------------------


def add_queries_command(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("queries", help="list the canned queries and their parameters")
    command.add_argument("name", nargs="?", metavar="NAME", help="show one query in full")
    command.set_defaults(handler=cmd_queries)


def cmd_queries(args: argparse.Namespace, console: Console) -> int:
    queries = load_queries(QUERIES_DIR)
    if args.name is None:
        table = RichTable()
        for header in ("name", "parameters", "summary"):
            table.add_column(header, overflow="fold")
        for query in queries.values():
            table.add_row(query.name, ", ".join(_signature(p) for p in query.parameters), query.summary)
        console.print(table)
        console.print("`citykg queries NAME` for one in full; run with `citykg query NAME --param name=value`")
        return 0
    query = queries.get(args.name)
    if query is None:
        raise CannedQueryError(f"no canned query {args.name!r} (canned queries: {', '.join(queries)})")
    console.print(f"[bold]{query.name}[/bold] — {query.summary}", highlight=False)
    console.print(query.description, highlight=False)
    for param in query.parameters:
        console.print(f"  --param {_signature(param)}: {param.description}", highlight=False)
    example = " ".join(f"--param {k}={v}" for k, v in query.example.items())
    console.print(f"example: citykg query {query.name}{' ' + example if example else ''}", highlight=False)
    return 0


def _signature(param) -> str:
    sig = f"{param.name} ({param.type}{', required' if param.required else ''})"
    return sig + (f" = {param.default}" if param.default is not None else "")
