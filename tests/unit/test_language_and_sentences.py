"""Language detection (toxic-bert reads English only) and Perspective's sentence spans."""

import csv
from pathlib import Path

import pytest

from toxicity_ui.language import detect
from toxmon.bench.language_detection import english_comments
from toxicity_ui.sentences import sentence_spans

DATA = Path(__file__).resolve().parents[2] / "toxmon" / "data"


def test_no_english_comment_of_the_evaluation_sets_is_taken_for_another_language():
    refused = [text for text in english_comments() if not detect(text).supported]
    assert refused == []


def test_most_comments_in_other_languages_are_recognised():
    with open(DATA / "other_languages.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    found = [row for row in rows if detect(row["text"]).code == row["language"]]
    assert len(found) >= 0.75 * len(rows), [row["text"] for row in rows if row not in found]


def test_an_unsure_guess_is_english_and_says_what_was_guessed():
    language = detect("lol")
    assert language.code == "en" and language.supported
    assert language.detected and 0 <= language.confidence <= 1


def test_a_text_without_letters_has_no_language():
    assert detect("12345 🙂 !!!").code is None and not detect("12345").supported


@pytest.mark.parametrize("text, spans", [
    ("What kind of idiot name is foo? Sorry, I like your name.", [(0, 31), (32, 56)]),
    ("Mr. Smith went to Washington. He said no.", [(0, 29), (30, 41)]),
    ("  one sentence  ", [(2, 14)]),
    ("first line\n\nsecond line", [(0, 10), (12, 23)]),
    ("no end", [(0, 6)]),
])
def test_sentences_are_spans_of_the_text(text, spans):
    assert sentence_spans(text) == spans
