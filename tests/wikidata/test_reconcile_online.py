"""``citykg reconcile`` against a local stand-in that answers like the Wikidata Query Service
(tests/wikidata/standin.py over tests/fixtures/wikidata-places.ttl: fixture values, not facts).

Checked: the search is restricted to the city's country and to human settlements; one candidate
is accepted, several are not (unless the printed population or region picks one); the links
file carries the evidence and a build reads it; the User-Agent, the pacing and Retry-After are
honoured; an unreachable endpoint is one clear message, and rows already asked are kept.
"""

from __future__ import annotations

import argparse
import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import NamedNode
from rich.console import Console

from mapper.reconcile import RECONCILED_COLUMNS, RECONCILED_FILE, Reconciler, load_gazetteer
from server.cli.reconcile import cmd_reconcile
from server.ingest.wikidata import CityToReconcile, ReconcileError, WikidataClient, candidates_query, reconcile_city
from server.store.build import WIKIDATA_DIR, build_store
from server.store.embedded import open_store
from tests.conftest import REPO
from tests.live import free_port
from tests.wikidata.standin import StandIn, wikidata_standin

FIXTURE = REPO / "tests" / "fixtures" / "wikidata-places.ttl"
CIK = "https://w3id.org/citykg/ontology#"


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with wikidata_standin(FIXTURE) as server:
        yield server


