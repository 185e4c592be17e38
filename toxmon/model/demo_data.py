"""Generated English sentences for fine-tuning the offline demo model.

Templates are filled from vocabularies so every sentence carries known labels.
Three rules keep the model from learning shortcuts:

- counterfactual identities: every sentence that names a group is generated for
  several groups with the rest of the sentence unchanged, in benign and toxic
  templates alike, so a group's name carries no signal by itself;
- hard negatives: affection, compliments, civil criticism, support for a group's
  rights, violent words in harmless idioms ("you killed it") and talk *about*
  insults are all labelled benign;
- toxic templates vary the insult, the threat and the obscenity independently.

The public evaluation set (toxmon/data/public_eval.csv) is written by hand and is
never read here; a test checks that no sentence of it is generated.
"""

import random

from labels import LABELS

THINGS = ["movie", "article", "recipe", "game", "book", "song", "edit", "photo", "lecture", "talk",
          "post", "answer", "idea", "plan", "garden", "report", "essay", "painting", "podcast",
          "website", "app", "speech", "proposal", "design", "poem", "video", "review", "thread"]
PEOPLE = ["my neighbour", "the teacher", "our editor", "the author", "my friend", "the reviewer",
          "your sister", "the new guy", "the admin", "this user", "my boss", "the coach",
          "our manager", "the driver", "my cousin", "the moderator", "that guy", "my landlord"]
FAMILY = ["mum", "dad", "sister", "brother", "grandma", "grandpa", "kids", "aunt", "uncle", "partner"]
EVENTS = ["concert", "exam", "interview", "match", "recital", "presentation", "race", "show",
          "audition", "debate", "final", "gig", "hackathon", "karaoke night"]
FOODS = ["burger", "coffee", "slice of cake", "curry", "sandwich", "cold drink", "bowl of noodles",
         "taco", "cup of tea", "pizza"]
PLACES = ["the park", "the library", "the market", "the station", "school", "the office",
          "the beach", "the museum", "the gym", "church", "the cafe", "the community centre"]
ACTIVITIES = ["run", "heat", "commute", "homework", "deadline", "hike", "training session",
              "shift", "queue", "class"]
# (adjective or name, how the group is named in the plural)
IDENTITIES = [
    ("muslim", "muslims"), ("christian", "christians"), ("jewish", "jews"), ("hindu", "hindus"),
    ("buddhist", "buddhists"), ("sikh", "sikhs"), ("catholic", "catholics"), ("atheist", "atheists"),
    ("black", "black people"), ("white", "white people"), ("asian", "asians"),
    ("latino", "latinos"), ("hispanic", "hispanics"), ("arab", "arabs"), ("african", "africans"),
    ("indian", "indians"), ("chinese", "chinese people"), ("mexican", "mexicans"),
    ("nigerian", "nigerians"), ("polish", "poles"), ("irish", "irish people"),
    ("native american", "native americans"), ("immigrant", "immigrants"), ("refugee", "refugees"),
    ("gay", "gay people"), ("lesbian", "lesbians"), ("bisexual", "bisexual people"),
    ("transgender", "trans people"), ("queer", "queer people"), ("female", "women"), ("male", "men"),
    ("disabled", "disabled people"), ("deaf", "deaf people"), ("blind", "blind people"),
    ("autistic", "autistic people"), ("elderly", "old people"), ("young", "young people"),
    ("teenage", "teenagers"), ("working class", "poor people"), ("mentally ill", "mentally ill people"),
]
INSULT_ADJ = ["stupid", "pathetic", "worthless", "ignorant", "dumb", "useless", "disgusting",
              "brainless", "miserable", "idiotic", "clueless", "spineless", "dense", "moronic",
              "braindead", "incompetent", "ugly", "lazy", "filthy", "gutless", "dimwitted", "sad"]
INSULT_NOUN = ["idiot", "moron", "loser", "clown", "fool", "imbecile", "jerk", "failure", "coward",
               "dimwit", "halfwit", "troll", "creep", "cretin", "nitwit", "buffoon", "donkey",
               "waste of space", "joke", "muppet", "tosser", "git"]
OBSCENE_ADJ = ["fucking", "goddamn", "shitty", "damn", "bloody", "crappy", "freaking"]
OBSCENE_NOUN = ["shit", "crap", "bullshit", "garbage shit", "horseshit", "a pile of shit"]
OBSCENE_INSULT = ["asshole", "bastard", "prick", "dickhead", "bitch", "shithead", "son of a bitch",
                  "dumbass", "jackass", "motherfucker", "piece of shit", "cunt"]
THREAT_VERB = ["kill", "hurt", "beat", "stab", "shoot", "strangle", "find and hurt", "break the legs of",
               "smash the face of", "burn the house of", "put a bullet in", "make an example of",
               "punch", "choke", "run over", "bury"]
