"""The README's tour, run as a new user would: every ``$ command`` of its ``console`` blocks is run
in a shell against a live server over the seed store, and prints what the README shows.

The commands are the README's own text; only the address changes (the README's
``http://127.0.0.1:8000`` becomes the test server's) and they run in a scratch directory where
``.venv/bin/citykg`` is this environment's command and ``var/store`` the seed store, as after
``make run``. So a README that drifts from the code (a renamed column, a changed count) fails here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.web.app import close_app, create_app
from tests.conftest import REPO
from tests.live import serve_in_thread

README = REPO / "README.md"
README_BASE = "http://127.0.0.1:8000"
CONSOLE_BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def console_steps() -> list[tuple[list[str], str, str]]:
    """(assignments earlier in the block, command, expected output) for every ``$`` line."""
    steps = []
    for block in CONSOLE_BLOCK.findall(README.read_text(encoding="utf-8")):
        assignments: list[str] = []
        command, output = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    steps.append((list(assignments), command, "\n".join(output)))
                command, output = line[2:], []
                if re.fullmatch(r"\w+=('[^']*'|\S*)", command):
                    assignments.append(command)
            else:
                output.append(line)
        if command is not None:
            steps.append((list(assignments), command, "\n".join(output)))
    return steps


STEPS = console_steps()


@pytest.fixture(scope="module")
def site(seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(the live server's base URL, a scratch directory laid out as a checkout after make run)."""
    scratch = tmp_path_factory.mktemp("readme")
    (scratch / ".venv" / "bin").mkdir(parents=True)
    citykg = Path(sys.executable).parent / "citykg"
    found = str(citykg) if citykg.exists() else shutil.which("citykg")
    assert found, "the citykg command is not installed in this environment"
    (scratch / ".venv" / "bin" / "citykg").symlink_to(found)
    (scratch / "var").mkdir()
    (scratch / "var" / "store").symlink_to(seed_store)
    app = create_app({"CITYKG_STORE": str(seed_store), "CITYKG_WORKERS": 2, "TESTING": True,
                      "CITYKG_WIKIDATA_ENDPOINT": "none"})
    with serve_in_thread(app) as url:
        yield url, scratch
    close_app(app)


def test_the_readme_has_a_tour() -> None:
    commands = [command for _, command, _ in STEPS]
    assert sum("curl" in command for command in commands) >= 5
    assert any("citykg query" in command for command in commands)
    assert any("citykg export" in command for command in commands)


@pytest.mark.parametrize(("assignments", "command", "expected"), STEPS, ids=[c[:60] for _, c, _ in STEPS])
def test_tour_step_prints_what_the_readme_shows(site: tuple[str, Path], assignments: list[str], command: str,
                                               expected: str) -> None:
    url, scratch = site
    script = "\n".join([*assignments, command]).replace(README_BASE, url)
    run = subprocess.run(["bash", "-o", "pipefail", "-c", script], cwd=scratch, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    printed = [line.rstrip() for line in run.stdout.splitlines()]
    assert printed == [line.rstrip() for line in expected.splitlines()]