class FakeClock:
    """Time that passes only when the client sleeps: the waits are checked, never waited."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds

    def clock(self) -> float:
        return self.now


def client_for(standin: StandIn, clock: FakeClock | None = None, **options) -> WikidataClient:
    clock = clock or FakeClock()
    return WikidataClient(standin.url, options.pop("contact", "ops@example.org"), sleep=clock.sleep, clock=clock.clock, **options)


def us(name: str, population: int | None = None, region: str | None = None) -> CityToReconcile:
    return CityToReconcile(name, "United States", "Q30", "US", region, population)


# --- one city ---------------------------------------------------------------------------------


def test_only_settlements_of_the_country_are_candidates(standin: StandIn) -> None:
    """Three items are labelled "Akron": a film (not a settlement) and a Canadian town are left out."""
    with client_for(standin) as client:
        row = reconcile_city(client, us("Akron"))
    assert (row["status"], row["qid"], row["score"]) == ("reconciled", "Q9900001", "1.0")
    assert row["candidate_label"] == "Akron" and row["candidate_country"] == "United States (wd:Q30)"
    assert "country wd:Q30 (US)" in row["query"] and "P31/P279* wd:Q486972" in row["query"]
    assert row["candidates"] == "Q9900001 Akron (label 'Akron', population 190000)"
    assert set(row) == set(RECONCILED_COLUMNS)


def test_several_settlements_of_one_name_are_not_accepted(standin: StandIn) -> None:
    with client_for(standin) as client:
        row = reconcile_city(client, us("Aurora"))
    assert (row["status"], row["qid"]) == ("ambiguous", "")
    assert "Q9900004 Aurora" in row["candidates"] and "Q9900005 Aurora" in row["candidates"]
    assert "left for review" in row["note"]


def test_the_printed_population_or_region_separates_namesakes(standin: StandIn) -> None:
    with client_for(standin) as client:
        by_population = reconcile_city(client, us("Aurora", population=366_000))
        by_region = reconcile_city(client, us("Aurora, CO"), "Colorado")
        far = reconcile_city(client, us("Aurora", population=2_000_000))  # neither is near: no guess
    assert (by_population["status"], by_population["qid"], by_population["score"]) == ("reconciled", "Q9900004", "0.8")
    assert "population (380000) within a factor of 1.5 of the snapshot's (366000)" in by_population["note"]
    assert (by_region["status"], by_region["qid"]) == ("reconciled", "Q9900004")
    assert "P131+ 'Colorado'" in by_region["query"]
    assert far["status"] == "ambiguous"


def test_aliases_and_other_languages_match(standin: StandIn) -> None:
    with client_for(standin) as client:
        quillota = reconcile_city(client, CityToReconcile("Quillota", "Chile", "Q298", "CL"))
        granada = reconcile_city(client, CityToReconcile("Granada", "Spain", "Q29", "ES"))
        nowhere = reconcile_city(client, CityToReconcile("Curridabat", "Costa Rica", "Q800", "CR"))
    assert (quillota["status"], quillota["qid"], quillota["score"], quillota["candidate_label"]) == (
        "reconciled", "Q9900007", "0.9", "Quillota commune")
    assert (granada["status"], granada["qid"]) == ("reconciled", "Q9900006")
    assert (nowhere["status"], nowhere["qid"], nowhere["candidates"]) == ("unmatched", "", "")


def test_the_query_names_every_restriction() -> None:
    query = candidates_query(CityToReconcile("São Paulo", "Brazil", "Q155", "BR"))
    assert '"São Paulo"@pt' in query and '"Sao Paulo"@en' in query and '"São Paulo"@mul' in query
    assert "wdt:P17 wd:Q155" in query and "wdt:P31/wdt:P279* wd:Q486972" in query
    assert '"x\\"y"@en' in candidates_query(us('x"y'))  # quotes cannot break out of the literal


# --- politeness ---------------------------------------------------------------------------------


def test_user_agent_and_pacing(standin: StandIn) -> None:
    clock = FakeClock()
    before = len(standin.requests)
    with client_for(standin, clock, delay=1.5, contact="ops@example.org") as client:
        for name in ("Akron", "Aurora", "Akron"):
            reconcile_city(client, us(name))
    sent = standin.requests[before:]
    assert len(sent) == 3 and client.requests == 3
    agent = sent[0]["headers"]["User-Agent"]
    assert agent.startswith("citykg-reconcile/") and "(https://w3id.org/citykg; ops@example.org)" in agent
    assert all(r["method"] == "POST" for r in sent)
    assert clock.sleeps == [1.5, 1.5]  # no time passed between the calls but the waits


def test_retry_after_is_honoured(standin: StandIn) -> None:
    clock = FakeClock()
    standin.script[:] = [(429, {"Retry-After": "7"}), (503, {})]
    with client_for(standin, clock, delay=0) as client:
        row = reconcile_city(client, us("Akron"))
    assert row["qid"] == "Q9900001" and client.requests == 3
    assert clock.sleeps == [7.0, 4.0]  # Retry-After, then the backoff of the second try


def test_a_refusal_that_lasts_is_a_clear_error(standin: StandIn) -> None:
    standin.script[:] = [(429, {"Retry-After": "1"})] * 3
    with client_for(standin, delay=0, retries=2) as client, pytest.raises(ReconcileError, match=f"{standin.url} answered 429"):
        reconcile_city(client, us("Akron"))
    assert standin.script == []


def test_an_unreachable_endpoint_is_a_clear_error() -> None:
    dead = f"http://127.0.0.1:{free_port()}/sparql"
    with WikidataClient(dead, delay=0) as client, pytest.raises(ReconcileError, match=f"{dead} cannot be reached"):
        reconcile_city(client, us("Akron"))


# --- the command and the links file --------------------------------------------------------------


def write_cities(path: Path, rows: list[str]) -> Path:
    path.write_text("city,country,region,population\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def run_reconcile(standin: StandIn, tmp_path: Path, cities: Path, clock: FakeClock | None = None, **extra) -> int:
    options = {"refresh": False, **extra}
    args = argparse.Namespace(paths=[], cities=cities, out=tmp_path / RECONCILED_FILE, endpoint=standin.url,
                              contact=None, delay=0.0, timeout=10.0, **options)
    return cmd_reconcile(args, Console(width=200), client_for(standin, clock, delay=0))


def links(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return {row["label"]: row for row in csv.DictReader(handle)}


def test_the_command_writes_a_reviewable_file_and_skips_what_is_linked(standin: StandIn, tmp_path: Path, capsys) -> None:
    cities = write_cities(tmp_path / "cities.csv", [
        "Akron,United States,,", "Aurora,United States,,", "Quillota,Chile,,", "Curridabat,Costa Rica,,",
        "Baltimore,United States,,",  # linked offline (verified-qids.csv): not asked
    ])
    before = len(standin.requests)
    assert run_reconcile(standin, tmp_path, cities) == 0
    assert len(standin.requests) - before == 4
    rows = links(tmp_path / RECONCILED_FILE)
    assert {label: (r["status"], r["qid"]) for label, r in rows.items()} == {
        "Akron": ("reconciled", "Q9900001"), "Aurora": ("ambiguous", ""), "Quillota": ("reconciled", "Q9900007"),
        "Curridabat": ("unmatched", ""),
    }
    header = (tmp_path / RECONCILED_FILE).read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("kind,label,country_iso2,qid,status,geonames_id,")  # verified-qids.csv's columns first
    assert "cities linked: 3/5 (60%)" in capsys.readouterr().out  # Baltimore offline, Akron and Quillota online
    # a second run asks nothing; a reviewer's decision is never overwritten, even with --refresh
    text = (tmp_path / RECONCILED_FILE).read_text(encoding="utf-8").replace(",Aurora,US,,ambiguous,", ",Aurora,US,Q9900005,verified,")
    (tmp_path / RECONCILED_FILE).write_text(text, encoding="utf-8")
    before = len(standin.requests)
    assert run_reconcile(standin, tmp_path, cities) == 0
    assert len(standin.requests) == before
    assert run_reconcile(standin, tmp_path, cities, refresh=True) == 0
    assert len(standin.requests) - before == 3  # Akron, Quillota, Curridabat again; Aurora reviewed
    assert links(tmp_path / RECONCILED_FILE)["Aurora"]["qid"] == "Q9900005"


def test_a_network_failure_keeps_the_rows_asked_before_it(standin: StandIn, tmp_path: Path) -> None:
    cities = write_cities(tmp_path / "cities.csv", ["Akron,United States,,", "Quillota,Chile,,"])
    client = client_for(standin, delay=0, retries=0)
    calls = []
    original = client.select

    def fail_second(query: str):
        calls.append(query)
        if len(calls) == 2:
            raise ReconcileError(f"the Wikidata endpoint {standin.url} cannot be reached (ConnectError: refused)")
        return original(query)

    client.select = fail_second  # type: ignore[method-assign]
    args = argparse.Namespace(paths=[], cities=cities, out=tmp_path / RECONCILED_FILE, endpoint=standin.url,
                              contact=None, delay=0.0, timeout=10.0, refresh=False)
    with pytest.raises(ReconcileError, match=r"cannot be reached .*1 of 2 cities were asked before that, their rows are in"):
        cmd_reconcile(args, Console(width=200), client)
    assert list(links(tmp_path / RECONCILED_FILE)) == ["Akron"]


def test_the_cli_reports_an_unreachable_endpoint_in_one_line(run_cli, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/sparql"
    cities = write_cities(tmp_path / "cities.csv", ["Akron,United States,,"])
    result = run_cli("reconcile", "--cities", cities, "--endpoint", dead, "--out", tmp_path / "links.csv", "--delay", "0")
    assert result.code == 2
    assert f"citykg: error: the Wikidata endpoint {dead} cannot be reached" in result.err
    assert "nothing was written" in result.err and "Traceback" not in result.err
    assert not (tmp_path / "links.csv").exists()


def test_a_build_reads_the_links_file(standin: StandIn, tmp_path: Path) -> None:
    """Beer Sheva is in no offline source; its row links it, with the evidence on its match node."""
    sources = tmp_path / "wikidata"
    shutil.copytree(WIKIDATA_DIR, sources, ignore=shutil.ignore_patterns(RECONCILED_FILE))
    page = REPO / "tests" / "pages" / "unlabelled-beer-sheva.txt"
    assert not Reconciler(load_gazetteer(sources)).city("Be'er Sheva", None, "Israel").matched  # as the page prints it
    args = argparse.Namespace(paths=[page], cities=None, out=sources / RECONCILED_FILE, endpoint=standin.url,
                              contact=None, delay=0.0, timeout=10.0, refresh=False)
    assert cmd_reconcile(args, Console(width=200), client_for(standin, delay=0)) == 0
    assert links(sources / RECONCILED_FILE)["Be'er Sheva"]["qid"] == "Q9900008"

    def link_of(status_before: str, status_after: str) -> tuple[str, dict[str, str]]:
        text = (sources / RECONCILED_FILE).read_text(encoding="utf-8")
        (sources / RECONCILED_FILE).write_text(text.replace(f",{status_before},", f",{status_after},"), encoding="utf-8")
        store_dir = tmp_path / f"store-{status_after}"
        assert build_store([page], store_dir, wikidata_dir=sources).written
        store = open_store(store_dir)
        city = NamedNode("https://w3id.org/citykg/city/beer-sheva")
        node = NamedNode(city.value + "/wikidata-match")
        link = {q.predicate.value for q in store.quads_for_pattern(city, None, NamedNode("http://www.wikidata.org/entity/Q9900008"))}
        facts = {q.predicate.value.rsplit("#", 1)[-1]: q.object.value for q in store.quads_for_pattern(node, None, None)}
        return link.pop() if link else "", facts

    link, facts = link_of("reconciled", "reconciled")
    assert link == "http://www.w3.org/2004/02/skos/core#closeMatch"
    assert facts["matchMethod"] == "wikidata-online" and facts["matchSource"] == RECONCILED_FILE
    assert facts["matchRecord"].startswith(f"{RECONCILED_FILE} line 2 ({standin.url}, ")
    assert facts["matchedName"] == "Beersheba" and facts["matchCountryCode"] == "IL"
    link, facts = link_of("reconciled", "verified")  # a reviewer checked it
    assert link == "http://www.w3.org/2002/07/owl#sameAs" and facts["matchConfidence"] == "0.95"
    link, facts = link_of("verified", "rejected")
    assert link == "" and facts["matchStatus"] == "unmatched"
