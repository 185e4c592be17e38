"""What the servers under test use, summed over their process groups (TorchServe's JVM and
workers, gunicorn's workers): CPU seconds and resident memory, read from /proc."""

import os
import threading
from pathlib import Path


def group_pids(pgids: list[int]) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in pgids:
            pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pgids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in group_pids(pgids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        except OSError:
            pass
    return total


def rss_mb(pgids: list[int]) -> float:
    total = 0
    for pid in group_pids(pgids):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class PeakMemory:
    """Samples the servers' resident memory while a load level runs."""

    def __init__(self, pgids):
        self.pgids, self.peak, self._stop = pgids, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pgids))
            self._stop.wait(0.25)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
