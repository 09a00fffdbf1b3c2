"""The embedded store: an Oxigraph store on disk (pyoxigraph). The only module that opens pyoxigraph stores.

On-disk layout (``var/store`` by default)::

    var/store      -> store.d/20250101T120000-3fa2c1     (a relative symlink)
    var/store.d/20250101T120000-3fa2c1/                  (a complete Oxigraph/RocksDB store)
    var/store.d/.lock                                    (held while a build runs)

A build writes a new version beside the current one (under a ``.building-*`` name), closes and
re-opens it read-only to check it, renames it into place and swaps the symlink with one
``os.replace`` (atomic on POSIX). Until that call the previous store is untouched, so an
exception, Ctrl-C or kill leaves it exactly as it was; the previous version is deleted only
after the swap. Litter from a killed build is removed by the next build, under the lock. The
version directory is a plain Oxigraph store, so the ``oxigraph`` CLI of the same version can
serve it too. Readers should open through ``open_store``, which resolves the symlink first, so
a swap never mixes files of two versions under one reader.

A reader **holds the version it opened**: ``open_store`` takes a shared lock on
``store.d/<version>.readers`` for as long as its handle lives, and a build deletes a replaced
version only when it can take that lock exclusively; a version still read is left for a later
build to remove. So a rebuild never pulls files from under a running query, and a reader that
resolved the symlink just before a swap never finds its version half-deleted.
"""

from __future__ import annotations

import fcntl
import gc
import os
import queue
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Quad, Store

from server.store.interface import BuildError, NoStore, QuadStream, StoreBackend, StoreError

BUILDING_PREFIX = ".building-"
READERS_SUFFIX = ".readers"  # store.d/<version>.readers: shared-locked by every reader of <version>


@dataclass(frozen=True)
class EmbeddedStore(StoreBackend):
    """The store at ``path`` (a symlink to its current version directory)."""

    path: Path

    @property
    def location(self) -> str:
        return str(self.path)

    def version(self) -> str:
        return str(store_version(self.path))

    def open(self) -> Store:
        return open_store(self.path)

    def replace(self, quads: Sequence[Quad]) -> str:
        return write_store(quads, self.path)

    def replace_stream(self, content: QuadStream) -> str:
        return write_store(content, self.path)


# --- writing a version and swapping it in ---------------------------------------------------


def versions_dir(store_dir: Path) -> Path:
    """Where the versions of ``store_dir`` live: a sibling, so renames stay on one filesystem."""
    return store_dir.with_name(store_dir.name + ".d")


def write_store(quads: Sequence[Quad] | QuadStream, store_dir: Path) -> str:
    """Write ``quads`` (a list, or N-Quads chunks loaded as they come) as a new version and make
    ``store_dir`` point to it; returns the build id."""
    store_dir = Path(store_dir)
    _check_replaceable(store_dir)
    versions = versions_dir(store_dir)
    first_build = not versions.exists()
    versions.mkdir(parents=True, exist_ok=True)
    try:
        return _write_locked(quads, store_dir, versions)
    except _Busy:
        raise
    except BaseException:
        if first_build and not store_dir.exists():  # nothing was built here before: leave nothing
            shutil.rmtree(versions, ignore_errors=True)
        raise


def _write_locked(quads: Sequence[Quad] | QuadStream, store_dir: Path, versions: Path) -> str:
    with _build_lock(versions):
        _remove_litter(store_dir)
        build_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)
        building, new_version = versions / f"{BUILDING_PREFIX}{build_id}", versions / build_id
        legacy: Path | None = None
        try:
            _write_version(quads, building, new_version)
            legacy = _take_over_legacy_dir(store_dir, build_id)
            _point(store_dir, new_version)
        except BaseException:
            if store_dir.resolve() != new_version.resolve():  # not swapped: undo everything
                shutil.rmtree(building, ignore_errors=True)
                shutil.rmtree(new_version, ignore_errors=True)
                _restore_legacy_dir(store_dir, legacy)
            raise
        _remove_unused_versions(store_dir)
    return build_id


def _write_version(quads: Sequence[Quad] | QuadStream, building: Path, final: Path) -> None:
    """Load into ``building``, check it reads back whole, then give it its final name."""
    building.mkdir()
    expected = _load_quads(building, quads)
    _verify(building, expected)
    os.rename(building, final)
    _fsync_dir(final.parent)


def _load_quads(path: Path, quads: Sequence[Quad] | QuadStream) -> int:
    """Bulk-load into a fresh store, flush, and close it (pyoxigraph closes on last reference);
    returns the number of distinct quads it must hold."""
    if not isinstance(quads, Sequence):
        return _load_stream(path, quads)
    store = Store(str(path))
    store.bulk_extend(quads)
    store.flush()
    del store
    gc.collect()
    return len(set(quads))