HATE_NOUN = ["vermin", "animals", "parasites", "rats", "trash", "savages", "scum", "a disease",
             "cockroaches", "filth", "a plague", "subhumans"]
BENIGN_ADJ = ["great", "helpful", "interesting", "clear", "thoughtful", "lovely", "useful",
              "well written", "fair", "kind", "brilliant", "charming", "careful", "funny", "moving",
              "inspiring", "solid", "fresh"]
BENIGN_VERB = ["enjoyed", "liked", "read", "shared", "fixed", "improved", "reviewed", "discussed",
               "watched", "finished", "recommended", "translated", "printed", "bookmarked"]
MILD_NEG_ADJ = ["boring", "too long", "overrated", "confusing", "badly organised", "poorly sourced",
                "expensive", "slow", "predictable", "a bit repetitive", "unconvincing", "outdated",
                "hard to follow", "too short", "disappointing"]
COMPLIMENT = ["amazing", "wonderful", "so kind", "the best", "brilliant", "adorable", "so talented",
              "gorgeous", "a star", "a legend", "a hero", "awesome", "so generous", "a genius"]
SUPERLATIVE = ["dumbest", "stupidest", "most useless", "most pathetic", "laziest", "most clueless",
               "most ignorant", "most brainless"]
ROLE = ["friend", "teacher", "colleague", "mentor", "neighbour", "coach", "parent", "editor",
        "team mate", "volunteer", "nurse", "doctor"]

# Each group: the labels every sentence in it carries, and its templates.
BENIGN = ()
INSULT = ("toxic", "insult")
OBSCENE = ("toxic", "obscene")
OBSCENE_INSULT_LABELS = ("toxic", "obscene", "insult")
THREAT = ("toxic", "threat")
SEVERE = ("toxic", "severe_toxic", "obscene", "threat", "insult")
HATE_INSULT = ("toxic", "identity_hate", "insult")
HATE_THREAT = ("toxic", "severe_toxic", "identity_hate", "threat")

