"""The fixtures' score as a test: every fact the mapper states is right, and almost none is missed.

tests/mapper/score.py (the team's scoring tool) builds each of the 34 fixture pages alone with
`citykg build`, exports the store and reads the facts back through the ontology contract. Here
`citykg` runs in this process, through the installed console script's own entry point, so the
34 builds cost no interpreter start-ups; the command line, store and export are the real ones.
"""

from __future__ import annotations

import contextlib
import io
import sys
from importlib.metadata import entry_points
from pathlib import Path
from types import SimpleNamespace

from tests.mapper import score

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _in_process_citykg():
    (entry,) = entry_points(group="console_scripts", name="citykg")
    citykg = entry.load()

    def run(args, **_):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = citykg(list(args[1:]))
        return SimpleNamespace(returncode=status, stdout=out.getvalue(), stderr=err.getvalue())

    return run


def test_every_page_has_its_labels():
    pages = {path.stem for path in (FIXTURES / "pages").glob("*.txt")}
    labels = {path.stem for path in (FIXTURES / "labels").glob("*.json")}
    assert pages == labels and len(pages) == 34


def test_fixture_score_has_full_precision_and_f1_of_at_least_0_99(monkeypatch, capsys):
    monkeypatch.setattr(score, "run", _in_process_citykg())
    monkeypatch.setattr(sys, "argv", ["score.py", str(FIXTURES / "labels"), str(FIXTURES / "pages")])
    f1, unread = score.main()
    report = capsys.readouterr().out
    assert "documents=34 " in report, report
    assert unread == 0, report
    assert score.PRECISION[0] == 1.0, report
    assert f1 >= 0.99, report
