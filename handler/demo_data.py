"""Generated English sentences for fine-tuning the offline demo model.

Templates are filled from small vocabularies so every sentence carries known
labels. Benign sentences deliberately mention identities, so the demo model
learns that naming a group is not toxic by itself. The held-out evaluation
sentences in the tests are written by hand and never come from here.
"""

import itertools
import random

from labels import LABELS

THINGS = ["movie", "article", "recipe", "game", "book", "song", "edit", "photo",
          "lecture", "talk", "post", "answer", "idea", "plan", "garden", "city"]
PEOPLE = ["my neighbour", "the teacher", "our editor", "the author", "my friend",
          "the reviewer", "your sister", "the new guy", "the admin", "this user"]
IDENTITIES = ["muslim", "christian", "jewish", "gay", "black", "white", "asian",
              "mexican", "female", "male", "immigrant", "disabled", "trans",
              "african", "catholic", "lesbian", "old", "young"]
INSULT_ADJ = ["stupid", "pathetic", "worthless", "ignorant", "dumb", "useless",
              "disgusting", "brainless", "miserable", "idiotic"]
INSULT_NOUN = ["idiot", "moron", "loser", "clown", "fool", "imbecile", "jerk",
               "failure", "coward", "dimwit"]
OBSCENE = ["shit", "crap", "fucking", "damn", "bullshit", "goddamn"]
OBSCENE_NOUN = ["shit", "crap", "bullshit", "garbage shit"]
THREAT_VERB = ["kill", "hurt", "beat", "stab", "shoot", "destroy", "find and hurt",
               "break the legs of", "burn the house of"]
BENIGN_ADJ = ["great", "helpful", "interesting", "clear", "thoughtful", "lovely",
              "useful", "well written", "fair", "kind"]
BENIGN_VERB = ["enjoyed", "liked", "read", "shared", "fixed", "improved", "reviewed",
               "discussed", "watched", "finished"]

# Each group: templates and the labels every sentence from them carries.
TEMPLATE_GROUPS = [
    ((), [
        "I {bverb} the {thing} yesterday, it was {badj}.",
        "Thanks for the {badj} {thing}, {person}.",
        "Could you share the {thing} with {person}?",
        "The {thing} was {badj} and I learned a lot.",
        "I think {person} made a {badj} point about the {thing}.",
        "Please review the {thing} when you have time.",
        "We {bverb} the {thing} together last week.",
        "I disagree with the {thing}, but I see your point.",
        "The {thing} could be improved with better sources.",
        "Have a nice day, and thanks for the {thing}.",
    ]),
    ((), [
        "As a {identity} person, I {bverb} the {thing}.",
        "My {identity} friends {bverb} the {thing} too.",
        "The article about {identity} history was {badj}.",
        "{identity_cap} people are welcome in our community.",
        "I am proud to be {identity}.",
        "Our {identity} neighbours invited us to dinner.",
        "The {identity} community organised a {badj} festival.",
        "There is a {badj} book about {identity} culture.",
    ]),
    (("toxic", "insult"), [
        "You are a {iadj} {inoun}.",
        "{person} is a {iadj} {inoun}.",
        "Only a {iadj} {inoun} would write this {thing}.",
        "Shut up, you {iadj} {inoun}.",
        "What a {iadj} {inoun} you are.",
        "Your {thing} is {iadj}, you {inoun}.",
    ]),
    (("toxic", "obscene"), [
        "This {thing} is {onoun}.",
        "What the {obscene} is this {thing}?",
        "This {obscene} {thing} is a waste of time.",
        "Stop posting {onoun} like this.",
    ]),
    (("toxic", "obscene", "insult"), [
        "You {obscene} {inoun}.",
        "Shut the {obscene} up, you {iadj} {inoun}.",
        "{person} is a {obscene} {inoun}.",
    ]),
    (("toxic", "threat"), [
        "I will {tverb} you.",
        "I am going to {tverb} you and your family.",
        "Watch your back, I will {tverb} you tonight.",
        "Someone should {tverb} {person}.",
        "If you post that again I will {tverb} you.",
    ]),
    (("toxic", "severe_toxic", "obscene", "insult", "threat"), [
        "You {obscene} {iadj} {inoun}, I will {tverb} you.",
        "I will {tverb} you, you {obscene} {inoun}.",
        "Die, you {obscene} {inoun}, I am going to {tverb} you.",
    ]),
    (("toxic", "identity_hate", "insult"), [
        "All {identity} people are {iadj} {inoun}s.",
        "{identity_cap} people are {iadj} and should leave.",
        "I hate {identity} people, they are {iadj}.",
        "Never trust a {identity}, they are all {inoun}s.",
    ]),
    (("toxic", "identity_hate", "threat"), [
        "We should {tverb} every {identity} person.",
        "{identity_cap} people deserve to be shot.",
    ]),
]


def _fill(template: str, rng: random.Random) -> str:
    identity = rng.choice(IDENTITIES)
    return template.format(
        thing=rng.choice(THINGS), person=rng.choice(PEOPLE), identity=identity,
        identity_cap=identity.capitalize(), iadj=rng.choice(INSULT_ADJ),
        inoun=rng.choice(INSULT_NOUN), obscene=rng.choice(OBSCENE),
        onoun=rng.choice(OBSCENE_NOUN), tverb=rng.choice(THREAT_VERB),
        badj=rng.choice(BENIGN_ADJ), bverb=rng.choice(BENIGN_VERB),
    )


def generate_examples(count_per_template: int, seed: int) -> list[tuple[str, list[float]]]:
    """Return (sentence, multi-hot label vector) pairs, shuffled deterministically."""
    rng = random.Random(seed)
    examples = []
    for labels, templates in TEMPLATE_GROUPS:
        target = [1.0 if label in labels else 0.0 for label in LABELS]
        for template, _ in itertools.product(templates, range(count_per_template)):
            examples.append((_fill(template, rng), target))
    rng.shuffle(examples)
    return examples
