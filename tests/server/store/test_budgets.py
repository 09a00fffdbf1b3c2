"""Every document is read or refused with a reason, within its budget (issue 9).

A build reads documents in reader processes under a per-document budget (time, size, PDF pages):
a document over it is reported unread with the reason and the build goes on. Inputs that used
to stop a build or surface as a traceback (wrong encodings, lone surrogates, HTML nested too
deeply, encrypted PDFs, symlinks out of the directory) each get a typed refusal or are read.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from mapper import UnreadableDocument, read_snapshot
from server.store import reading
from server.store.build import build_store
from server.store.reading import Budget, DocumentUnread, ReaderPool, Task
from tests.conftest import SEEDS
from tests.ingest_fixtures import make_pdf, saltillo_pdf_lines

MEDELLIN = SEEDS / "000_25ed298be2eb3bc2.txt"


def _build(docs: Path, tmp_path: Path, **kwargs):
    report = build_store([docs], tmp_path / "store", wikidata_dir=None, **kwargs)
    return report, {doc.source: doc for doc in report.documents}


def test_size_and_page_budgets_refuse_before_reading(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "medellin.txt").write_bytes(MEDELLIN.read_bytes())
    with (docs / "huge.txt").open("wb") as handle:  # 50 MB of text: refused by its size, never read
        handle.truncate(50 * 2**20)
    (docs / "long.pdf").write_bytes(make_pdf(saltillo_pdf_lines() * 3))
    report, by_source = _build(docs, tmp_path, budget=Budget(max_bytes=20 * 2**20, max_pdf_pages=2))
    assert report.written and report.totals.read == 1
    assert "52,428,800 bytes, over the size budget of 20,971,520 bytes" in by_source["huge.txt"].error
    assert "pages, over the budget of 2 pages" in by_source["long.pdf"].error


def test_text_in_other_encodings_is_read(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    text = MEDELLIN.read_text(encoding="utf-8")
    (docs / "utf16.txt").write_bytes(text.encode("utf-16"))  # with its BOM
    (docs / "utf8-bom.txt").write_bytes(b"\xef\xbb\xbf" + text.replace("Medellin", "Bello").encode("utf-8"))
    (docs / "cp1252.txt").write_bytes(text.replace("Medellin", "Envigado").encode("cp1252"))
    report, by_source = _build(docs, tmp_path)
    assert report.totals.read == 3, [doc.error for doc in report.documents]
    assert by_source["utf16.txt"].city == "Medellin"
    assert by_source["utf8-bom.txt"].city == "Bello"
    assert by_source["cp1252.txt"].city == "Envigado"
    assert "read as cp1252 (detected)" in by_source["cp1252.txt"].warnings[-1]
    assert not any("not UTF-8" in warning for warning in by_source["utf8-bom.txt"].warnings)


def test_cp1252_keeps_accents(tmp_path: Path) -> None:
    text = MEDELLIN.read_text(encoding="utf-8")
    decoded, encoding = reading.document_text(text.encode("cp1252"), ".txt", "x.txt")
    assert (decoded, encoding) == (text, "cp1252")
    assert read_snapshot(decoded, "x.txt").mayor.name == "Federico Gutiérrez"


def test_binary_data_is_refused_as_not_text(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "medellin.txt").write_bytes(MEDELLIN.read_bytes())
    (docs / "image.txt").write_bytes(bytes(range(256)) * 64)
    report, by_source = _build(docs, tmp_path)
    assert by_source["image.txt"].error.startswith("image.txt: not text: byte 0x80 at offset 128 is not UTF-8")


def test_lone_surrogates_are_refused_naming_the_line() -> None:
    text = MEDELLIN.read_text(encoding="utf-8").replace("Data scientist", "Data \ud800scientist")
    with pytest.raises(UnreadableDocument, match=r"lone.txt:52: .*lone surrogate"):
        read_snapshot(text, "lone.txt")


def test_deeply_nested_html_is_refused(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "medellin.txt").write_bytes(MEDELLIN.read_bytes())
    (docs / "deep.html").write_text("<html><body>" + "<div>" * 5000 + "Medellin" + "</div>" * 5000 + "</body></html>")
    report, by_source = _build(docs, tmp_path)
    assert report.written
    assert "the HTML is nested too deeply to read" in by_source["deep.html"].error


def test_encrypted_pdf_is_refused_as_encrypted(tmp_path: Path) -> None:
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(BytesIO(make_pdf(saltillo_pdf_lines()))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = BytesIO()
    writer.write(buffer)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "locked.pdf").write_bytes(buffer.getvalue())
    (docs / "medellin.txt").write_bytes(MEDELLIN.read_bytes())
    report, by_source = _build(docs, tmp_path)
    assert by_source["locked.pdf"].error == "locked.pdf: encrypted PDF: it cannot be read without its password"


def test_symlinks_leaving_the_directory_are_reported_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(MEDELLIN.read_bytes())
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "medellin.txt").write_bytes(MEDELLIN.read_bytes())
    os.symlink(outside / "secret.txt", docs / "escape.txt")
    os.symlink(docs / "medellin.txt", docs / "inside.txt")  # within the directory: read (once)
    os.symlink(tmp_path / "nowhere.txt", docs / "dangling.txt")
    os.symlink(outside, docs / "linked-dir")  # a symlinked directory is not descended into
    report, by_source = _build(docs, tmp_path)
    assert set(by_source) == {"dangling.txt", "escape.txt", "inside.txt"}  # inside.txt is medellin.txt, read once
    assert f"a symlink to {outside / 'secret.txt'}, outside {docs}" in by_source["escape.txt"].error
    assert "which is not a file" in by_source["dangling.txt"].error
    assert by_source["inside.txt"].read and report.totals.read == 1


# --- the pool: a document over its time budget, a reader that dies ---------------------------


def _slow_or_dying(task: Task, budget: Budget):
    """A stand-in reader: 'sleep' overruns the budget in Python, 'stuck' ignores the timer
    (as native code would), 'die' kills its process; anything else is read at once."""
    if task.source == "sleep":
        time.sleep(60)
    if task.source == "stuck":
        import signal

        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        time.sleep(60)
    if task.source == "die":
        os._exit(9)
    return DocumentUnread(f"{task.source}: fine")


def test_pool_reports_documents_over_budget_and_dead_readers_and_goes_on(monkeypatch) -> None:
    monkeypatch.setattr(reading, "GRACE_SECONDS", 1.0)
    names = ["a", "sleep", "b", "die", "c", "stuck", "d", "e"]
    with ReaderPool(Budget(seconds=1.0), workers=2, job=_slow_or_dying) as pool:
        errors = [outcome.error for outcome in pool.outcomes([Task(name, name, "") for name in names])]
    assert errors[0::2] == ["a: fine", "b: fine", "c: fine", "d: fine"]
    assert errors[1] == "sleep: over the time budget of 1 s per document; not read"
    assert errors[3].startswith("die: its reader process died while reading it (exit status 9")
    assert errors[5] == "stuck: over the time budget of 1 s per document (its reader was stopped); not read"
    assert errors[7] == "e: fine"
