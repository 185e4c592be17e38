"""The bulk client's memory does not grow with the file: `toxmon score --file` over 10,000 and
200,000 rows, its peak resident memory measured by the kernel (ru_maxrss of the process).

The API is the stand-in of tests/support/fake_api.py, which answers at once: this measures the
client alone, and 200,000 rows through the real model would take an hour on two cores (the
real stack scores files in test_bulk_scoring.py and in `make bench`).
"""

import csv
import subprocess
import sys
from pathlib import Path

from support.fake_api import FakeApi

TOXMON = str(Path(sys.executable).parent / "toxmon")
PEAK = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def write_rows(path: Path, count: int) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment_text"])
        for n in range(1, count + 1):
            writer.writerow([n, f"a comment of the archive, about the garden and the weather, number {n}"])
    return path


def peak_kib(url: str, source: Path, output: Path) -> int:
    command = [sys.executable, "-c", PEAK, TOXMON, "score", "--url", url, "--file", str(source),
               "--format", "csv", "--output", str(output), "--batch-size", "64", "--concurrency", "6"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return int(result.stdout.split()[-1])


def test_peak_memory_is_the_same_for_10k_and_200k_rows(tmp_path):
    with FakeApi() as api:
        api.keep_calls = False
        small = peak_kib(api.base_url, write_rows(tmp_path / "10k.csv", 10_000), tmp_path / "10k-out.csv")
        large = peak_kib(api.base_url, write_rows(tmp_path / "200k.csv", 200_000), tmp_path / "200k-out.csv")
        assert api.texts_received == 210_000
    with open(tmp_path / "200k-out.csv", newline="") as handle:
        assert sum(1 for _ in csv.reader(handle)) == 200_001
    print(f"peak resident memory: 10,000 rows {small / 1024:.1f} MiB, 200,000 rows {large / 1024:.1f} MiB")
    # 20 times the rows: a client holding them would need about 20 times the memory of the rows
    # (tens of MB here); flat means the same peak within a few MiB of allocator noise.
    assert large - small < 8 * 1024, (small, large)
