"""The store interface: what the rest of citykg may ask of the place its graph lives.

A store holds every quad of one build. ``StoreBackend`` is the location: its current version, a
read-only handle on it, and an atomic replacement by a new build. ``GraphReader`` is what a
handle offers: the read half of pyoxigraph's ``Store`` API (SPARQL queries with prefixes and
substitutions, quad patterns, named graphs, dumps), so code written against a handle runs
unchanged over the embedded store (``server.store.embedded``, a pyoxigraph ``Store`` itself) and
over a remote SPARQL 1.1 store that answers through the same calls.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from pyoxigraph import Quad

from server.errors import CitykgError


class StoreError(CitykgError):
    """A problem the user can fix (missing input, no store yet, a busy store): one clear line."""


class NoStore(StoreError):
    """No store has been built at the given location."""


class InputNotFound(StoreError):
    """A path given to ``build`` does not exist."""


class BuildError(StoreError):
    """The build stopped; the previous store, if any, is unchanged."""


@runtime_checkable
class GraphReader(Protocol):
    """A read-only handle on one version of the store (pyoxigraph's ``Store`` read API)."""

    def query(
        self,
        query: str,
        *,
        base_iri: str | None = None,
        prefixes: Mapping[str, str] | None = None,
        use_default_graph_as_union: bool = False,
        default_graph: Any = None,
        named_graphs: Any = None,
        substitutions: Mapping[Any, Any] | None = None,
    ) -> Any:
        """SELECT solutions, an ASK boolean or CONSTRUCT/DESCRIBE triples (pyoxigraph's types)."""

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any, graph_name: Any = None) -> Iterator[Quad]:
        """The quads matching a pattern (None: any)."""

    def named_graphs(self) -> Iterator[Any]:
        """The names of the graphs that hold quads."""

    def dump(self, output: Any = None, format: Any = None, *, from_graph: Any = None, **kwargs: Any) -> bytes | None:
        """The quads (of one graph with ``from_graph``) in an RDF format."""

    def __len__(self) -> int:
        """The number of quads."""


class QuadStream(Protocol):
    """The whole content of a new store version as N-Quads chunks (``bytes``), each quad once."""

    def __iter__(self) -> Iterator[bytes]:
        """The chunks; iterating may raise to abandon the new version."""

    @property
    def distinct(self) -> int:
        """How many distinct quads the chunks hold; known once they have all been read."""


class StoreBackend(ABC):
    """Where the graph lives. Readers follow ``version()`` and reopen when it changes; a build
    calls ``replace()``, which either installs every quad or leaves the store as it was."""

    @property
    @abstractmethod
    def location(self) -> str:
        """How messages name this store (a directory, a URL)."""

    @property
    def evaluates_in_process(self) -> bool:
        """True when queries run in this process (so do their SERVICE calls); False when the
        store evaluates them itself (``server.store.remote``)."""
        return True

    @abstractmethod
    def version(self) -> str:
        """An id of the data readers see now; it changes when a build replaces it. ``NoStore``
        when nothing has been built there."""

    @abstractmethod
    def open(self) -> GraphReader:
        """A read-only handle on the current version (pinned to it: a later build does not
        change what this handle reads). ``StoreError`` when it cannot be opened."""

    @abstractmethod
    def replace(self, quads: Sequence[Quad]) -> str:
        """Install ``quads`` as the whole new content, atomically; returns the build id.
        ``BuildError`` (previous content untouched) when it cannot."""

    def replace_stream(self, content: QuadStream) -> str:
        """``replace`` with the content given as N-Quads chunks, produced while it is written (a
        build maps documents while the store loads the ones before). If iterating ``content``
        raises, nothing is installed and the exception propagates. This default reads every
        chunk, then calls ``replace``; a backend that can load as it reads overrides it."""
        from pyoxigraph import RdfFormat, parse

        return self.replace(list(parse(b"".join(content), format=RdfFormat.N_QUADS)))
