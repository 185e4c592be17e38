"""What `toxmon score` writes, a row at a time: a table for people, JSON Lines or CSV for
programs; and the summary of a run.

Every input row gives one output row, its scores or its error, in input order, each
record written by one write() of whole lines (flushed per call of rows), so an interrupted
run leaves complete records and at most one cut line behind (resume.py reads both).
"""

import csv
import io
import json
import time
from collections import Counter

from labels import LABELS

from .api_client import ScoreError

SHORT = {"toxic": "toxic", "severe_toxic": "severe", "obscene": "obscene", "threat": "threat",
         "insult": "insult", "identity_hate": "id_hate"}
TEXT_WIDTH = 48
CSV_HEADER = ["row", "id", "text", "is_toxic", "labels", *LABELS, "error"]


def _clip(text: str, width: int = TEXT_WIDTH) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def problem_of(row, outcome) -> str | None:
    if row.problem:
        return row.problem
    if isinstance(outcome, ScoreError):
        return str(outcome)
    return None


def error_code_of(row, outcome) -> str | None:
    if row.problem:
        return "unreadable_row"
    if isinstance(outcome, ScoreError):
        return outcome.code
    return None


class TableWriter:
    def __init__(self, out, header: bool = True):
        self.out = out
        if header:
            out.write(f"{'row':>5}  {'verdict':<8}" + "".join(f"{SHORT[label]:>9}" for label in LABELS) + "  text\n")

    def record(self, row, outcome) -> str:
        problem = problem_of(row, outcome)
        if problem:
            return f"{row.number:>5}  {'ERROR':<8}  {problem}\n"
        verdict = "toxic" if outcome["verdict"]["is_toxic"] else "ok"
        scores = "".join(f"{outcome['scores'][label]:>9.3f}" for label in LABELS)
        return f"{row.number:>5}  {verdict:<8}{scores}  {_clip(row.text)}\n"

    def write(self, pairs) -> None:
        self.out.write("".join(self.record(row, outcome) for row, outcome in pairs))
        self.out.flush()


class JsonLinesWriter(TableWriter):
    def __init__(self, out, header: bool = True):
        self.out = out

    def record(self, row, outcome) -> str:
        record = {"row": row.number, "id": row.row_id, "text": row.text}
        problem = problem_of(row, outcome)
        if problem:
            record["error"] = problem
        else:
            record["result"] = outcome
        return json.dumps(record, ensure_ascii=False) + "\n"


class CsvWriter(TableWriter):
    def __init__(self, out, header: bool = True):
        self.out = out
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer)
        if header:
            out.write(self._line(CSV_HEADER))

    def _line(self, cells) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._csv.writerow(cells)
        return self._buffer.getvalue()

    def record(self, row, outcome) -> str:
        problem = problem_of(row, outcome)
        if problem:
            return self._line([row.number, row.row_id, row.text, "", "", *[""] * len(LABELS), problem])
        verdict = outcome["verdict"]
        return self._line([row.number, row.row_id, row.text, int(verdict["is_toxic"]), ";".join(verdict["labels"]),
                           *[f"{outcome['scores'][label]:.6f}" for label in LABELS], ""])


WRITERS = {"table": TableWriter, "json": JsonLinesWriter, "csv": CsvWriter}


class Tally:
    """What the summary says, counted as rows go by (no row is kept)."""

    def __init__(self, already_done: int = 0):
        self.started = time.monotonic()
        self.already_done = already_done  # rows a resumed run found in its output
        self.rows = self.scored = self.toxic = 0
        self.by_label = Counter()
        self.errors = Counter()
        self.first_failures = []          # (row number, problem), the first 20

    def add(self, row, outcome) -> None:
        self.rows += 1
        problem = problem_of(row, outcome)
        if problem:
            self.errors[error_code_of(row, outcome)] += 1
            if len(self.first_failures) < 20:
                self.first_failures.append((row.number, problem))
            return
        self.scored += 1
        self.toxic += bool(outcome["verdict"]["is_toxic"])
        self.by_label.update(outcome["verdict"]["labels"])

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    def summary(self, retries_honoured: int = 0, stopped: str | None = None) -> str:
        seconds = time.monotonic() - self.started
        lines = [f"scored {self.scored} of {self.rows} texts: {self.toxic} toxic"
                 + (f" ({self.toxic / self.scored:.0%})" if self.scored else "")]
        if self.already_done:
            lines.append(f"resumed after the {self.already_done} row(s) already in the output")
        lines.append(f"{seconds:.1f} s, {self.scored / seconds if seconds else 0:.1f} texts/s")
        if self.by_label:
            lines.append("by label: " + ", ".join(f"{label} {self.by_label[label]}" for label in LABELS
                                                  if self.by_label[label]))
        if retries_honoured:
            lines.append(f"the service asked to slow down {retries_honoured} time(s) (429/503 with Retry-After): waited")
        if self.failed:
            lines.append(f"{self.failed} row(s) not scored: " + ", ".join(f"{code} {count}" for code, count
                                                                         in self.errors.most_common()))
            lines += [f"  row {number}: {problem}" for number, problem in self.first_failures]
            if self.failed > len(self.first_failures):
                lines.append(f"  ... and {self.failed - len(self.first_failures)} more")
        if stopped:
            lines.append(f"stopped: {stopped}")
        return "\n".join(lines)
