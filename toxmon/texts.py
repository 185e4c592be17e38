"""Where the texts to score come from: arguments, standard input, or a CSV / JSON Lines file.

Every input becomes an InputRow; a row that cannot be read (a broken JSON line, a
missing column) carries its problem instead of a text, so the run goes on and the
problem is reported with the row's number.
"""

import contextlib
import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

# The Jigsaw files name the text column comment_text; plain files often say text.
DEFAULT_COLUMNS = ("comment_text", "text")


class InputFileError(Exception):
    """The file as a whole cannot be read (not found, no such column)."""


@dataclass
class InputRow:
    number: int                 # 1-based: the line or data row people see in an editor
    text: str | None
    problem: str | None = None
    fields: dict = field(default_factory=dict)  # the row's other columns (labels, identities)
    row_id: str | None = None


def from_texts(texts) -> list[InputRow]:
    return [InputRow(number, text) for number, text in enumerate(texts, 1)]


def line_rows(stream):
    """One text per line; blank lines are skipped (they are no rows)."""
    for number, line in enumerate(stream, 1):
        if line.strip():
            yield InputRow(number, line.rstrip("\r\n"))


def from_stdin(stream=None) -> list[InputRow]:
    return list(line_rows(stream or sys.stdin))


def _pick_column(available, column: str | None, source) -> str:
    if column:
        if column not in available:
            raise InputFileError(f"{source}: no column {column!r} (columns: {', '.join(available)})")
        return column
    for candidate in DEFAULT_COLUMNS:
        if candidate in available:
            return candidate
    raise InputFileError(f"{source}: no {' or '.join(DEFAULT_COLUMNS)} column; choose one with --column "
                         f"(columns: {', '.join(available)})")


def csv_rows(handle, source, column: str | None = None):
    """The rows of an open CSV file (newline=""), read one by one. The header is read now, so a
    file without the text column is refused before anything is scored."""
    reader = csv.DictReader(handle)
    try:
        header = reader.fieldnames or []
    except (csv.Error, UnicodeDecodeError) as error:
        raise InputFileError(f"{source}: not a readable CSV file ({error})") from None
    name = _pick_column(header, column, source)

    def rows():
        number = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as error:
                number += 1
                yield InputRow(number, None, f"unreadable CSV row ({error})")
                continue
            number += 1
            text = record.get(name)
            problem = None if text is not None else f"the row has no {name!r} value"
            if None in record:  # more cells than the header has names
                problem = f"the row has {len(header) + len(record[None])} cells, the header {len(header)}"
                text = None
            yield InputRow(number, text, problem, record, record.get("id"))
    return rows()


def jsonl_rows(handle, column: str | None = None):
    """The rows of an open JSON Lines file (binary), one object per line, read one by one."""
    for number, raw in enumerate(handle, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield InputRow(number, None, f"not UTF-8 ({error})")
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            yield InputRow(number, None, f"not valid JSON ({error})")
            continue
        if not isinstance(record, dict):
            yield InputRow(number, None, "not a JSON object")
            continue
        name = column or next((c for c in DEFAULT_COLUMNS if c in record), DEFAULT_COLUMNS[-1])
        text = record.get(name)
        if not isinstance(text, str):
            yield InputRow(number, None, f"no string field {name!r}", record)
            continue
        yield InputRow(number, text, None, record, None if record.get("id") is None else str(record["id"]))


def input_format_of(path, asked: str = "auto") -> str:
    """csv, jsonl or lines: as asked, else by the name (.jsonl / .ndjson / .json are JSON Lines,
    other files CSV; standard input, "-", one text per line)."""
    if asked != "auto":
        return asked
    if str(path) == "-":
        return "lines"
    return "jsonl" if Path(path).suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"


def _open(path, binary: bool):
    if str(path) == "-":
        return contextlib.nullcontext(sys.stdin.buffer if binary else sys.stdin)
    try:
        return open(path, "rb") if binary else open(path, newline="", encoding="utf-8")
    except OSError as error:
        raise InputFileError(f"{path}: {error.strerror}") from None


@contextlib.contextmanager
def open_rows(path, column: str | None = None, input_format: str = "auto"):
    """The rows of a file or of standard input ("-"), read as they are consumed (memory stays
    flat whatever the size); InputFileError at once if the file or its column is missing."""
    kind = input_format_of(path, input_format)
    with _open(path, binary=kind == "jsonl") as handle:
        if kind == "csv":
            yield csv_rows(handle, path, column)
        elif kind == "jsonl":
            yield jsonl_rows(handle, column)
        else:
            yield line_rows(handle)


def count_rows(path, input_format: str = "auto") -> int | None:
    """How many rows open_rows will give (one quick pass, for the progress bar's total);
    None for standard input."""
    if str(path) == "-":
        return None
    kind = input_format_of(path, input_format)
    try:
        if kind == "csv":
            with open(path, newline="", encoding="utf-8", errors="replace") as handle:
                return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
        with open(path, "rb") as handle:
            return sum(1 for line in handle if line.strip())
    except (OSError, csv.Error):
        return None


def from_csv(path: Path, column: str | None = None) -> list[InputRow]:
    with open_rows(path, column, "csv") as rows:
        return list(rows)


def from_jsonl(path: Path, column: str | None = None) -> list[InputRow]:
    with open_rows(path, column, "jsonl") as rows:
        return list(rows)


def from_file(path: Path, column: str | None = None) -> list[InputRow]:
    """The whole file as a list (what an evaluation needs); CSV unless the name ends in
    .jsonl / .ndjson / .json."""
    with open_rows(path, column) as rows:
        return list(rows)


def join_labels(rows: list[InputRow], labels_path: Path) -> list[InputRow]:
    """Add the label columns of a separate file (joined on `id`), as the Jigsaw Toxic Comment
    test set ships them (test.csv + test_labels.csv). Rows it marks -1 everywhere were not
    scored in the challenge and are left out, as are rows it does not list."""
    try:
        with open(labels_path, newline="", encoding="utf-8") as handle:
            labelled = {record.get("id"): record for record in csv.DictReader(handle)}
    except (OSError, csv.Error, UnicodeDecodeError) as error:
        raise InputFileError(f"{labels_path}: cannot read it ({error})") from None
    if None in labelled or not labelled:
        raise InputFileError(f"{labels_path}: no `id` column or no rows")
    joined = []
    for row in rows:
        extra = labelled.get(row.row_id)
        if extra is None:
            continue
        values = [value for name, value in extra.items() if name != "id"]
        if values and all(value.strip() == "-1" for value in values):
            continue
        joined.append(InputRow(row.number, row.text, row.problem, {**row.fields, **extra}, row.row_id))
    if not joined:
        raise InputFileError(f"{labels_path}: no row of it matches an id of the texts")
    return joined
