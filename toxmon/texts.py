"""Where the texts to score come from: arguments, standard input, or a CSV / JSON Lines file.

Every input becomes an InputRow; a row that cannot be read (a broken JSON line, a
missing column) carries its problem instead of a text, so the run goes on and the
problem is reported with the row's number.
"""

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


def from_stdin(stream=None) -> list[InputRow]:
    """One text per line; blank lines are skipped."""
    stream = stream or sys.stdin
    return [InputRow(number, line.rstrip("\r\n")) for number, line in enumerate(stream, 1)
            if line.strip()]


def _pick_column(available, column: str | None, path: Path) -> str:
    if column:
        if column not in available:
            raise InputFileError(f"{path}: no column {column!r} (columns: {', '.join(available)})")
        return column
    for candidate in DEFAULT_COLUMNS:
        if candidate in available:
            return candidate
    raise InputFileError(f"{path}: no {' or '.join(DEFAULT_COLUMNS)} column; choose one with --column "
                         f"(columns: {', '.join(available)})")


def from_csv(path: Path, column: str | None = None) -> list[InputRow]:
    try:
        handle = open(path, newline="", encoding="utf-8")
    except OSError as error:
        raise InputFileError(f"{path}: {error.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
        except (csv.Error, UnicodeDecodeError) as error:
            raise InputFileError(f"{path}: not a readable CSV file ({error})") from None
        name = _pick_column(header, column, path)
        rows = []
        number = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as error:
                number += 1
                rows.append(InputRow(number, None, f"unreadable CSV row ({error})"))
                continue
            number += 1
            text = record.get(name)
            problem = None if text is not None else f"the row has no {name!r} value"
            if None in record:  # more cells than the header has names
                problem = f"the row has {len(header) + len(record[None])} cells, the header {len(header)}"
                text = None
            rows.append(InputRow(number, text, problem, record, record.get("id")))
        return rows


def from_jsonl(path: Path, column: str | None = None) -> list[InputRow]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputFileError(f"{path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path}: not UTF-8 ({error})") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            rows.append(InputRow(number, None, f"not valid JSON ({error})"))
            continue
        if not isinstance(record, dict):
            rows.append(InputRow(number, None, "not a JSON object"))
            continue
        name = column or next((c for c in DEFAULT_COLUMNS if c in record), DEFAULT_COLUMNS[-1])
        text = record.get(name)
        if not isinstance(text, str):
            rows.append(InputRow(number, None, f"no string field {name!r}", record))
            continue
        rows.append(InputRow(number, text, None, record, None if record.get("id") is None else str(record["id"])))
    return rows


def from_file(path: Path, column: str | None = None) -> list[InputRow]:
    """CSV unless the name ends in .jsonl / .ndjson / .json."""
    if Path(path).suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return from_jsonl(path, column)
    return from_csv(path, column)


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
