"""Perspective's suggested scores: the store the UI writes, and `toxmon feedback` reading it."""

import csv
import subprocess
import sys
import time
from pathlib import Path

from toxicity_ui.feedback import FeedbackStore
from toxmon.evaluation import labelled_set
from toxmon.texts import from_file

TOXMON = str(Path(sys.executable).parent / "toxmon")


def store_with_rows(path: Path) -> FeedbackStore:
    store = FeedbackStore(str(path), retention_days=30)
    now = time.time()
    store.add("You are a moron.", {"toxic": 0.9, "insult": 1.0}, {}, ["en"], "/forum/news", "c1", None, "forum",
              now=now - 60)
    store.add("Nice photo. Go to hell.", {}, {"toxic": [[0, 11, 0.0], [12, 23, 0.8]]}, [], "/forum/news", None,
              "s1", "forum", now=now - 30)
    store.add("Get busy living.", {"toxic": 0.0}, {}, [], "/forum/movies", "c3", None, "anonymous", now=now)
    return store


def test_rows_keep_what_was_suggested_in_order(tmp_path):
    rows = store_with_rows(tmp_path / "feedback.sqlite").rows()
    assert [row["text"] for row in rows] == ["You are a moron.", "Nice photo. Go to hell.", "Get busy living."]
    assert rows[1]["spans"] == {"toxic": [[0, 11, 0.0], [12, 23, 0.8]]} and rows[1]["session_id"] == "s1"
    assert [row["text"] for row in FeedbackStore(str(tmp_path / "feedback.sqlite"), 30).rows("/forum/movies")] == \
        ["Get busy living."]


def test_rows_older_than_the_retention_are_deleted_on_the_next_write(tmp_path):
    store = FeedbackStore(str(tmp_path / "feedback.sqlite"), retention_days=1)
    store.add("old", {"toxic": 1.0}, {}, [], None, None, None, "anonymous", now=time.time() - 2 * 86400)
    store.add("new", {"toxic": 1.0}, {}, [], None, None, None, "anonymous")
    import sqlite3
    with sqlite3.connect(tmp_path / "feedback.sqlite") as connection:
        assert [text for text, in connection.execute("SELECT text FROM feedback")] == ["new"]


def test_export_writes_the_evaluation_format_that_evaluate_reads(tmp_path):
    store_with_rows(tmp_path / "feedback.sqlite")
    output = tmp_path / "feedback.csv"
    result = subprocess.run([TOXMON, "feedback", "export", "--feedback-file", str(tmp_path / "feedback.sqlite"),
                             "--retention-days", "30", "--output", str(output)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    with open(output, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["comment_text"], row["toxic"], row["insult"]) for row in rows] == [
        ("You are a moron.", "1", "1"), ("Nice photo. Go to hell.", "1", ""), ("Get busy living.", "0", "")]
    table = from_file(output, "comment_text")
    labelled = labelled_set(table, list(table[0].fields))  # as toxmon evaluate reads it
    assert labelled.labels == ["toxic", "insult"]
    assert list(labelled.truth["toxic"]) == [1.0, 1.0, 0.0]


def test_stats_summarise_by_community_key_and_label(tmp_path):
    store_with_rows(tmp_path / "feedback.sqlite")
    result = subprocess.run([TOXMON, "feedback", "stats", "--feedback-file", str(tmp_path / "feedback.sqlite"),
                             "--retention-days", "30"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "suggestions: 3" in result.stdout
    assert "by community: /forum/news 2, /forum/movies 1" in result.stdout
    assert "by API key: forum 2, anonymous 1" in result.stdout
    toxic = next(line for line in result.stdout.splitlines() if line.startswith("toxic "))
    assert toxic.split() == ["toxic", "3", "2", "0.450"]


def test_prune_deletes_what_the_retention_no_longer_keeps(tmp_path):
    store_with_rows(tmp_path / "feedback.sqlite")
    result = subprocess.run([TOXMON, "feedback", "prune", "--feedback-file", str(tmp_path / "feedback.sqlite"),
                             "--retention-days", "0.0005"], capture_output=True, text=True, timeout=60)  # 43 s: the row of 60 s ago
    assert result.returncode == 0 and "deleted 1 suggestions" in result.stdout, result.stdout + result.stderr
