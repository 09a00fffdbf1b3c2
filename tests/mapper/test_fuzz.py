"""Fuzzing the mapper and the build: every input is read or refused with a typed error (issue 9).

Hypothesis mutates the fixture pages (spans deleted, repeated, swapped; survey phrases, numbers,
long lists, control characters and lone surrogates inserted; cuts anywhere), and feeds the build
binary data, huge lines and wrongly encoded copies. The mapper may only return a snapshot or raise
``UnreadableDocument``; the build's reader may only read a document or refuse it with a reason,
and never report a document over its time budget or a mapper failure. Bounded (a few hundred
examples, a second or two each at most) so CI stays fast; run longer with
``--hypothesis-profile`` settings of your own.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper import UnreadableDocument, read_snapshot
from mapper.rdf import snapshot_quads
from server.store.reading import Budget, DocumentRead, DocumentUnread, ReaderPool, Task

PAGES = sorted((Path(__file__).resolve().parent / "fixtures" / "pages").glob("*"))
TEXTS = [page.read_text(encoding="utf-8") for page in PAGES]
PHRASES = [
    "Mayor", "Population", "Lead Innovation Officer", "Spotlight on innovation in ", "Innovation is helping to:",
    "Critical success factors:", "Sufficient data", "Insufficient data", "Data availability by policy area",
    " has developed partnerships to promote innovation capacity with ", "Along with 50% of cities surveyed, ",
    " has an explicit innovation strategy.", " utilizes 9 different innovation skills or roles", "'s most common innovation activities",
    "Terms ", " most associates with innovation", "# City Innovation Snapshot | ", "- ✓ **", "**", "- ▶ Mayor: ",
    "consists of 14 staff", "more than 40 staff members", "1. 1", "79 cities", ", ", " and ", "; ", "\n", "\n\n",
    "9" * 5000, "9" * 5000 + " (2016)", "9" * 400 + " million", "9" * 500 + " staff", "(2016)", "Denver, CO", "Medellín", "\ud800", "\x00", "\u202e", "\ufeff", "ǅ", "İ", "ß", "\t",
]
SEGMENT = st.one_of(st.sampled_from(PHRASES), st.text(max_size=40))
BUDGET = Budget(seconds=10.0, max_bytes=4 << 20, max_pdf_pages=10)


@st.composite
def mutated(draw) -> str:
    """A fixture page with a few random edits."""
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "repeat", "swap", "line", "list", "cut"]))
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:at] + "".join(draw(st.lists(SEGMENT, min_size=1, max_size=4))) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 400)):]
        elif kind == "repeat":
            span = text[at:at + draw(st.integers(1, 300))]
            text = text[:at] + span * draw(st.integers(2, 30)) + text[at:]
        elif kind == "swap":
            lines = text.splitlines()
            if len(lines) > 2:
                i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
                text = "\n".join(lines)
        elif kind == "line":  # a whole line replaced: "Population" followed by 5,000 digits, say
            lines = text.splitlines()
            if lines:
                lines[draw(st.integers(0, len(lines) - 1))] = "".join(draw(st.lists(SEGMENT, min_size=1, max_size=2)))
                text = "\n".join(lines)
        elif kind == "list":  # one long list sentence or list block
            items = [f"Partner {draw(st.sampled_from(['Alpha', 'and', 'the', '&', 'Beta-Gamma', '']))} {i}"
                     for i in range(draw(st.integers(50, 3000)))]
            joiner = draw(st.sampled_from([", ", "\n", "; ", " and "]))
            text = text[:at] + joiner.join(items) + text[at:]
        else:
            text = text[:at]
    return text


def _read(text: str) -> None:
    try:
        snapshot = read_snapshot(text, "fuzz.txt")
    except UnreadableDocument as exc:
        assert str(exc).startswith("fuzz.txt")
        return
    snapshot_quads(snapshot)  # and it maps to RDF


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_pages_are_read_or_refused_with_a_typed_error(text: str) -> None:
    _read(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_any_text_is_read_or_refused_with_a_typed_error(text: str) -> None:
    _read(text)


def _document(draw, index: int) -> tuple[str, bytes]:
    """A file for the build: a mutated page in some encoding, binary data, or a huge line."""
    kind = draw(st.sampled_from(["utf-8", "utf-16", "cp1252", "latin-1", "utf-8-sig", "binary", "huge", "html", "pdf"]))
    if kind == "binary":
        return f"{index}.txt", draw(st.binary(min_size=1, max_size=5000))
    if kind == "huge":
        return f"{index}.txt", (draw(st.sampled_from(TEXTS)) + ", ".join(["x"] * 400_000)).encode()
    text = draw(mutated())
    if kind == "html":
        return f"{index}.html", ("<html><body><p>" + text.replace("\n", "</p><p>") + "</p></body></html>").encode(
            "utf-8", "surrogatepass")
    if kind == "pdf":
        return f"{index}.pdf", b"%PDF-1.4\n" + text.encode("utf-8", "surrogatepass")
    return f"{index}.txt", text.encode(kind, "replace")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                               HealthCheck.function_scoped_fixture])
@given(st.data())
def test_the_build_reads_or_refuses_every_file_within_its_budget(tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    tasks = []
    for index in range(8):
        name, content = _document(data.draw, index)
        (folder / name).write_bytes(content)
        tasks.append(Task(str(folder / name), name, "https://w3id.org/citykg/"))
    with ReaderPool(BUDGET, workers=2) as pool:
        outcomes = list(pool.outcomes(tasks))
    for task, outcome in zip(tasks, outcomes):
        assert isinstance(outcome, (DocumentRead, DocumentUnread))
        if isinstance(outcome, DocumentUnread):
            assert outcome.error.startswith(task.source + ": ")
            assert "a bug" not in outcome.error, outcome.error
            assert "time budget" not in outcome.error and "process died" not in outcome.error, outcome.error


def test_numbers_thousands_of_digits_long_are_no_figures() -> None:
    # found by the fuzz: int() of a 5,000-digit "population" raised ValueError, "9...9 million" OverflowError
    medellin = (Path(__file__).resolve().parents[2] / "seeds" / "000_25ed298be2eb3bc2.txt").read_text(encoding="utf-8")
    for figure in ("9" * 5000, "9" * 400 + " million"):
        assert read_snapshot(medellin.replace("2,500,000 (2017)", figure), "big.txt").population is None
    team = medellin.replace("utilizes 7 different", "utilizes " + "7" * 5000 + " different")
    assert read_snapshot(team, "big.txt").stated_role_count is None
