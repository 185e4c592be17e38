"""Continue an interrupted `toxmon score --output FILE`: what FILE already holds.

A run killed mid-file leaves complete records and perhaps one cut record at the end.
done_rows() reads the file record by record, keeps the byte offset after the last complete
one, cuts the file there and returns the last input row number it holds, so the resumed run
skips exactly the rows already written: none twice, none lost.
"""

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from .output import CSV_HEADER


class ResumeError(Exception):
    """The output file is not one this command wrote in this format."""


@dataclass
class Done:
    last_row: int   # the input row number of the last complete record (0: none)
    records: int    # complete records kept
    cut_bytes: int  # bytes of a cut record removed from the end


def _lines_with_offsets(handle):
    """The file's lines decoded, with the byte offset after each."""
    offset = 0
    for raw in handle:
        offset += len(raw)
        yield raw.decode("utf-8", errors="replace"), offset, raw.endswith(b"\n")


def _jsonl_records(handle):
    for line, offset, whole in _lines_with_offsets(handle):
        if not whole:
            return  # a last line without its newline was cut
        try:
            record = json.loads(line)
            yield int(record["row"]), offset
        except (ValueError, KeyError, TypeError):
            return


def _csv_records(handle, path):
    position = {"offset": 0, "whole": True}

    def lines():
        for line, offset, whole in _lines_with_offsets(handle):
            position.update(offset=offset, whole=whole)
            yield line

    reader = csv.reader(lines())
    try:
        header = next(reader, None)
        if header is None or not position["whole"]:
            return  # nothing, or a header cut before its end: start the file again
        if header != CSV_HEADER:
            raise ResumeError(f"{path}: its header is not `toxmon score --format csv`'s")
        yield 0, position["offset"]
        for cells in reader:
            if len(cells) != len(CSV_HEADER) or not position["whole"]:
                return
            yield int(cells[0]), position["offset"]
    except (csv.Error, ValueError):
        return


def done_rows(path: Path, format_: str) -> Done:
    """What path holds, its cut last record removed. A missing or empty file: nothing done."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return Done(0, 0, 0)
    if format_ not in ("json", "csv"):
        raise ResumeError("--resume needs --format json or csv (a table cannot be continued)")
    size = path.stat().st_size
    last_row, records, kept = 0, 0, 0
    with open(path, "rb") as handle:
        found = _jsonl_records(handle) if format_ == "json" else _csv_records(handle, path)
        for row, offset in found:
            if row and row <= last_row:
                raise ResumeError(f"{path}: row {row} follows row {last_row}; not a file this command wrote")
            if row:
                last_row, records = row, records + 1
            kept = offset
    if kept < size:
        with open(path, "r+b") as handle:
            handle.truncate(kept)
    return Done(last_row, records, size - kept)