def _load_stream(path: Path, content: QuadStream) -> int:
    """Load N-Quads chunks with ``bulk_load`` in a child process while ``content`` produces them.

    The loader reads from a pipe, so the store is written while the build is still mapping
    documents, and the chunks are never all in memory. It is a fresh interpreter (not a fork:
    a process that has opened stores has native threads a fork would not copy). A thread
    writes to it, so producing the content never waits for the loader until
    :data:`LOADER_QUEUE` chunks are pending. An exception from ``content`` (or Ctrl-C) stops
    the loader; the caller removes what it wrote.
    """
    loader = subprocess.Popen([sys.executable, "-c", _LOADER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=LOADER_QUEUE)
    writer = threading.Thread(target=_write_to, args=(loader.stdin, pending), daemon=True)
    writer.start()
    try:
        for chunk in content:
            pending.put(chunk)
    except BaseException:
        loader.kill()
        raise
    finally:
        pending.put(None)
        writer.join()
    error = loader.stderr.read().decode("utf-8", "replace").strip()
    if loader.wait() != 0:
        raise BuildError(f"loading the new store at {path} failed: {error.splitlines()[-1] if error else loader.returncode}")
    return content.distinct


LOADER_QUEUE = 256  # chunks (one per snapshot graph, ~20 KB) waiting for the loader


def _write_to(stdin, pending: queue.Queue) -> None:
    """The writer thread: chunks to the loader until None; then its end of file. A loader that
    died (or was killed) leaves the remaining chunks unwritten: its exit status tells why."""
    try:
        while (chunk := pending.get()) is not None:
            stdin.write(chunk)
    except OSError:  # a broken pipe: the loader stopped
        while pending.get() is not None:
            pass
    finally:
        try:
            stdin.close()
        except OSError:
            pass


_LOADER = """
import os, queue, sys, threading
from pyoxigraph import RdfFormat, Store

FIRST, LARGEST = 16 << 20, 64 << 20

def read(stream, blocks):  # reads on while bulk_load works, so the build never waits on a full pipe
    # bulk_load writes its files when its input ends, so the input is loaded in steps, each
    # ending on a whole line, and the store is written while the build reads. Steps grow with
    # what is loaded (16, 16, 32, 64, 64... MiB): small builds still overlap, while a large one
    # makes few steps; each step adds files the store then compacts (16 MiB steps: 10,000
    # documents 1.2x the CPU and 1.5x the size of one bulk_load), and 64 MiB bounds its memory.
    step, loaded = FIRST, 0
    while block := stream.read(step):
        loaded += len(block)
        blocks.put(block + stream.readline())
        step = min(LARGEST, max(FIRST, loaded))
    blocks.put(None)

blocks = queue.Queue(maxsize=2)
threading.Thread(target=read, args=(sys.stdin.buffer, blocks), daemon=True).start()
try:
    store = Store(sys.argv[1])
    while (block := blocks.get()) is not None:
        store.bulk_load(input=block, format=RdfFormat.N_QUADS)
    store.flush()
except BaseException as exc:  # one line for the build's error, then out at once: an interpreter
    # shutting down beside the reading thread (blocked on stdin) can end in a fatal-error dump instead
    sys.stderr.write(f"{type(exc).__name__}: {exc}\\n")
    sys.stderr.flush()
    os._exit(1)
"""


def _verify(path: Path, expected: int) -> None:
    """Re-open read-only: a store that does not read back whole must never be swapped in."""
    store = Store.read_only(str(path))
    found = len(store)
    del store
    gc.collect()
    if found != expected:
        raise BuildError(f"the new store at {path} holds {found} quads, expected {expected}")


def _point(store_dir: Path, version: Path) -> None:
    """Atomically make ``store_dir`` a relative symlink to ``version``."""
    tmp_link = store_dir.with_name(f".{store_dir.name}.tmp-{version.name}")
    os.symlink(os.path.relpath(version, store_dir.parent), tmp_link)
    try:
        os.replace(tmp_link, store_dir)
    except BaseException:
        tmp_link.unlink(missing_ok=True)
        raise
    _fsync_dir(store_dir.parent)


def _fsync_dir(path: Path) -> None:
    """Make a rename durable: without it a power cut can undo the swap (or half of it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Busy(BuildError):
    """Another build holds the lock (and may have made the versions directory)."""


@contextmanager
def _build_lock(versions: Path) -> Iterator[None]:
    """One build at a time per store: two would race on the symlink and on the litter sweep."""
    with open(versions / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _Busy(f"another build of {versions.with_suffix('')} is running") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check_replaceable(store_dir: Path) -> None:
    """Refuse, before any work, to replace something that is not a store of ours."""
    if store_dir.is_symlink() or not store_dir.exists():
        return
    if not store_dir.is_dir():
        raise BuildError(f"{store_dir} exists and is not a directory; refusing to replace it")
    if not _is_oxigraph_dir(store_dir) and any(store_dir.iterdir()):
        raise BuildError(f"{store_dir} exists and is not a citykg store; refusing to replace it")


def _take_over_legacy_dir(store_dir: Path, build_id: str) -> Path | None:
    """A real store directory (older layout) becomes a version, deleted after the swap.

    Done just before the swap, so readers miss the store only between two renames.
    """
    if store_dir.is_symlink() or not store_dir.exists():
        return None
    legacy = versions_dir(store_dir) / f"legacy-{build_id}"
    os.rename(store_dir, legacy)
    return legacy


def _restore_legacy_dir(store_dir: Path, legacy: Path | None) -> None:
    """Put a taken-over real directory back where it was, so a failed build changes nothing."""
    if legacy is not None and not store_dir.exists() and not store_dir.is_symlink():
        os.rename(legacy, store_dir)


def _is_oxigraph_dir(path: Path) -> bool:
    return (path / "CURRENT").is_file()


def _remove_litter(store_dir: Path) -> None:
    """Sweep what a killed build left: half-built versions and temporary symlinks."""
    for entry in versions_dir(store_dir).iterdir():
        if entry.name.startswith(BUILDING_PREFIX):
            shutil.rmtree(entry, ignore_errors=True)
    for link in store_dir.parent.glob(f".{store_dir.name}.tmp-*"):
        link.unlink(missing_ok=True)


def _remove_unused_versions(store_dir: Path) -> None:
    """Delete every version but the current one (the previous one, and any a kill orphaned),
    except those a reader still holds (``open_store``): a later build removes them."""
    current = store_dir.resolve()
    versions = versions_dir(store_dir)
    for entry in versions.iterdir():
        if entry.is_dir() and entry.resolve() != current and not entry.name.startswith("."):
            with _exclusive(versions / f"{entry.name}{READERS_SUFFIX}") as free:
                if free:
                    shutil.rmtree(entry, ignore_errors=True)
    for lock in versions.glob(f"*{READERS_SUFFIX}"):  # locks of versions already gone
        if not (versions / lock.name.removesuffix(READERS_SUFFIX)).is_dir():
            with _exclusive(lock) as free:
                if free:
                    lock.unlink(missing_ok=True)


@contextmanager
def _exclusive(lock: Path) -> Iterator[bool]:
    """Hold ``lock`` exclusively if no reader holds it (yields False when one does)."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            lock.unlink(missing_ok=True)  # before the unlock: a reader that opens it later makes a new one
    finally:
        os.close(fd)


# --- reading --------------------------------------------------------------------------------


def store_version(store_dir: Path) -> Path:
    """The directory ``store_dir`` currently resolves to, so a reader can notice a swap."""
    store_dir = Path(store_dir)
    resolved = store_dir.resolve()
    if not _is_oxigraph_dir(resolved):
        raise NoStore(f"no store at {store_dir}: run `citykg build` first")
    return resolved


def open_store(store_dir: Path, read_only: bool = True) -> Store:
    """Open the current version. Resolving the symlink first pins the reader to one version, and
    a read-only handle holds that version (a shared lock) until it is dropped.

    ``read_only=False`` writes into the live version, outside the atomic build: maintenance only.
    """
    if not read_only:
        path = store_version(store_dir)
        try:
            return Store(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {store_dir}: {exc}") from exc
    for _ in range(5):  # each retry means a build swapped and deleted the version just resolved
        path = store_version(store_dir)
        fd = os.open(path.parent / f"{path.name}{READERS_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_SH)
        if not _is_oxigraph_dir(path):
            os.close(fd)
            continue
        try:
            return HeldStore(Store.read_only(str(path)), fd)  # type: ignore[return-value]
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"cannot open the store at {store_dir}: {exc}") from exc
    raise NoStore(f"no store at {store_dir}: it kept changing while being opened")


class HeldStore:
    """A read-only pyoxigraph ``Store`` that holds its version's reader lock while it lives."""

    def __init__(self, store: Store, lock_fd: int) -> None:
        self._store, self._lock_fd = store, lock_fd

    def __getattr__(self, name: str):  # query, quads_for_pattern, named_graphs, dump…
        return getattr(self._store, name)

    def __len__(self) -> int:
        return len(self._store)

    def __iter__(self):
        return iter(self._store)

    def __del__(self) -> None:
        self._store = None  # close the store first, then let the version go
        fd, self._lock_fd = self._lock_fd, -1
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
