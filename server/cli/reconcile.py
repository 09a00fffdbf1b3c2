"""``citykg reconcile``: link the cities the offline sources miss, by asking Wikidata.

Reads the cities of snapshot documents (default ``seeds/``) or of a CSV list (``--cities``:
columns ``city``, ``country``, optional ``region`` and ``population``), skips those the offline
sources already link, asks Wikidata about the others (``server.ingest.wikidata``) and writes
the reviewable links file ``seeds/wikidata/reconciled-qids.csv`` that every build reads.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mapper import MapperError
from mapper.reconcile import REGION_ABBREVIATIONS, RECONCILED_FILE, Reconciler, load_gazetteer, parse_reconciled
from server.cli.output import UsageError, plural
from server.errors import EXIT_OK
from server.ingest.wikidata import (
    DEFAULT_DELAY,
    DEFAULT_ENDPOINT,
    DEFAULT_TIMEOUT,
    CityToReconcile,
    ReconcileError,
    WikidataClient,
    needs_asking,
    read_links,
    reconcile_city,
    row_key,
    write_links,
)
from server.store.build import WIKIDATA_DIR, UnreadableInput, collect_documents, read_document

DEFAULT_INPUT = Path("seeds")


def add_commands(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "reconcile", help="ask Wikidata about the cities the offline sources do not link; write the links file builds read")
    command.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="snapshot documents (default: seeds/)")
    command.add_argument("--cities", type=Path, metavar="CSV", help="a list of cities instead (columns city, country[, region, population])")
    command.add_argument("--out", type=Path, default=WIKIDATA_DIR / RECONCILED_FILE, metavar="FILE",
                         help=f"the links file (default: seeds/wikidata/{RECONCILED_FILE}, which `citykg build` reads)")
    command.add_argument("--endpoint", default=DEFAULT_ENDPOINT, metavar="URL", help=f"SPARQL endpoint (default {DEFAULT_ENDPOINT})")
    command.add_argument("--contact", metavar="EMAIL-OR-URL", help="added to the User-Agent, as the Wikimedia policy asks")
    command.add_argument("--delay", type=float, default=DEFAULT_DELAY, metavar="S", help=f"seconds between requests (default {DEFAULT_DELAY:g})")
    command.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S", help=f"per request (default {DEFAULT_TIMEOUT:g})")
    command.add_argument("--refresh", action="store_true", help="ask again about cities with an unreviewed row")
    command.set_defaults(handler=cmd_reconcile)


def cmd_reconcile(args: argparse.Namespace, console: Console, client: WikidataClient | None = None) -> int:
    if args.delay < 0 or args.timeout <= 0:
        raise UsageError("reconcile: --delay must be >= 0 and --timeout > 0")
    reconciler = Reconciler(load_gazetteer(WIKIDATA_DIR))
    printed = _from_csv(args.cities) if args.cities else _from_documents(args.paths or [DEFAULT_INPUT])
    cities, skipped = _cities(printed, reconciler)
    rows = {row_key(r["label"], r["country_iso2"]): r for r in read_links(args.out)}
    todo = [c for c in cities if needs_asking(rows.get(row_key(c.name, c.iso2)), args.refresh)]
    stderr = Console(stderr=True)
    client = client or WikidataClient(args.endpoint, args.contact, args.delay, args.timeout,
                                      on_event=lambda message: stderr.print(message, markup=False, highlight=False))
    asked = []
    try:
        with client:
            for number, city in enumerate(todo, start=1):
                stderr.print(f"[{number}/{len(todo)}] {city.name} ({city.country})", markup=False, highlight=False)
                row = reconcile_city(client, city, _region_label(city))
                rows[row_key(city.name, city.iso2)] = row
                asked.append(row)
    except ReconcileError as exc:
        if asked:
            write_links(args.out, rows.values())
        kept = f"their rows are in {args.out}" if asked else "nothing was written"
        raise ReconcileError(f"{exc}; {len(asked)} of {len(todo)} cities were asked before that, {kept}; "
                             f"run it again where the network reaches Wikidata (or pass --endpoint): "
                             f"it goes on where it stopped") from None
    if asked or not args.out.exists():
        write_links(args.out, rows.values())
    console.print(_table(asked, args.out))
    console.print(_totals(printed, skipped, asked, args.out, reconciler), soft_wrap=True)
    return EXIT_OK


Printed = list[tuple[str, str | None, str | None, int | None]]  # name, region, country, population


def _cities(printed: Printed, reconciler: Reconciler) -> tuple[list[CityToReconcile], list[str]]:
    """The cities to ask about (unique by name and country, not linked by the offline sources);
    and notes on those that cannot be asked about (no country, or a country without a QID)."""
    cities: dict[tuple[str, str], CityToReconcile] = {}
    skipped = []
    for name, region, country, population in printed:
        if not country:
            skipped.append(f"{name}: no country printed, so nothing restricts the search")
            continue
        country_match = reconciler.country(country)
        if not country_match.matched or not country_match.qid:
            skipped.append(f"{name}: country {country!r} has no Wikidata QID")
            continue
        if reconciler.offline_city(name, region, country).matched:
            continue
        city = CityToReconcile(name, country, country_match.qid, country_match.country_code or "", region, population)
        cities.setdefault(row_key(name, city.iso2), city)
    return list(cities.values()), skipped


def _from_documents(paths: list[Path]) -> Printed:
    out = []
    for document in collect_documents(paths):
        try:
            snapshot = read_document(document)
        except (MapperError, UnreadableInput):
            continue  # `citykg build` reports unreadable documents
        out.append((snapshot.city.value, snapshot.region.value if snapshot.region else None,
                    snapshot.country.value if snapshot.country else None,
                    snapshot.population.count if snapshot.population else None))
    return out


def _from_csv(path: Path) -> Printed:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"city", "country"} <= set(reader.fieldnames):
                raise UsageError(f"--cities {path}: needs the columns city and country (got {reader.fieldnames})")
            out = []
            for row in reader:
                population = (row.get("population") or "").replace(",", "").strip()
                if population and not population.isdigit():
                    raise UsageError(f"--cities {path} line {reader.line_num}: population {population!r} is not a number")
                out.append((row["city"].strip(), (row.get("region") or "").strip() or None, row["country"].strip() or None,
                            int(population) if population else None))
            return out
    except OSError as exc:
        raise UsageError(f"--cities {path}: cannot read: {exc.strerror or exc}") from exc


def _region_label(city: CityToReconcile) -> str | None:
    """The English name of a printed region: "CO" in the United States is Colorado."""
    region = city.region_name()
    if not region:
        return None
    return REGION_ABBREVIATIONS.get(city.iso2, {}).get(region.strip().upper(), region)


def _table(rows: list[dict[str, str]], out: Path) -> Table:
    table = Table(title=f"citykg reconcile → {out}", title_justify="left")
    for header in ("city", "country", "status", "QID", "candidate", "score", "why"):
        table.add_column(header, overflow="fold")
    for row in rows:
        style = None if row["status"] == "reconciled" else "yellow"
        table.add_row(row["label"], row["country_iso2"], row["status"], row["qid"], row["candidate_label"],
                      row["score"], row["note"], style=style)
    return table


def _totals(printed: Printed, skipped: list[str], asked: list[dict[str, str]], out: Path, reconciler: Reconciler) -> str:
    """Counts of this run, and how many of the cities a build now links (offline sources and
    the links file)."""
    counts = {status: sum(r["status"] == status for r in asked) for status in ("reconciled", "ambiguous", "unmatched")}
    line = f"{plural(len(asked), 'city')} asked: " + ", ".join(f"{n} {status}" for status, n in counts.items())
    reconciler.gazetteer.reconciled = parse_reconciled(out.read_text(encoding="utf-8"), reconciler.vocab)
    unique = {(name, region, country) for name, region, country, _ in printed}
    linked = sum(reconciler.city(name, region, country).matched for name, region, country in unique)
    if unique:
        line += f"; cities linked: {linked}/{len(unique)} ({linked / len(unique):.0%})"
    if skipped:
        line += "; not asked: " + "; ".join(skipped)
    return line + f" — review {out}, then `citykg build`"
