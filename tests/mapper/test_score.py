"""The score as a test: every fact the mapper states is right, and almost none is missed.

tests/mapper/score.py (the team's scoring tool) builds each page alone with `citykg build`,
exports the store and reads the facts back through the ontology contract, against hand-checked
labels. Two sets: the 34 shared fixture pages (fixtures/), and our own variant pages
(variants/: other fictional names, other cut points, each label checked by hand against its
page). Here `citykg` runs in this process, through the installed console script's own entry
point, so the builds cost no interpreter start-ups; command line, store and export are the real ones.
"""

from __future__ import annotations

import contextlib
import io
import sys
from importlib.metadata import entry_points
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.mapper import score

HERE = Path(__file__).resolve().parent
SETS = {"fixtures": (HERE / "fixtures", 34), "variants": (HERE / "variants", 6)}


def _in_process_citykg():
    (entry,) = entry_points(group="console_scripts", name="citykg")
    citykg = entry.load()

    def run(args, **_):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = citykg(list(args[1:]))
        return SimpleNamespace(returncode=status, stdout=out.getvalue(), stderr=err.getvalue())

    return run


@pytest.mark.parametrize("name", SETS)
def test_every_page_has_its_labels(name):
    folder, count = SETS[name]
    pages = {path.stem for path in (folder / "pages").glob("*.txt")}
    labels = {path.stem for path in (folder / "labels").glob("*.json")}
    assert pages == labels and len(pages) == count


@pytest.mark.parametrize("name", SETS)
def test_score_has_full_precision_and_f1_of_at_least_0_99(name, monkeypatch, capsys):
    folder, count = SETS[name]
    monkeypatch.setattr(score, "run", _in_process_citykg())
    monkeypatch.setattr(sys, "argv", ["score.py", str(folder / "labels"), str(folder / "pages")])
    f1, unread = score.main()
    report = capsys.readouterr().out
    assert f"documents={count} " in report, report
    assert unread == 0, report
    assert score.PRECISION[0] == 1.0, report
    assert f1 >= 0.99, report
