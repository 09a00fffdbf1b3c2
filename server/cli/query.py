"""``citykg query`` and ``citykg queries``: SPARQL from the shell, ad hoc or canned.

``citykg query NAME --param k=v`` runs a canned query with the same validation and messages as
``GET /queries/<name>``, in-process (``server.sparql.local``); ``--format json`` and ``csv`` print
the same bytes as the HTTP ``.json`` and ``.csv`` routes. A bad or missing parameter raises
CannedQueryError, reported in one line naming the parameter, exit status 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from pyoxigraph import Literal, NamedNode, QueryBoolean, QueryResultsFormat, QuerySolutions
from rich.console import Console
from rich.table import Table

from server.cli.output import UsageError, fail, plural, store_option, term_text, write_stdout
from server.cli.serve import add_wikidata_option
from server.errors import EXIT_NO, EXIT_OK
from server.sparql.canned import QUERIES_DIR, CannedQuery, CannedQueryError, display_value, load_queries, parse_query_file
from server.sparql.formats import triples_as_turtle
from server.sparql.jsonld import triples_as_jsonld
from server.sparql.local import query_results, run_canned
from server.sparql.request import StoreFailure, UpdateRefused
from server.sparql.tables import as_csv, as_json
from server.sparql.tables import text as cell_text
from server.store.prefixes import compact_iri, ordered_prefixes

QUERY_FORMATS = ("table", "json", "csv")


# --- citykg query ---------------------------------------------------------------------------


def add_query(commands: argparse._SubParsersAction) -> None:
    query = commands.add_parser("query", help="run a SPARQL query over the union of all graphs")
    query.add_argument("query", metavar="QUERY|FILE", help="SPARQL text, or a file holding it")
    store_option(query)
    query.add_argument("--format", choices=QUERY_FORMATS, default="table", help="output format (default: table)")
    add_param_option(query)
    add_wikidata_option(query)
    query.set_defaults(handler=cmd_query)


def cmd_query(args: argparse.Namespace, console: Console) -> int:
    """Read-only SPARQL with the standard and store prefixes predeclared; a canned query's
    name (see `citykg queries`) runs that query with its --param values."""
    canned = canned_target(args.query, args.param)
    if canned is not None:
        return print_canned(canned, args.param, args.store, args.format, console, args.wikidata_endpoint)
    text = load_query(args.query)
    try:
        with query_results(args.store, text, args.wikidata_endpoint) as (result, prefixes):
            _print_result(result, args.format, prefixes, console)  # lazy results call SERVICE here
    except UpdateRefused:
        raise UsageError("SPARQL UPDATE is refused: `citykg query` only reads; rebuild with `citykg build`") from None
    except StoreFailure as exc:
        return fail(str(exc), EXIT_NO)
    return EXIT_OK


def load_query(argument: str) -> str:
    """A file's text when ``argument`` names an existing file, else the argument itself."""
    path = Path(argument)
    if _exists(path):
        if path.is_dir():
            raise UsageError(f"{argument} is a directory, not a query file")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read query file {argument}: {exc}") from exc
    elif _looks_like_path(argument):
        raise UsageError(f"no such query file: {argument}")
    else:
        text = argument
    if not text.strip():
        raise UsageError(f"empty query: {argument!r}")
    return text


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a long query is not a valid file name
        return False


def _looks_like_path(argument: str) -> bool:
    return not any(ch.isspace() for ch in argument) and argument.lower().endswith((".rq", ".sparql"))


def _print_result(result: object, fmt: str, prefixes: dict[str, str], console: Console) -> None:
    if isinstance(result, QueryBoolean):
        if fmt == "table":
            console.print("true" if bool(result) else "false")
        else:
            write_stdout(result.serialize(format=_results_format(fmt)))
    elif isinstance(result, QuerySolutions):
        if fmt == "table":
            _print_solutions(result, prefixes, console)
        else:
            write_stdout(result.serialize(format=_results_format(fmt)))
    else:  # CONSTRUCT / DESCRIBE
        write_stdout(_graph_bytes(list(result), fmt, prefixes))


