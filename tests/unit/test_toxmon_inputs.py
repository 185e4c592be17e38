"""Reading texts for toxmon: every bad row is kept with its problem, never dropped silently."""

import io

import pytest

from toxmon.texts import InputFileError, from_csv, from_file, from_jsonl, from_stdin, join_labels


def test_csv_rows_keep_their_line_numbers_and_problems(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('id,text\n1,hello\n2,"two, with comma",extra cell\n3,\n')
    rows = from_csv(path)
    assert [(r.number, r.text, r.row_id) for r in rows] == [(2, "hello", "1"), (3, None, "2"), (4, "", "3")]
    assert "cells" in rows[1].problem
    assert rows[2].problem is None  # an empty text is the service's to refuse (422), not ours


def test_column_is_chosen_or_refused_clearly(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("body\nhello\n")
    with pytest.raises(InputFileError, match="--column"):
        from_csv(path)
    assert from_csv(path, "body")[0].text == "hello"
    with pytest.raises(InputFileError, match="no column 'nope'"):
        from_csv(path, "nope")


def test_jsonl_bad_lines_are_reported_by_number(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "fine"}\n{broken\n\n[1, 2]\n{"text": 5}\n{"comment_text": "ok", "id": 7}\n')
    rows = from_jsonl(path)
    assert [r.number for r in rows] == [1, 2, 4, 5, 6]
    assert [r.text for r in rows] == ["fine", None, None, None, "ok"]
    assert "not valid JSON" in rows[1].problem and "not a JSON object" in rows[2].problem
    assert rows[4].row_id == "7"


def test_a_missing_file_is_one_clear_error_and_a_non_utf8_line_is_that_rows_problem(tmp_path):
    with pytest.raises(InputFileError, match="No such file"):
        from_file(tmp_path / "absent.csv")
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"text": "fine"}\n{"text": "caf\xe9"}\n{"text": "also fine"}\n')
    rows = from_file(path)  # read line by line: one bad line does not lose the file
    assert [(r.number, r.text) for r in rows] == [(1, "fine"), (2, None), (3, "also fine")]
    assert "not UTF-8" in rows[1].problem


def test_stdin_skips_blank_lines():
    rows = from_stdin(io.StringIO("one\n\n  \ntwo\r\n"))
    assert [(r.number, r.text) for r in rows] == [(1, "one"), (4, "two")]


def test_labels_join_on_id_and_drop_unscored_rows(tmp_path):
    texts = tmp_path / "test.csv"
    texts.write_text("id,comment_text\na,first\nb,second\nc,third\n")
    labels = tmp_path / "test_labels.csv"
    labels.write_text("id,toxic,insult\na,1,0\nb,-1,-1\n")
    rows = join_labels(from_csv(texts), labels)
    assert [(r.row_id, r.fields["toxic"]) for r in rows] == [("a", "1")]
    other = tmp_path / "other.csv"
    other.write_text("id,toxic\nz,1\n")
    with pytest.raises(InputFileError, match="no row of it matches"):
        join_labels(from_csv(texts), other)