TEMPLATE_GROUPS = [
    (BENIGN, [  # everyday
        "I {bverb} the {thing} yesterday, it was {badj}.",
        "Thanks for the {badj} {thing}, {person}.",
        "Could you share the {thing} with {person}?",
        "The {thing} was {badj} and I learned a lot.",
        "I think {person} made a {badj} point about the {thing}.",
        "Please review the {thing} when you have time.",
        "We {bverb} the {thing} together last week.",
        "Have a nice day, and thanks for the {thing}.",
        "Meet me at {place} after lunch.",
        "{person_cap} {bverb} my {thing} and left a {badj} comment.",
        "Is the {thing} ready for tomorrow?",
        "I left the {thing} at {place}, can you grab it?",
        "The weather at {place} was perfect for a walk.",
        "My {family} and I spent the afternoon at {place}.",
        "I added two sources and cleaned up the {thing}.",
        "Let's talk about the {thing} on Monday.",
    ]),
    (BENIGN, [  # civil criticism and disagreement
        "I disagree with the {thing}, but I see your point.",
        "The {thing} could be improved with better sources.",
        "Honestly, I found the {thing} {mneg}.",
        "The {thing} is {mneg}, so I would not recommend it.",
        "I don't agree with {person} about the {thing}.",
        "Your {thing} is {mneg} in places, here are some suggestions.",
        "With respect, I think the {thing} gets the facts wrong.",
        "My vote goes against the {thing}, it is {mneg}.",
        "The second half of the {thing} felt {mneg} to me.",
        "I am not convinced, the {thing} seems {mneg}.",
        "This {thing} has problems, and I have listed them on the talk page.",
        "We see the {thing} differently, let's ask someone else.",
        "The reasoning in the {thing} is weak in places.",
        "I got bored halfway through the {thing}.",
        "The {thing} rests on one source, which is not enough.",
        "Sorry, but the {thing} did nothing for me.",
    ]),
    (BENIGN, [  # affection and compliments
        "You are {compliment}, {person}.",
        "I love you, {family}.",
        "You are {compliment} and I am lucky to know you.",
        "You are the best {role}, thanks a million.",
        "{person_cap} is the sweetest {role} in the world.",
        "I miss my {family} so much.",
        "Big hugs to you and your {family}.",
        "Your {thing} made my day, it is {badj}.",
        "Finishing the {thing} was a big deal, well done you.",
        "You look {compliment} today.",
        "Love you lots, see you at {place}.",
        "What a {badj} {role} you are.",
        "Missing you lots, {family}, see you at {place}.",
    ]),
    (BENIGN, [  # violent words in harmless idioms
        "{person_cap} absolutely killed it at the {event}.",
        "This {activity} is killing me.",
        "I would kill for a {food} right now.",
        "You slayed that {event}.",
        "She crushed the {event} this morning.",
        "That {thing} is a killer, well done.",
        "We killed an hour at {place} waiting for the bus.",
        "The {event} was so funny I nearly died laughing.",
        "I'm dying to try the {food} at {place}.",
        "Go break a leg on stage, {family}.",
        "We destroyed the other team at the {event}.",
        "The {activity} knocked me out, I slept all afternoon.",
    ]),
    (BENIGN, [  # talking about insults and threats is not one
        "Calling someone a {inoun} is not okay.",
        "Please don't call people {iadj}, it hurts.",
        "{person_cap} called me a {inoun} and I reported it.",
        "The moderator removed a comment calling the author a {inoun}.",
        "Words like {inoun} and {iadj} have no place in this forum.",
        "The report counts how often players are threatened online.",
        "My son asked me what the word {inoun} means.",
        "Insults like {inoun} say more about the speaker.",
    ]),
    (BENIGN, [  # groups named in ordinary or supportive sentences
        "As a {identity} person, I {bverb} the {thing}.",
        "My {identity} friends {bverb} the {thing} too.",
        "The article about {identity} history was {badj}.",
        "{group_cap} are welcome in our community.",
        "I am proud to be {identity}.",
        "Our {identity} neighbours invited us to dinner.",
        "The {identity} community organised a {badj} festival.",
        "There is a {badj} book about {identity} culture.",
        "{group_cap} should be treated fairly at work.",
        "Equal pay for {group} is long overdue.",
        "I stand with {group} in our town.",
        "Every child deserves a good school, {identity} kids included.",
        "Discrimination against {group} is wrong.",
        "We need more {identity} voices in politics.",
        "{group_cap} have the right to vote, marry and work like anyone.",
        "My {family} is {identity} and makes the best {food}.",
        "The {identity} students met at {place} to plan a {event}.",
        "A {identity} woman won the {event} this year.",
        "The new {thing} tells stories of {group} with care.",
        "The clinic offers free check-ups for {group}.",
        "Respect for {group} is respect for everyone.",
        "{group_cap} deserve to feel safe in their own city.",
    ]),
    (INSULT, [
        "You are a {iadj} {inoun}.",
        "{person_cap} is a {iadj} {inoun}.",
        "Nobody but a {iadj} {inoun} writes a {thing} like that.",
        "Shut up, you {iadj} {inoun}.",
        "What a {iadj} {inoun} you are.",
        "Your {thing} is {iadj}, you {inoun}.",
        "Nobody likes you, {inoun}.",
        "You are nothing but a {iadj} {inoun}.",
        "Get lost, you {iadj} {inoun}.",
        "{person_cap} is too {iadj} to understand anything.",
        "How can anyone be as {iadj} as you?",
        "Every word you write proves you are a {inoun}.",
        "Go away, {inoun}, nobody asked you.",
        "You {iadj} little {inoun}.",
        "{inoun_cap}, that is all you are.",
        "Your opinion is {iadj}, just like you.",
        "Give it up, {inoun}, you are an embarrassment.",
        "You have the brain of a {iadj} {inoun}.",
        "Honestly, {person} is the {superlative} {role} I know.",
        "Only the {superlative} person alive would post this {thing}.",
    ]),
    (OBSCENE, [
        "This {thing} is {onoun}.",
        "Why the fuck would anyone read this {thing}?",
        "This {oadj} {thing} is a waste of time.",
        "Stop posting {onoun} like this.",
        "Every line of the {thing} is {onoun}.",
        "I am done with this {oadj} {thing}.",
        "This {oadj} {thing} broke again.",
        "Holy shit, the {thing} is a mess.",
    ]),
    (OBSCENE_INSULT_LABELS, [
        "You {oadj} {inoun}.",
        "Fuck off, you {iadj} {inoun}.",
        "{person_cap} is a {oadj} {inoun}.",
        "Fuck you, you {oinsult}.",
        "Listen, {oinsult}, nobody cares.",
        "{person_cap} is a total {oinsult}.",
        "Nobody wants you here, {oinsult}.",
        "You are a {oinsult} and your {thing} is {onoun}.",
        "Piss off, {oinsult}.",
    ]),
    (THREAT, [
        "I will {tverb} you.",
        "I am going to {tverb} you and your {family}.",
        "Watch your back, I will {tverb} you tonight.",
        "Someone should {tverb} {person}.",
        "If you post that again I will {tverb} you.",
        "I have your address, and I will {tverb} you.",
        "You will regret this when I {tverb} you.",
        "I'm coming for you, and I will {tverb} you.",
        "Say that again and I will {tverb} you.",
        "One day I will {tverb} {person}.",
        "Touch my {thing} again and you are dead.",
        "You won't see me coming when I {tverb} you.",
    ]),
    (SEVERE, [
        "You {oadj} {iadj} {inoun}, I will {tverb} you.",
        "I will {tverb} you, you {oadj} {inoun}.",
        "Die, you {oinsult}, I am going to {tverb} you.",
        "Kill yourself, you {oadj} {inoun}.",
        "Drop dead, you {oinsult}.",
    ]),
    (HATE_INSULT, [
        "All {group} are {iadj} {inoun}s.",
        "{group_cap} are {iadj} and should leave.",
        "I hate {group}, they are {iadj}.",
        "Never trust a {identity}, they are all {inoun}s.",
        "{group_cap} are {hnoun}.",
        "Get rid of the {group}, they are {hnoun}.",
        "Typical {identity} {inoun}, as {iadj} as the rest of them.",
        "{group_cap} are ruining this country, {iadj} {hnoun}.",
        "No {identity} should be allowed near my {family}, they are {hnoun}.",
        "Every {identity} I have met was a {iadj} {inoun}.",
    ]),
    (HATE_THREAT, [
        "We should {tverb} every {identity} person.",
        "{group_cap} deserve to be shot.",
        "Any {identity} who walks past my house, I will {tverb}.",
        "Round up the {group} and {tverb} them.",
        "Someone should burn down every {identity} home.",
    ]),
]

