"""The ``citykg`` command line: build, query, export and validate the store.

Every error a user can cause ends in one line on stderr naming the file or parameter, and exit
status 2; only a bug shows a traceback (CITYKG_DEBUG=1 prints the cause of a reported error).
Exit status 1 means the command ran but the answer is "no": nothing could be built, or the
graph does not conform.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pyoxigraph import (
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    Store,
)
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from mapper.rdf import DEFAULT_BASE
from server import canned_cli, federation, fetch, serve
from server.formats import (
    EXPORT_FORMATS,
    compact_iri,
    export_dataset,
    ordered_prefixes,
    store_prefixes,
    term_text,
    triples_as_jsonld,
    triples_as_turtle,
    write_stdout,
)
from server.report import BuildReport, DocumentReport
from server.scan import is_update
from server.sparql import SparqlError, syntax_error_message
from server.store import StoreError, build_store, open_store

DEFAULT_STORE = Path("var/store")
DEFAULT_INPUT = Path("seeds")
QUERY_FORMATS = ("table", "json", "csv")
EXIT_OK, EXIT_NO, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake in the command line or its files: reported in one line, exit status 2."""


# --- entry point ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (the console script passes it to sys.exit)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or argparse's own usage error (already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    console = _console()
    try:
        return args.handler(args, console)
    except (UsageError, StoreError, SparqlError) as exc:
        return _fail(str(exc), EXIT_USAGE, exc)
    except KeyboardInterrupt:
        return _fail("interrupted; the store was left as it was", 130)


def _console() -> Console:
    """Terminal width on a terminal; wide when piped, so tables in files and logs stay readable."""
    width = None if sys.stdout.isatty() else 160
    return Console(highlight=False, width=width)


def _fail(message: str, status: int, exc: BaseException | None = None) -> int:
    print(f"citykg: error: {message}", file=sys.stderr)
    if exc is not None and exc.__cause__ is not None and os.environ.get("CITYKG_DEBUG"):
        import traceback

        traceback.print_exception(exc.__cause__, file=sys.stderr)
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citykg", description="City Innovation Snapshots as a knowledge graph.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_build(commands)
    _add_query(commands)
    _add_export(commands)
    _add_validate(commands)
    canned_cli.add_queries_command(commands)
    serve.add_serve_command(commands, DEFAULT_STORE)
    fetch.add_fetch_command(commands)
    return parser


def _store_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--store", type=Path, default=DEFAULT_STORE, metavar="DIR", help="store directory (default: var/store)")


# --- build ----------------------------------------------------------------------------------


def _add_build(commands: argparse._SubParsersAction) -> None:
    build = commands.add_parser("build", help="read snapshot documents and (re)build the store atomically")
    build.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or directories (default: seeds/)")
    _store_option(build)
    build.add_argument("--base-iri", default=DEFAULT_BASE, metavar="IRI", help=f"data base IRI (default: {DEFAULT_BASE})")
    build.add_argument("--strict", action="store_true", help="fail, keeping the old store, if any document is unreadable")
    build.add_argument("--report", type=Path, metavar="FILE", help="write the build report as JSON")
    build.set_defaults(handler=cmd_build)


def cmd_build(args: argparse.Namespace, console: Console) -> int:
    """Build with a progress bar, then print one row per document and a line of totals."""
    _check_base_iri(args.base_iri)
    if args.report is not None and not args.report.parent.is_dir():
        raise UsageError(f"--report {args.report}: directory {args.report.parent} does not exist")
    paths = args.paths or [DEFAULT_INPUT]
    with _progress() as progress:
        task = progress.add_task("reading", total=None, source="")
        hook = lambda done, total, source: progress.update(task, completed=done, total=total, source=source)  # noqa: E731
        report = build_store(paths, args.store, args.base_iri, strict=args.strict, on_progress=hook)
    if args.report is not None:
        _write_file(args.report, report.to_json().encode(), "--report")
    console.print(summary_table(report))
    console.print(totals_line(report), soft_wrap=True)
    if not report.written:
        return _fail(f"{report.reason_not_written}; the store at {args.store} was left as it was", EXIT_NO)
    return EXIT_OK


def _check_base_iri(base: str) -> None:
    try:
        NamedNode(base)
    except ValueError as exc:
        raise UsageError(f"--base-iri {base!r} is not an absolute IRI: {exc}") from exc
    if not base.endswith(("/", "#")):
        raise UsageError(f"--base-iri {base!r} must end with '/' or '#'")


def _progress() -> Progress:
    """On stderr, and gone when done, so stdout holds only the summary."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[source]}"),
        console=Console(stderr=True),
        transient=True,
    )


def summary_table(report: BuildReport) -> Table:
    table = Table(title=f"citykg build → {report.store}", title_justify="left")
    for header in ("document", "rendering", "city", "wikidata", "graph", "sections found", "free-text values", "warnings / error"):
        table.add_column(header, overflow="fold", no_wrap=header in ("document", "rendering", "wikidata", "graph"))
    for doc in report.documents:
        table.add_row(*_summary_row(doc))
    return table


def _summary_row(doc: DocumentReport) -> list[str | Text]:
    if not doc.read:
        return [doc.source, "", "", "", "", "", "", Text(f"UNREAD: {doc.error}", style="bold red")]
    sections = str(doc.sections_found)
    if doc.sections_missing:
        sections += f" (missing {len(doc.sections_missing)})"
    if doc.truncated:
        sections += ", truncated"
    free_text = "\n".join(f"{item['scheme']}: {item['text']}" for item in doc.free_text)
    warnings = Text("\n".join(doc.warnings), style="yellow")
    return [doc.source, doc.rendering or "", doc.city or "", _wikidata_cell(doc), doc.graph_id or "", sections, free_text, warnings]


def _wikidata_cell(doc: DocumentReport) -> Text:
    """``Q48278 sameAs`` / ``Q53077 closeMatch`` / ``unmatched`` / ``ambiguous (Q1, Q2)`` for
    the city, and the country's link on a second line."""
    cell = Text()
    if doc.wikidata is None:
        return cell
    cell.append(_link_text(doc.wikidata), style=None if doc.wikidata["status"] == "matched" else "bold yellow")
    if doc.country_wikidata is not None:
        cell.append(f"\ncountry {_link_text(doc.country_wikidata)}")
    return cell


