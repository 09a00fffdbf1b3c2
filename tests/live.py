"""Servers for tests: an app on waitress in a thread, or ``citykg serve`` as a subprocess.

Both bind 127.0.0.1 on a port the OS picks, so tests never collide or listen beyond the host.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from waitress.server import create_server

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def serve_in_thread(app: Flask, threads: int = 6) -> Iterator[str]:
    """Serve ``app`` on waitress in a daemon thread; yields the base URL (no trailing slash)."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    host, port = server.getsockname()[:2]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.close()
        thread.join(5)


@contextmanager
def citykg_serve(args: Sequence[str | Path]) -> Iterator[str]:
    """Run ``citykg serve --port 0 ARGS`` and yield its /sparql URL, read from its first line."""
    command = [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", "0", *map(str, args)]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"at (http://\S+/sparql)", line)
        if not found:
            process.kill()
            raise RuntimeError(f"citykg serve did not start: {line!r} {process.communicate()[1]!r}")
        yield found.group(1)
    finally:
        process.terminate()  # SIGTERM: the server closes its workers and exits 0
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
