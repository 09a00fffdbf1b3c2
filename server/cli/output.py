"""What every command shares: the store option, usage errors, and writing to the terminal or files."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode
from rich.console import Console

from server.errors import CitykgError
from server.store.prefixes import compact_iri

DEFAULT_STORE = Path("var/store")


class UsageError(CitykgError):
    """A mistake in the command line or its files: reported in one line, exit status 2."""


def fail(message: str, status: int, exc: BaseException | None = None) -> int:
    """Print ``citykg: error: message`` on stderr and return ``status`` (with CITYKG_DEBUG=1,
    also the traceback of what caused ``exc``)."""
    print(f"citykg: error: {message}", file=sys.stderr)
    if exc is not None and exc.__cause__ is not None and os.environ.get("CITYKG_DEBUG"):
        import traceback

        traceback.print_exception(exc.__cause__, file=sys.stderr)
    return status


def store_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--store", type=Path, default=DEFAULT_STORE, metavar="DIR", help="store directory (default: var/store)")


def console() -> Console:
    """Terminal width on a terminal; wide when piped, so tables in files and logs stay readable."""
    width = None if sys.stdout.isatty() else 160
    return Console(highlight=False, width=width)


def write_file(path: Path, data: bytes, option: str) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write: {exc.strerror or exc}") from exc


def plural(count: int, noun: str) -> str:
    """``1 row``, ``3 rows``."""
    return f"{count} {noun}{'s' if count != 1 else ''}"


def term_text(term: object, prefixes: list[tuple[str, str]]) -> str:
    """A cell: literals as their text (JSON and CSV keep tags and datatypes), IRIs prefixed
    where a prefix fits, else ``<iri>``."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return term.value
    if isinstance(term, NamedNode):
        compact = compact_iri(term.value, prefixes)
        return compact if compact != term.value else f"<{term.value}>"
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    return str(term)



def write_stdout(data: bytes) -> None:
    """Bytes as produced by the serializer, newline-terminated; via the text layer when stdout
    has no byte buffer (some test captures)."""
    if data and not data.endswith(b"\n"):
        data += b"\n"
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()