def _link_text(match: dict) -> str:
    if match["status"] == "matched":
        return f"{match['qid']} {match['link']}"
    candidates = match.get("candidates") or []
    return f"{match['status']} ({', '.join(candidates)})" if candidates else match["status"]


def totals_line(report: BuildReport) -> str:
    t = report.totals
    where = f"store {report.store} (build {report.build_id})" if report.written else "store not written"
    links = f" ({t.cities_linked} linked to Wikidata, {t.cities_unmatched} unmatched)" if report.wikidata_sources else ""
    return f"{t.documents} documents, {t.cities} cities{links}, {t.quads} quads, {t.unread} unread — {where}"


# --- query ----------------------------------------------------------------------------------


def _add_query(commands: argparse._SubParsersAction) -> None:
    query = commands.add_parser("query", help="run a SPARQL query over the union of all graphs")
    query.add_argument("query", metavar="QUERY|FILE", help="SPARQL text, or a file holding it")
    _store_option(query)
    query.add_argument("--format", choices=QUERY_FORMATS, default="table", help="output format (default: table)")
    canned_cli.add_param_option(query)
    serve.add_wikidata_option(query)
    query.set_defaults(handler=cmd_query)


def cmd_query(args: argparse.Namespace, console: Console) -> int:
    """Read-only SPARQL with the standard and store prefixes predeclared; a canned query's
    name (see `citykg queries`) runs that query with its --param values."""
    canned = canned_cli.canned_target(args.query, args.param)
    if canned is not None:
        return canned_cli.run_canned(canned, args.param, args.store, args.format, console, args.wikidata_endpoint)
    text = load_query(args.query)
    store = open_store(args.store)
    prefixes = store_prefixes(store)
    endpoint = args.wikidata_endpoint if "service" in text.lower() else None
    with federation.local_proxy(endpoint) as rewrites:  # Wikidata SERVICE calls: User-Agent, cache
        text = federation.prepare(store, text, rewrites, prefixes)
        try:
            result = store.query(text, use_default_graph_as_union=True, prefixes=prefixes)
        except SyntaxError as exc:
            if is_update(text):
                raise UsageError("SPARQL UPDATE is refused: `citykg query` only reads; rebuild with `citykg build`") from None
            raise UsageError(syntax_error_message(text, str(exc))) from None
        except OSError as exc:
            return _fail(f"query failed: {exc}", EXIT_NO)
        _print_result(result, args.format, prefixes, console)  # lazy results call SERVICE here
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
    console.print(f"{count} row{'s' if count != 1 else ''}")


# --- export ---------------------------------------------------------------------------------


def _add_export(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export", help="write the whole dataset (Turtle and JSON-LD: union of graphs)")
    export.add_argument("--format", choices=tuple(EXPORT_FORMATS), default="turtle", help="default: turtle")
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    _store_option(export)
    export.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace, console: Console) -> int:
    if args.output is not None and not args.output.parent.is_dir():
        raise UsageError(f"-o {args.output}: directory {args.output.parent} does not exist")
    data = export_dataset(open_store(args.store), args.format)
    if args.output is None:
        write_stdout(data)
    else:
        _write_file(args.output, data, "-o")
    return EXIT_OK


# --- validate -------------------------------------------------------------------------------


def _add_validate(commands: argparse._SubParsersAction) -> None:
    validate = commands.add_parser("validate", help="check the store against ontology/shapes.ttl (SHACL)")
    _store_option(validate)
    validate.set_defaults(handler=cmd_validate)


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    """Print every SHACL result; only results of severity Violation make the exit status 1."""
    from server.validate import SHAPES_FILE, validate_store

    if not SHAPES_FILE.is_file():
        raise UsageError(f"no SHACL shapes at {SHAPES_FILE}")
    store: Store = open_store(args.store)
    prefixes = ordered_prefixes(store_prefixes(store))
    results = validate_store(store, SHAPES_FILE)
    for r in results:
        short = lambda iri: compact_iri(iri, prefixes)  # noqa: E731
        where = ", ".join(short(graph) for graph in r.graphs)
        console.print(Text(f"{r.severity}: {short(r.focus)} {short(r.path) or '-'}: {r.message} (in {where})"), soft_wrap=True)
    violations = sum(1 for r in results if r.severity == "Violation")
    if violations:
        console.print(f"{violations} violation{'s' if violations != 1 else ''}: does not conform")
        return EXIT_NO
    console.print("conforms" + (f" ({len(results)} warnings or infos)" if results else ""))
    return EXIT_OK


# --- output helpers -------------------------------------------------------------------------


def _write_file(path: Path, data: bytes, option: str) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write: {exc.strerror or exc}") from exc