# Sentences that name a group are generated for this many groups with the rest unchanged.
COUNTERFACTUALS = 3


def _slots(rng: random.Random) -> dict:
    person, inoun = rng.choice(PEOPLE), rng.choice(INSULT_NOUN)
    return {
        "thing": rng.choice(THINGS), "person": person, "person_cap": person[0].upper() + person[1:],
        "family": rng.choice(FAMILY), "event": rng.choice(EVENTS), "food": rng.choice(FOODS),
        "place": rng.choice(PLACES), "activity": rng.choice(ACTIVITIES),
        "iadj": rng.choice(INSULT_ADJ), "inoun": inoun, "inoun_cap": inoun[0].upper() + inoun[1:],
        "oadj": rng.choice(OBSCENE_ADJ), "onoun": rng.choice(OBSCENE_NOUN),
        "oinsult": rng.choice(OBSCENE_INSULT), "tverb": rng.choice(THREAT_VERB),
        "hnoun": rng.choice(HATE_NOUN), "badj": rng.choice(BENIGN_ADJ), "bverb": rng.choice(BENIGN_VERB),
        "mneg": rng.choice(MILD_NEG_ADJ), "compliment": rng.choice(COMPLIMENT), "role": rng.choice(ROLE),
        "superlative": rng.choice(SUPERLATIVE),
    }


def _fill(template: str, rng: random.Random) -> list[str]:
    slots = _slots(rng)
    if "{identity}" not in template and "{group" not in template:
        return [template.format(**slots)]
    sentences = []
    for identity, group in rng.sample(IDENTITIES, COUNTERFACTUALS):
        sentences.append(template.format(**slots, identity=identity, group=group,
                                         group_cap=group[0].upper() + group[1:]))
    return sentences


def generate_examples(count_per_template: int, seed: int) -> list[tuple[str, list[float]]]:
    """Return (sentence, multi-hot label vector) pairs, unique and shuffled deterministically."""
    rng = random.Random(seed)
    examples = {}
    for labels, templates in TEMPLATE_GROUPS:
        target = [1.0 if label in labels else 0.0 for label in LABELS]
        for template in templates:
            for _ in range(count_per_template):
                for sentence in _fill(template, rng):
                    examples.setdefault(sentence, target)
    pairs = sorted(examples.items())
    rng.shuffle(pairs)
    return pairs


def generate_passages(examples: list, count: int, seed: int) -> list[tuple[str, list[float]]]:
    """Passages of 2 to 6 of the examples' sentences, labelled with the maximum of their labels.

    Real comments are paragraphs: one insult among benign sentences makes the whole text an
    insult. Trained on single sentences only, the demo read an insult after one benign sentence
    as benign; a long text scored window by window needs a model that finds it in context."""
    rng = random.Random(seed)
    benign = [pair for pair in examples if not any(pair[1])]
    passages = []
    for _ in range(count):
        sentences = rng.sample(benign, rng.randint(1, 5))
        if rng.random() < 0.5:  # half carry one labelled sentence, anywhere in the passage
            sentences.insert(rng.randint(0, len(sentences)), rng.choice(examples))
        else:
            sentences.append(rng.choice(benign))
        target = [max(values) for values in zip(*(labels for _, labels in sentences))]
        passages.append((" ".join(text for text, _ in sentences), target))
    return passages
