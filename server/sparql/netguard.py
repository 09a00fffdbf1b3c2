"""The network guard: a query worker can open a connection to the federation proxy and nothing else.

Defence in depth behind the SERVICE check (``server.sparql.services``): even a query that got
past it could only reach citykg's own proxy, which forwards to the configured endpoints only.

How: a starting worker moves itself into a new, empty **network namespace** (Linux
``unshare(CLONE_NEWNET)``; as root directly, otherwise inside a new user namespace where that is
allowed), where the only interface is its own loopback. There it listens on ``127.0.0.1:PORT``
for each egress port (the proxy's), and hands those listening sockets to the server process
(``SCM_RIGHTS`` over its pipe). The server, still in the host's namespace, accepts on them and
relays each connection to the real ``127.0.0.1:PORT`` (``Bridge``). So a worker's call to the
proxy URL works unchanged, and a connection to any other address or port fails at once
("network unreachable" or "connection refused"): there is no route out.

Where namespaces are unavailable (not Linux, no privilege, user namespaces disabled) the guard
is reported off with the reason; ``citykg serve --network-guard required`` then refuses to start.
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import socket
import struct
import threading
from collections.abc import Sequence

log = logging.getLogger(__name__)

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1
MODES = ("auto", "required", "off")


class GuardUnavailable(OSError):
    """This process cannot be isolated (the reason says why)."""


def isolate(ports: Sequence[int], user_namespace: bool | None = None) -> list[socket.socket]:
    """Move this (single-threaded) process into a new network namespace holding only a loopback
    that listens on ``127.0.0.1:port`` for each of ``ports``; returns those listening sockets.

    ``user_namespace`` None: a plain network namespace as root, else one inside a new user
    namespace. Raises ``GuardUnavailable`` when neither can be made.
    """
    if not hasattr(os, "getuid") or not os.path.exists("/proc/self/ns/net"):
        raise GuardUnavailable("network namespaces need Linux")
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()
    plans = [True] if user_namespace else [False] if user_namespace is False else ([False, True] if uid == 0 else [True])
    errors = []
    for with_user in plans:
        flags = CLONE_NEWNET | (CLONE_NEWUSER if with_user else 0)
        if libc.unshare(flags) == 0:
            if with_user:
                _map_user(uid, gid)
            break
        errors.append(f"unshare({'user+net' if with_user else 'net'}): {os.strerror(ctypes.get_errno())}")
    else:
        raise GuardUnavailable("; ".join(errors))
    _loopback_up()
    listeners = []
    for port in ports:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        listeners.append(listener)
    return listeners


def interfaces() -> list[str]:
    """The network interfaces this process sees (only ``lo`` once isolated)."""
    return [name for _, name in socket.if_nameindex()]


def _map_user(uid: int, gid: int) -> None:
    """Inside the new user namespace, be root mapped onto the real user (files stay readable)."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
        except OSError as exc:
            if name != "setgroups":  # absent on old kernels
                raise GuardUnavailable(f"cannot write /proc/self/{name}: {exc.strerror}") from None


def _loopback_up() -> None:
    """``ip link set lo up`` inside the new namespace (a new namespace's loopback starts down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
        request = struct.pack("16sh14s", b"lo", 0, b"")
        flags = struct.unpack("16sh14s", fcntl.ioctl(control, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(control, _SIOCSIFFLAGS, struct.pack("16sh14s", b"lo", flags | _IFF_UP, b""))


class Bridge:
    """In the server process: accept on a worker's listening socket (in the worker's namespace)
    and relay each connection to ``127.0.0.1:port`` here."""

    def __init__(self, listener: socket.socket, port: int) -> None:
        self.listener, self.port = listener, port
        self._closed = False
        listener.settimeout(0.5)  # so close() is noticed without a connection
        self._thread = threading.Thread(target=self._accept, name=f"citykg-netguard-{port}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        try:
            self.listener.close()
        except OSError:
            pass

    def _accept(self) -> None:
        while not self._closed:
            try:
                inside, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            inside.settimeout(None)
            try:
                outside = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                outside.settimeout(None)
            except OSError as exc:
                log.warning("network guard: cannot reach 127.0.0.1:%d for a worker: %s", self.port, exc)
                inside.close()
                continue
            for source, sink in ((inside, outside), (outside, inside)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until end of stream, then pass the end on (each socket is
    closed when the second of its two pumps drops it)."""
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass
