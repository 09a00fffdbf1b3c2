"""``citykg build``, ``citykg export`` and ``citykg validate``: make the store, dump it, check it."""

from __future__ import annotations

import argparse
from pathlib import Path

from pyoxigraph import NamedNode
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from mapper.rdf import DEFAULT_BASE
from server.cli.output import UsageError, fail, plural, store_option, write_file, write_stdout
from server.cli.stores import add_store_url_options, chosen_store
from server.errors import EXIT_NO, EXIT_OK
from server.sparql.dataset import EXPORT_FORMATS, export_dataset
from server.store.backends import backend
from server.store.build import build_store
from server.store.reading import MIB, Budget
from server.store.prefixes import compact_iri, ordered_prefixes, store_prefixes
from server.store.report import BuildReport, DocumentReport

DEFAULT_INPUT = Path("seeds")
TABLE_ROWS = 200  # documents a build lists one by one; beyond, only the unread ones


# --- build ----------------------------------------------------------------------------------


def add_build(commands: argparse._SubParsersAction) -> None:
    build = commands.add_parser("build", help="read snapshot documents and (re)build the store atomically")
    build.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or directories (default: seeds/)")
    store_option(build)
    add_store_url_options(build)
    build.add_argument("--base-iri", default=DEFAULT_BASE, metavar="IRI", help=f"data base IRI (default: {DEFAULT_BASE})")
    build.add_argument("--strict", action="store_true", help="fail, keeping the old store, if any document is unreadable")
    build.add_argument("--report", type=Path, metavar="FILE", help="write the build report as JSON")
    budget = Budget()
    build.add_argument("--document-timeout", type=float, default=budget.seconds, metavar="SECONDS",
                       help=f"per-document time budget; a document over it is reported unread (default: {budget.seconds:g})")
    build.add_argument("--max-document-mb", type=float, default=budget.max_bytes / MIB, metavar="MB",
                       help=f"per-document size budget, checked before reading (default: {budget.max_bytes / MIB:g})")
    build.add_argument("--max-pdf-pages", type=int, default=budget.max_pdf_pages, metavar="N",
                       help=f"pages a PDF may have (default: {budget.max_pdf_pages})")
    build.add_argument("--workers", type=int, default=None, metavar="N", help="reader processes (default: one per core)")
    build.set_defaults(handler=cmd_build)


def cmd_build(args: argparse.Namespace, console: Console) -> int:
    """Build with a progress bar, then print one row per document and a line of totals."""
    _check_base_iri(args.base_iri)
    if args.report is not None and not args.report.parent.is_dir():
        raise UsageError(f"--report {args.report}: directory {args.report.parent} does not exist")
    paths = args.paths or [DEFAULT_INPUT]
    store = backend(chosen_store(args))
    with _progress() as progress:
        task = progress.add_task("reading", total=None, source="")
        hook = lambda done, total, source: progress.update(task, completed=done, total=total, source=source)  # noqa: E731
        report = build_store(paths, store, args.base_iri, strict=args.strict, on_progress=hook,
                             budget=_budget(args), workers=args.workers)
    if args.report is not None:
        write_file(args.report, report.to_json().encode(), "--report")
    console.print(summary_table(report))
    if len(report.documents) > TABLE_ROWS:
        console.print(f"(the table shows the {len(report.unread)} unread of {len(report.documents)} documents; "
                      "--report FILE records every one)", soft_wrap=True)
    console.print(totals_line(report), soft_wrap=True)
    if not report.written:
        return fail(f"{report.reason_not_written}; the store at {store.location} was left as it was", EXIT_NO)
    return EXIT_OK


def _budget(args: argparse.Namespace) -> Budget:
    for flag, value in (("--document-timeout", args.document_timeout), ("--max-document-mb", args.max_document_mb),
                        ("--max-pdf-pages", args.max_pdf_pages), ("--workers", args.workers)):
        if value is not None and value <= 0:
            raise UsageError(f"{flag} {value:g}: must be a positive number")
    return Budget(seconds=args.document_timeout, max_bytes=int(args.max_document_mb * MIB), max_pdf_pages=args.max_pdf_pages)


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
    """One row per document; for a large build (rendering thousands of rows takes longer than
    reading them), one per unread document."""
    table = Table(title=f"citykg build → {report.store}", title_justify="left")
    for header in ("document", "rendering", "city", "wikidata", "graph", "sections found", "free-text values", "warnings / error"):
        table.add_column(header, overflow="fold", no_wrap=header in ("document", "rendering", "wikidata", "graph"))
    for doc in report.documents if len(report.documents) <= TABLE_ROWS else report.unread:
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


# --- export ---------------------------------------------------------------------------------


def add_export(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export", help="write the whole dataset (Turtle and JSON-LD: union of graphs)")
    export.add_argument("--format", choices=tuple(EXPORT_FORMATS), default="turtle", help="default: turtle")
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    store_option(export)
    add_store_url_options(export)
    export.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace, console: Console) -> int:
    if args.output is not None and not args.output.parent.is_dir():
        raise UsageError(f"-o {args.output}: directory {args.output.parent} does not exist")
    data = export_dataset(backend(chosen_store(args)).open(), args.format)
    if args.output is None:
        write_stdout(data)
    else:
        write_file(args.output, data, "-o")
    return EXIT_OK


# --- validate -------------------------------------------------------------------------------


def add_validate(commands: argparse._SubParsersAction) -> None:
    validate = commands.add_parser("validate", help="check the store against ontology/shapes.ttl (SHACL)")
    store_option(validate)
    add_store_url_options(validate)
    validate.set_defaults(handler=cmd_validate)


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    """Print every SHACL result; only results of severity Violation make the exit status 1."""
    from server.store.validate import SHAPES_FILE, validate_store  # rdflib: only this command pays

    if not SHAPES_FILE.is_file():
        raise UsageError(f"no SHACL shapes at {SHAPES_FILE}")
    store = backend(chosen_store(args)).open()
    prefixes = ordered_prefixes(store_prefixes(store))
    results = validate_store(store, SHAPES_FILE)
    for r in results:
        short = lambda iri: compact_iri(iri, prefixes)  # noqa: E731
        where = ", ".join(short(graph) for graph in r.graphs)
        console.print(Text(f"{r.severity}: {short(r.focus)} {short(r.path) or '-'}: {r.message} (in {where})"), soft_wrap=True)
    violations = sum(1 for r in results if r.severity == "Violation")
    if violations:
        console.print(f"{plural(violations, 'violation')}: does not conform")
        return EXIT_NO
    console.print("conforms" + (f" ({len(results)} warnings or infos)" if results else ""))
    return EXIT_OK
