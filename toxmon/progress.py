"""Where a long `toxmon score` is: a bar on a terminal, plain lines in a log.

On a terminal tqdm (already the evaluation's progress bar) draws rows done, texts/s and
the time left; when standard error is a file or a pipe (CI, nohup, a cron job) a bar
would be thousands of carriage returns, so a line like

    toxmon: 12,000 of 20,000 rows (60.0%), 85.2 texts/s, 1:34 left, 3 errors

is printed every `every` seconds instead.
"""

import sys
import time


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class PlainLines:
    def __init__(self, total: int | None, initial: int, stream, every: float):
        self.total, self.done, self.errors = total, initial, 0
        self.stream, self.every = stream, every
        self.started = self.last = time.monotonic()
        self.counted = 0  # rows of this run (a resumed run's earlier rows do not count for the rate)

    def update(self, rows: int, errors: int = 0) -> None:
        self.done += rows
        self.counted += rows
        self.errors += errors
        if time.monotonic() - self.last >= self.every:
            self.print()

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.counted / elapsed if elapsed > 0 else 0.0
        parts = [f"{self.done:,} of {self.total:,} rows ({self.done / self.total:.1%})" if self.total
                 else f"{self.done:,} rows"]
        parts.append(f"{rate:.1f} texts/s")
        if self.total and rate > 0:
            parts.append(f"{_clock((self.total - self.done) / rate)} left")
        parts.append(f"{self.errors} error{'s' if self.errors != 1 else ''}")
        return "toxmon: " + ", ".join(parts)

    def print(self) -> None:
        self.last = time.monotonic()
        print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        pass


class Bar:
    def __init__(self, total: int | None, initial: int, stream):
        from tqdm import tqdm
        self.errors = 0
        self.bar = tqdm(total=total, initial=initial, desc="rows", unit="text", file=stream, dynamic_ncols=True)

    def update(self, rows: int, errors: int = 0) -> None:
        if errors:
            self.errors += errors
            self.bar.set_postfix(errors=self.errors, refresh=False)
        self.bar.update(rows)

    def close(self) -> None:
        self.bar.close()


def progress(total: int | None, initial: int = 0, stream=None, every: float = 10.0):
    stream = stream or sys.stderr
    if stream.isatty():
        return Bar(total, initial, stream)
    return PlainLines(total, initial, stream, every)
