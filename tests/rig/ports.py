"""Free-port allocation for the test servers.

Every server in the rig binds to 127.0.0.1 on a port chosen here instead of a
fixed one, so several rigs (or a developer's own Pebble) can coexist.  A port
is only handed out when it is free for both TCP and UDP (DNS servers need
both), and never twice in one process, which removes collisions between
servers started by the same test run; collisions with other processes are
handled by the servers' start-up retry (see ``procs.PortClash``).
"""

from __future__ import annotations

import socket
import threading

_LOCK = threading.Lock()
_HANDED_OUT: set[int] = set()


def _is_free(port: int) -> bool:
    """True if 127.0.0.1:port can be bound right now for TCP and for UDP."""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port() -> int:
    """Return a 127.0.0.1 port free for TCP and UDP, unique within this process.

    The kernel picks the candidate (bind to port 0), so we stay inside the
    ephemeral range and never scan.
    """
    with _LOCK:
        for _ in range(200):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
            if port in _HANDED_OUT or not _is_free(port):
                continue
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError("could not find a free 127.0.0.1 port for TCP+UDP in 200 tries")
