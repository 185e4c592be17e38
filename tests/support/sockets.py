"""The TCP sockets a process tree listens on (what `ss -ltnp` shows), read by psutil."""

import psutil


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket of `pid` and its children."""
    root = psutil.Process(pid)
    found = set()
    for process in (root, *root.children(recursive=True)):
        for connection in process.net_connections(kind="tcp"):
            if connection.status == psutil.CONN_LISTEN:
                host = connection.laddr.ip.removeprefix("::ffff:")  # an IPv4 address on a dual-stack socket
                found.add((host, connection.laddr.port))
    return found
