"""Free TCP ports on 127.0.0.1 for servers started by tests and the benchmark.

Binding port 0 hands out a port from the kernel's ephemeral range, the same
range outgoing connections draw their local ports from. Under load (the
benchmark opens many client connections) one of them can take the port
between the check and the server's own bind, and TorchServe then dies with
"Address already in use". Ports below the ephemeral range are never used for
outgoing connections, so only another listener can collide, which the
test-bind below detects.
"""

import random
import socket
from pathlib import Path

FIRST_PORT = 20000
_handed_out: set[int] = set()


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    last = max(FIRST_PORT + 1000, _ephemeral_start() - 1)
    for _ in range(200):
        port = random.randint(FIRST_PORT, last)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port between {FIRST_PORT} and {last}")
