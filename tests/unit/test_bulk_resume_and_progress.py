"""What --resume reads from an output file, and the progress lines of a run in a log."""

import io
import json

import pytest

from toxmon.output import CsvWriter, JsonLinesWriter
from toxmon.progress import Bar, PlainLines, progress
from toxmon.resume import ResumeError, done_rows
from toxmon.texts import InputRow

LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
RESULT = {"scores": {label: 0.1 for label in LABELS},
          "verdict": {"decision": "allow", "is_toxic": False, "labels": []}}


def written(writer_class, rows) -> bytes:
    out = io.StringIO(newline="")
    writer_class(out).write([(row, RESULT if row.text else None) for row in rows])
    return out.getvalue().encode()


def rows_of(numbers, text="a comment\nover two lines"):
    return [InputRow(number, text) for number in numbers]


@pytest.mark.parametrize("writer_class, format_", [(JsonLinesWriter, "json"), (CsvWriter, "csv")])
def test_a_complete_file_is_kept_whole(tmp_path, writer_class, format_):
    path = tmp_path / "out"
    path.write_bytes(written(writer_class, rows_of([2, 3, 5])))
    size = path.stat().st_size
    done = done_rows(path, format_)
    assert (done.last_row, done.records, done.cut_bytes) == (5, 3, 0) and path.stat().st_size == size


@pytest.mark.parametrize("writer_class, format_", [(JsonLinesWriter, "json"), (CsvWriter, "csv")])
def test_a_record_cut_anywhere_is_removed_and_the_rest_kept(tmp_path, writer_class, format_):
    whole = written(writer_class, rows_of([2, 3]))
    last = written(writer_class, rows_of([4]))
    if format_ == "csv":
        last = last.split(b"\r\n", 1)[1]  # the header is written once
    path = tmp_path / "out"
    for cut in range(1, len(last)):  # every byte the kill could have stopped at
        path.write_bytes(whole + last[:cut])
        done = done_rows(path, format_)
        assert (done.last_row, done.records) == (3, 2), cut
        assert path.read_bytes() == whole, cut


def test_a_csv_cut_inside_the_header_starts_again(tmp_path):
    path = tmp_path / "out.csv"
    path.write_bytes(b"row,id,te")
    done = done_rows(path, "csv")
    assert (done.last_row, done.records) == (0, 0) and path.read_bytes() == b""


def test_files_this_command_did_not_write_are_refused_untouched(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(ResumeError, match="header"):
        done_rows(other, "csv")
    backwards = tmp_path / "backwards.jsonl"
    backwards.write_text(json.dumps({"row": 5}) + "\n" + json.dumps({"row": 3}) + "\n")
    with pytest.raises(ResumeError, match="row 3 follows row 5"):
        done_rows(backwards, "json")
    with pytest.raises(ResumeError, match="needs --format json or csv"):
        done_rows(other, "table")
    assert other.read_text() == "a,b\n1,2\n"


def test_a_missing_or_empty_file_means_nothing_done(tmp_path):
    assert done_rows(tmp_path / "absent.jsonl", "json").records == 0
    (tmp_path / "empty.csv").write_text("")
    assert done_rows(tmp_path / "empty.csv", "csv").records == 0


def test_plain_lines_say_rows_rate_time_left_and_errors(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("toxmon.progress.time.monotonic", lambda: clock[0])
    stream = io.StringIO()
    lines = PlainLines(total=20_000, initial=2_000, stream=stream, every=10)
    clock[0] += 5
    lines.update(500)          # within 10 s of the start: nothing printed yet
    assert stream.getvalue() == ""
    clock[0] += 5
    lines.update(500, errors=3)
    assert stream.getvalue() == "toxmon: 3,000 of 20,000 rows (15.0%), 100.0 texts/s, 2:50 left, 3 errors\n"


def test_a_terminal_gets_a_bar_and_a_log_gets_lines():
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    assert isinstance(progress(10, stream=io.StringIO()), PlainLines)
    terminal = Terminal()
    bar = progress(10, stream=terminal)
    assert isinstance(bar, Bar)
    bar.update(4, errors=1)
    bar.close()
    drawn = terminal.getvalue()
    assert "4/10" in drawn and "errors=1" in drawn and "text/s" in drawn, drawn
