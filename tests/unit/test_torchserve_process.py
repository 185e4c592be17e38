"""Starting TorchServe: a run directory whose worker sockets Linux cannot name is refused at
once, instead of TorchServe retrying its workers forever ("AF_UNIX path too long")."""

import socket

import pytest

from toxmon import torchserve_process


def run_dir_giving_a_socket_path_of(tmp_path, length):
    socket_tail = len(f"/tmp/{torchserve_process.WORKER_SOCKET}")
    return tmp_path / ("d" * (length - socket_tail - len(str(tmp_path)) - 1))


def test_a_run_directory_too_long_for_the_worker_sockets_is_refused_before_anything_starts(tmp_path):
    run_dir = run_dir_giving_a_socket_path_of(tmp_path, torchserve_process.UNIX_SOCKET_PATH_MAX + 1)
    ports = torchserve_process.Ports(1, 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"too long for TorchServe's worker sockets \(108 bytes, at most 107\)"):
        torchserve_process.start(run_dir, tmp_path, ports)
    assert not run_dir.exists()


def test_the_limit_is_the_kernels(tmp_path):
    """The longest accepted path binds; one byte more is what the kernel refuses."""
    longest = run_dir_giving_a_socket_path_of(tmp_path, torchserve_process.UNIX_SOCKET_PATH_MAX)
    torchserve_process.check_socket_path(longest)
    (longest / "tmp").mkdir(parents=True)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(longest / "tmp" / torchserve_process.WORKER_SOCKET))
    too_long = run_dir_giving_a_socket_path_of(tmp_path, torchserve_process.UNIX_SOCKET_PATH_MAX + 1)
    (too_long / "tmp").mkdir(parents=True)
    with socket.socket(socket.AF_UNIX) as sock, pytest.raises(OSError, match="too long"):
        sock.bind(str(too_long / "tmp" / torchserve_process.WORKER_SOCKET))
