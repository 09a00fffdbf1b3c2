"""What every layer reports the same way: exit statuses, and the base of user-facing errors.

A ``CitykgError`` is a problem the user can fix (a missing store, a bad query, a bad URL): the
command line prints its message in one line and exits with ``EXIT_USAGE``, the web app answers
with the error's own HTTP status. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

EXIT_OK = 0  # the command did what was asked
EXIT_NO = 1  # it ran, but the answer is "no": nothing could be built, the graph does not conform…
EXIT_USAGE = 2  # a mistake in the command line or its files, reported in one line
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


class CitykgError(Exception):
    """A problem the user can fix, reported in one line that names the culprit."""