def _results_format(fmt: str) -> QueryResultsFormat:
    return QueryResultsFormat.JSON if fmt == "json" else QueryResultsFormat.CSV


def _graph_bytes(triples: list, fmt: str, prefixes: dict[str, str]) -> bytes:
    """Turtle, or compacted JSON-LD with --format json (CSV has no meaning for a graph)."""
    return triples_as_jsonld(triples, prefixes) if fmt == "json" else triples_as_turtle(triples, prefixes)


def _print_solutions(solutions: QuerySolutions, prefixes: dict[str, str], console: Console) -> None:
    ordered = ordered_prefixes(prefixes)
    variables = [v.value for v in solutions.variables]
    table = Table()
    for name in variables:
        table.add_column(name, overflow="fold")
    count = 0
    for row in solutions:
        table.add_row(*(term_text(row[name], ordered) for name in variables))
        count += 1
    console.print(table)
    console.print(plural(count, "row"))



# --- canned queries ---------------------------------------------------------------------


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


def print_canned(query: CannedQuery, pairs: Sequence[str], store_dir: Path, fmt: str, console: Console,
                 wikidata_endpoint: str | None) -> int:
    """Validate, bind, run, print. Returns the exit status (errors raise)."""
    answer = run_canned(query, parse_params(pairs), store_dir, wikidata_endpoint)
    table = answer.table
    shown = {name: display_value(term) for name, term in answer.bound.items()}
    if fmt == "json":
        write_stdout(as_json(query, shown, table))
    elif fmt == "csv":
        write_stdout(as_csv(table))
    else:
        ordered = ordered_prefixes(answer.prefixes)
        values = ", ".join(f"{name}={_short(term, ordered)}" for name, term in answer.bound.items())
        title = f"{query.name} ({values})" if values else query.name
        rich = Table(title=title, title_justify="left")
        for column in table.columns:
            rich.add_column(column, overflow="fold")
        for row in table.rows:
            rich.add_row(*(cell_text(cell, ordered) for cell in row))
        console.print(rich)
        console.print(plural(len(table.rows), "row"))
    return EXIT_OK


def _short(term: NamedNode | Literal, prefixes: list[tuple[str, str]]) -> str:
    return compact_iri(term.value, prefixes) if isinstance(term, NamedNode) else term.value


# --- citykg queries -------------------------------------------------------------------------


def add_queries(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("queries", help="list the canned queries and their parameters")
    command.add_argument("name", nargs="?", metavar="NAME", help="show one query in full")
    command.set_defaults(handler=cmd_queries)


def cmd_queries(args: argparse.Namespace, console: Console) -> int:
    queries = load_queries(QUERIES_DIR)
    if args.name is None:
        table = Table()
        for header in ("name", "parameters", "summary"):
            table.add_column(header, overflow="fold")
        for query in queries.values():
            table.add_row(query.name, ", ".join(_signature(p) for p in query.parameters), query.summary)
        console.print(table)
        console.print("`citykg queries NAME` for one in full; run with `citykg query NAME --param name=value`")
        return EXIT_OK
    query = queries.get(args.name)
    if query is None:
        raise CannedQueryError(f"no canned query {args.name!r} (canned queries: {', '.join(queries)})")
    console.print(f"[bold]{query.name}[/bold] — {query.summary}", highlight=False)
    console.print(query.description, highlight=False)
    for param in query.parameters:
        console.print(f"  --param {_signature(param)}: {param.description}", highlight=False)
    example = " ".join(f"--param {k}={v}" for k, v in query.example.items())
    console.print(f"example: citykg query {query.name}{' ' + example if example else ''}", highlight=False)
    return EXIT_OK


def _signature(param) -> str:
    sig = f"{param.name} ({param.type}{', required' if param.required else ''})"
    return sig + (f" = {param.default}" if param.default is not None else "")
