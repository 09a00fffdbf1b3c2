"""HTML pages and PDF snapshots in: conversion, and what the build makes of them (offline).

The fixture page is seed 000 marked up as the survey site does (tests/ingest_fixtures.py);
its converted text must parse to the seed's facts. The fixture PDF is seed 002 as the 2019
PDF prints it (wrapped lines, ▶ / ✓ glyphs); it must parse to seed 002's facts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mapper import read_snapshot
from mapper.convert import ConversionError, html_to_text, pdf_to_text
from server.store.build import build_store, collect_documents
from tests.conftest import SEEDS
from tests.facts import snapshot_facts
from tests.ingest_fixtures import make_pdf, medellin_html, not_a_snapshot_html, saltillo_pdf_lines

MEDELLIN = SEEDS / "000_25ed298be2eb3bc2.txt"
SALTILLO = SEEDS / "002_ce7a1059dbe019e2.txt"


def facts_of(text: str) -> dict:
    facts = snapshot_facts(read_snapshot(text, "doc"))
    facts.pop("source")
    return facts


def test_html_page_parses_to_the_same_facts_as_its_text_rendering() -> None:
    assert facts_of(html_to_text(medellin_html())) == facts_of(MEDELLIN.read_text(encoding="utf-8"))


def test_html_bytes_and_text_give_the_same_text() -> None:
    page = medellin_html()
    assert html_to_text(page.encode("utf-8")) == html_to_text(page)


def test_html_conversion_keeps_content_lines_and_drops_chrome() -> None:
    text = html_to_text(medellin_html())
    lines = text.splitlines()
    assert lines[:3] == ["Medellin", "", "Colombia"]
    assert "  • Generate new sources of revenue" in lines
    assert "Policy areas by number of cities" in lines  # chart caption kept: the parser skips it
    assert "  1. 1" in lines and "    Taking risks or testing new ideas" in lines  # legend as browsers copy it
    assert "2,500,000 (2017)" in lines and "Paula Zapata" in lines  # nbsp and runs of spaces normalised
    for chrome in ("dataLayer", "About the survey", "Subscribe", "Email", "Privacy", "fallback", "font:", "79\n"):
        assert chrome not in text, chrome
    assert "\n\n\n" not in text
    # a complete page (it ends with </html>) gives text whose last line is whole: it ends with a
    # newline, unlike a cut page (next test), and no markup is left
    assert medellin_html().rstrip().endswith("</html>")
    assert text.endswith("\n") and not text.endswith("\n\n") and "</html>" not in text and "<" not in text


def test_truncated_html_ends_without_newline_so_the_cut_line_is_distrusted() -> None:
    page = medellin_html()
    cut = page[: page.index("Public works")]
    text = html_to_text(cut)
    assert not text.endswith("\n")
    snapshot = read_snapshot(text, "cut.html")
    assert snapshot.truncated


def test_html_lists_tables_and_breaks() -> None:
    text = html_to_text(
        "<html><body><h2>Top   sources</h2><ul><li>A <b>bold</b> item</li><li><p>Two</p><p>lines</p></li></ul>"
        "<ol><li>plain ordered</li></ol><table><tr><th>Head</th><td>cell</td></tr></table>"
        "<p>one<br>two</p><!-- a comment --></body></html>"
    )
    assert text.splitlines() == [
        "Top sources", "", "  • A bold item", "", "  • Two", "", "lines", "", "  • plain ordered", "",
        "Head", "cell", "", "one", "two",
    ]


def test_binary_is_not_html() -> None:
    with pytest.raises(ConversionError):
        html_to_text(b"\x89PNG\r\n\x1a\n\x00\x00")


def test_pdf_parses_to_the_same_facts_as_its_markdown_rendering() -> None:
    text = pdf_to_text(make_pdf(saltillo_pdf_lines()))
    assert text.startswith("# City Innovation Snapshot | Saltillo, Mexico\n")
    assert "- ▶ Mayor: Manolo Jiménez Salinas" in text
    assert "- ✓ Project manager" in text
    assert facts_of(text) == facts_of(SALTILLO.read_text(encoding="utf-8"))


@pytest.mark.parametrize("data", [b"not a pdf at all", b"%PDF-1.4\n1 0 obj garbage", make_pdf([])])
def test_corrupt_or_empty_pdf_is_a_conversion_error(data: bytes) -> None:
    with pytest.raises(ConversionError):
        pdf_to_text(data)


def _ingest_dir(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "medellin-colombia.html").write_text(medellin_html(), encoding="utf-8")
    (docs / "sub" / "saltillo.PDF").write_bytes(make_pdf(saltillo_pdf_lines()))
    (docs / "lima.txt").write_bytes((SEEDS / "003_b8b18154ea468ef5.txt").read_bytes())
    (docs / "about.htm").write_text(not_a_snapshot_html(), encoding="utf-8")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\n%garbage that is no PDF\n")
    (docs / "latin1.html").write_bytes("<html><body><p>caf\xe9</p></body></html>".encode("latin-1"))
    (docs / "image.png").write_bytes(b"\x89PNG")
    return docs


def test_collect_documents_takes_html_pdf_md_txt(tmp_path: Path) -> None:
    docs = _ingest_dir(tmp_path)
    assert [d.source for d in collect_documents([docs])] == [
        "about.htm", "broken.pdf", "latin1.html", "lima.txt", "medellin-colombia.html", "sub/saltillo.PDF",
    ]


def test_collect_documents_skips_hidden_entries_and_sorts_by_relative_path(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    for name in ("a.txt", "a-b.txt", "a/b.txt", "a/.~lock.c.txt", ".git/d.txt", "e/.cache/f.md", "g.txt/h.md", "notes.TXT.bak"):
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text("x")
    # "-" < "." < "/": the order of the relative paths as strings, directories not first
    assert [d.source for d in collect_documents([docs])] == ["a-b.txt", "a.txt", "a/b.txt", "g.txt/h.md"]
    assert collect_documents([docs / "a.txt", docs, docs / "a"])[0].source == "a.txt"  # each file once
    assert [d.source for d in collect_documents([docs / "a.txt", docs])] == ["a.txt", "a-b.txt", "a/b.txt", "g.txt/h.md"]


def test_build_reads_html_and_pdf_and_reports_the_rest(tmp_path: Path) -> None:
    docs = _ingest_dir(tmp_path)
    report = build_store([docs], tmp_path / "store", wikidata_dir=None)
    assert report.written
    by_source = {d.source: d for d in report.documents}
    assert by_source["medellin-colombia.html"].rendering == "labelled-web-page"
    assert by_source["medellin-colombia.html"].graph_id == "medellin-2018"
    assert by_source["sub/saltillo.PDF"].rendering == "pdf-markdown"
    assert by_source["sub/saltillo.PDF"].city == "Saltillo"
    assert by_source["lima.txt"].city == "Lima"
    assert "not a City Innovation Snapshot" in by_source["about.htm"].error
    assert by_source["broken.pdf"].error.startswith("broken.pdf: cannot read the PDF") or \
        "broken.pdf:" in by_source["broken.pdf"].error
    assert by_source["latin1.html"].error  # decoded (no traceback), but no snapshot in it
    assert report.totals.read == 3 and report.totals.unread == 3


def _medellin_2020(text: str) -> str:
    """Seed 000 as a 2020-round page: no PDF note, a mention of the 2020 survey, a new mayor."""
    note = next(line for line in text.splitlines() if line.startswith("Note: The City Innovation Snapshot"))
    text = text.replace(note, "Medellin took part in the 2020 survey of innovation capacity.")
    return text.replace("Federico Gutiérrez", "Daniel Quintero Calle")


def test_rounds_of_one_city_are_separate_graphs_and_queries_show_the_latest(tmp_path: Path, run_cli) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "medellin-2018.html").write_text(medellin_html(), encoding="utf-8")
    seed = MEDELLIN.read_text(encoding="utf-8")
    (docs / "medellin-2020.txt").write_text(_medellin_2020(seed), encoding="utf-8")
    store = tmp_path / "store"
    report = build_store([docs], store, wikidata_dir=None)
    assert [d.graph_id for d in report.documents] == ["medellin-2018", "medellin-2020"]
    latest = run_cli("query", "latest-snapshot", "--store", str(store), "--format", "csv")
    assert latest.code == 0, latest.err
    rows = latest.out.strip().splitlines()
    assert len(rows) == 2 and rows[1].endswith("snapshot/medellin-2020,medellin-2020.txt,,,2")
    compare = run_cli("query", "compare-rounds", "--param", "city=medellin", "--store", str(store), "--format", "csv")
    assert compare.code == 0, compare.err
    lines = compare.out.splitlines()
    assert any("Federico Gutiérrez,2018,false" in line for line in lines)
    assert any("Daniel Quintero Calle,2020,false" in line for line in lines)
    assert any(line.endswith("Data scientist,\"2018, 2020\",true") for line in lines)
