"""The held-out evaluation set (toxmon/data/heldout_forms.csv) is kept apart from the demo's
training by form, not only by sentence: no sentence of it has the shape of any training
template, whatever fills the template's slots."""

import csv
import re

import pytest

from support.servers import ROOT
from toxmon.model import demo_data

HELDOUT = ROOT / "toxmon" / "data" / "heldout_forms.csv"
PUBLIC = ROOT / "toxmon" / "data" / "public_eval.csv"
# The forms the templates did not produce when the set was written (issue: a demo that holds up).
FORMS = {"slogan", "slogan_hate", "short_benign", "short_toxic", "self_description", "question_benign",
         "question_toxic", "negated_insult", "reported_insult", "sarcasm_toxic", "sarcasm_benign",
         "leetspeak_toxic", "typo_benign", "insult_no_group"}
LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")


def rows(path):
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def normalized(text: str) -> str:
    """Lower case, punctuation and symbols gone, single spaces: the shape without its dress."""
    return " ".join(re.sub(r"[^\w\s{}]", " ", text.lower()).split())


IDENTITY, GROUP = [i for i, _ in demo_data.IDENTITIES], [g for _, g in demo_data.IDENTITIES]
# What each slot of the templates holds; a slot may hold any words at all, as many as its own hold.
SLOTS = {"thing": demo_data.THINGS, "person": demo_data.PEOPLE, "person_cap": demo_data.PEOPLE,
         "family": demo_data.FAMILY, "event": demo_data.EVENTS, "food": demo_data.FOODS,
         "place": demo_data.PLACES, "activity": demo_data.ACTIVITIES, "iadj": demo_data.INSULT_ADJ,
         "inoun": demo_data.INSULT_NOUN, "inoun_cap": demo_data.INSULT_NOUN, "oadj": demo_data.OBSCENE_ADJ,
         "onoun": demo_data.OBSCENE_NOUN, "oinsult": demo_data.OBSCENE_INSULT, "tverb": demo_data.THREAT_VERB,
         "hnoun": demo_data.HATE_NOUN, "badj": demo_data.BENIGN_ADJ, "bverb": demo_data.BENIGN_VERB,
         "mneg": demo_data.MILD_NEG_ADJ, "compliment": demo_data.COMPLIMENT, "role": demo_data.ROLE,
         "superlative": demo_data.SUPERLATIVE, "identity": IDENTITY, "identity_cap": IDENTITY,
         "group": GROUP, "group_cap": GROUP, "tag": ["".join(i.split()) for i in IDENTITY],
         "holiday": demo_data.HOLIDAYS, "holiday_cap": demo_data.HOLIDAYS, "greeting": demo_data.GREETINGS}


def slot_pattern(name: str) -> str:
    lengths = [len(normalized(value).split()) for value in SLOTS[name]]
    return rf"\w+(?: \w+){{{min(lengths) - 1},{max(lengths) - 1}}}"


def shape(template: str) -> re.Pattern:
    """The template's words, each {slot} free to hold any words (as many as the slot's own)."""
    parts = re.split(r"\{(\w+)\}", normalized(template))
    return re.compile("".join(slot_pattern(part) if i % 2 else re.escape(part) for i, part in enumerate(parts)))


TEMPLATES = [template for _, templates in demo_data.TEMPLATE_GROUPS for template in templates]


def test_every_slot_of_every_template_is_known_here():
    used = {slot for template in TEMPLATES for slot in re.findall(r"\{(\w+)\}", template)}
    assert used <= set(SLOTS), used - set(SLOTS)


def test_the_set_covers_every_form_with_at_least_150_labelled_sentences():
    heldout = rows(HELDOUT)
    assert len(heldout) >= 150
    counts = {form: sum(row["category"] == form for row in heldout) for form in FORMS}
    assert {form: n for form, n in counts.items() if n < 5} == {}, counts
    assert {row["category"] for row in heldout} == FORMS
    assert all(row[label] in ("0", "1") for row in heldout for label in LABELS)
    assert len({row["comment_text"] for row in heldout}) == len(heldout), "a sentence twice"
    assert not {row["comment_text"] for row in heldout} & {row["comment_text"] for row in rows(PUBLIC)}


def test_the_shape_rule_finds_a_template_under_other_words():
    """The check itself: a template's sentence with new slot words is caught, in any dress."""
    [pattern] = [shape(t) for t in TEMPLATES if t == "You are a {iadj} {inoun}."]
    assert pattern.fullmatch(normalized("YOU are a hopeless Bozo!"))
    assert not pattern.fullmatch(normalized("You are not a moron."))


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_heldout_sentence_has_the_shape_of_a_training_template(template):
    pattern = shape(template)
    matching = [row["comment_text"] for row in rows(HELDOUT) if pattern.fullmatch(normalized(row["comment_text"]))]
    assert not matching, f"{template!r} produces {matching}"
