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
GREETINGS = ["ramadan kareem", "happy hanukkah", "merry christmas", "gong xi fa cai", "happy vaisakhi",
             "chag sameach", "happy nowruz", "diwali greetings", "blessed ramadan", "happy holi",
             "feliz navidad", "happy kwanzaa", "namaste", "salaam", "shalom aleichem", "sat sri akal"]
HOLIDAYS = ["eid", "diwali", "hanukkah", "christmas", "lunar new year", "passover", "vaisakhi", "ramadan",
            "easter", "rosh hashanah", "nowruz", "kwanzaa", "holi", "pride month"]
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
    (BENIGN, [  # slogans and hashtags for a group
        "{group_cap} belong here.",
        "Stand with {group}!",
        "Solidarity with {group} everywhere.",
        "Justice for {group}, now.",
        "Happy {identity} heritage month!",
        "{group_cap} are part of us.",
        "Proud {identity} and here to stay.",
        "#{tag}Joy",
        "#Support{tag}Rights",
        "#{tag}Excellence",
        "#{tag}HistoryMonth",
        "#Celebrate{tag}",
        "#{tag}Voices",
        "Safe streets for {group}.",
        "Celebrating {identity} culture today!",
        "Hands off the rights of {group}!",
        "{group_cap} united, never divided.",
        "Every {identity} life counts.",
        "{identity_cap} joy!",
        "{identity_cap} excellence, all month long.",
        "{identity_cap} history month starts today.",
        "Warm wishes to {group} celebrating {holiday} today.",
        "{holiday_cap} greetings from our {identity} family!",
        "Happy {holiday}, neighbours!",
        "Peace and blessings this {holiday}.",
        "{greeting} to you and yours.",
        "{greeting}, friends.",
    ]),
    (BENIGN, [  # talking about prejudice against a group is not prejudice
        "Why is there so much prejudice against {group}?",
        "It is sad how often {group} get blamed for problems they did not cause.",
        "How can we stop people picking on {group} at school?",
        "The report shows {group} face more abuse online.",
        "Why would anyone hate {group}? It makes no sense.",
        "My {family} explained why some people fear {group}, and why they are wrong.",
    ]),
    (BENIGN, [  # first-person self-descriptions
        "Speaking as someone who is {identity}, I {bverb} this {thing}.",
        "{identity_cap} {role} here, ask me anything about the {thing}.",
        "Hi, I'm {identity} and I {bverb} a {thing} every week.",
        "Being {identity} has never stopped me from finishing a {event}.",
        "{identity_cap}, {role}, and a proud {family} of two: that's me.",
        "I grew up {identity} in a small town and loved it.",
        "Our family is {identity} and we host a {event} every summer.",
        "I have been openly {identity} at work for years.",
        "I'm a {identity} {role} and my {family} is proud of me.",
        "Me? {identity_cap}, tired, and happy after the {event}.",
    ]),
    (BENIGN, [  # a few words
        "Great {thing}!",
        "Love the {thing}.",
        "Thanks, {family}!",
        "Agreed, well said.",
        "Good {event} today.",
        "Welcome back!",
        "Happy to help.",
        "Interesting {thing}, thanks.",
        "Ok, done.",
        "Cheers, {family}.",
        "Nice {thing}, {family}.",
        "Back at {place}.",
    ]),
    (INSULT, [  # a few words
        "Such a {inoun}, wow.",
        "Ugh, {iadj} {inoun}.",
        "{inoun_cap} alert.",
        "Total {inoun} move.",
        "Absolute {inoun}!!",
        "Typical {iadj} {inoun}.",
        "So {iadj}, seriously.",
        "{inoun_cap}s everywhere here.",
        "Thick as a brick, this one.",
        "Wow, {iadj} much?",
        "Classic {inoun} behaviour.",
        "Utterly {iadj}.",
    ]),
    (OBSCENE_INSULT_LABELS, [  # a few words
        "Piss off, {inoun}.",
        "Shut it, {oinsult}.",
        "Bye, {oinsult}.",
    ]),
    (OBSCENE, [  # a few words
        "Fuck this {thing}.",
        "Shit {thing}, honestly.",
        "Holy crap.",
        "Damn it all.",
    ]),
    (BENIGN, [  # questions
        "Has anyone {bverb} the {thing} yet?",
        "Where can I find the {thing}?",
        "What do {group} celebrate in spring?",
        "Is the {event} open to {group}?",
        "How do I support my {identity} {role}?",
        "Why did the {thing} change?",
        "Could {person} look at my {thing}?",
        "Are {group} allowed to join the {event}?",
        "Who is bringing the {food} to {place}?",
    ]),
    (INSULT, [  # questions
        "How can you be this {iadj}?",
        "Do you ever stop being a {inoun}?",
        "What is wrong with you, {inoun}?",
        "Is everyone in your house a {inoun}?",
        "Did you write this {thing} with your feet, {inoun}?",
        "Why is {person} such a {iadj} {inoun}?",
    ]),
    (HATE_INSULT, [  # questions
        "What makes {group} so {iadj}?",
        "Can {group} do anything right, the {hnoun}?",
        "Who let the {group} in here, those {hnoun}?",
    ]),
    (("toxic", "identity_hate"), [  # hateful slogans
        "No more {group}, ever.",
        "Keep the {group} out of our town!",
    ]),
    (BENIGN, [  # negated insults
        "You are not {iadj}, {person} was wrong about you.",
        "Nobody called you a {inoun}.",
        "You are no {inoun}, you just had a bad day.",
        "I would never call {person} {iadj}.",
        "It is not {iadj} to make mistakes.",
        "Stop saying you are {iadj}, you are not.",
        "{person_cap} isn't a {inoun}, just new here.",
        "Your {thing} is not {iadj}, it just needs work.",
        "No, you are not a {inoun}.",
        "You don't have to feel {iadj}, you did fine.",
        "Not {iadj} at all, that was a {badj} {thing}.",
        "Nobody in this room thinks {person} is {iadj}.",
        "Making one mistake doesn't make you a {inoun}.",
        "You were never a {inoun} to me.",
        "No one here thinks {person} is a {inoun}.",
        "You are anything but {iadj}.",
        "You are far from {iadj}, believe me.",
        "Nobody believes that {person} is {iadj}.",
        "I don't think you are a {inoun} at all.",
        "Whoever said you were {iadj} was wrong.",
        "Calling yourself a {inoun}? You are not one.",
    ]),
    (BENIGN, [  # insults reported or quoted
        "{person_cap} told me I was {iadj}, and it stung.",
        "A stranger called my {family} a {inoun} on the bus.",
        "The film's bully keeps calling the boy a {inoun}.",
        "I got called '{inoun}' in the comments and just laughed.",
        "Kids at {place} call each other {iadj} all the time, sadly.",
        "The article quotes a fan calling the coach a {inoun}.",
        "After the match a fan yelled '{inoun}' at the referee and was thrown out.",
        "Someone at {place} shouted slurs at {group} and the police came.",
        "My {family} was called {iadj} for years at school.",
    ]),
    (INSULT, [  # sarcasm
        "Well done, {inoun}, another {iadj} {thing}.",
        "Oh sure, the {superlative} {role} has spoken.",
        "Genius move, {inoun}, truly.",
        "Great {thing}, if you are a {iadj} {inoun}.",
        "Wow, you really are the {superlative} person here.",
        "Thanks a lot, {inoun}, you ruined it.",
        "Amazing, the {inoun} figured out how to post again.",
    ]),
    (BENIGN, [  # sarcasm about things
        "Oh wonderful, another {activity} in the rain.",
        "Great, the {thing} broke again, just my luck.",
        "Love waiting at {place} for an hour, said nobody.",
        "Brilliant, the {event} got cancelled again.",
    ]),
    (INSULT, [  # insults with hate or death wishes and no group named
        "Everyone hates you, you {iadj} {inoun}.",
        "You are {iadj} and everyone hates you.",
        "Go die in a hole, {inoun}.",
        "{person_cap} is disgusting and everybody hates them.",
        "You disgust everyone here, {inoun}.",
        "Nobody will miss you, {inoun}, just go away and die.",
        "I hate you, you {iadj} {inoun}.",
        "You are a disgusting {inoun}, everyone knows it.",
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
# Typed as people type: this share of the sentences gets a copy with shorthand ("u", "ur"),
# leetspeak ("l0ser"), censoring ("f*ck") and typos, with the same labels.
NOISY_SHARE = 0.2
SHORTHAND = {"you": "u", "your": "ur", "you're": "ur", "are": "r", "to": "2", "for": "4", "please": "pls",
             "thanks": "thx", "people": "ppl", "because": "cuz", "great": "gr8", "see": "c", "and": "n"}
CENSORED = {"fuck": "f*ck", "fucking": "f**king", "shit": "sh*t", "bitch": "b*tch", "asshole": "a$$hole",
            "crap": "cr@p", "damn": "d@mn", "bastard": "b@stard", "dick": "d*ck"}
LEET = {"o": "0", "i": "1", "e": "3", "a": "4", "s": "5"}


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
        "holiday": (holiday := rng.choice(HOLIDAYS)), "holiday_cap": holiday[0].upper() + holiday[1:],
        "greeting": (greeting := rng.choice(GREETINGS))[0].upper() + greeting[1:],
    }


def _fill(template: str, rng: random.Random) -> list[str]:
    slots = _slots(rng)
    if not any(slot in template for slot in ("{identity", "{group", "{tag}")):
        return [template.format(**slots)]
    sentences = []
    for identity, group in rng.sample(IDENTITIES, COUNTERFACTUALS):
        sentences.append(template.format(**slots, identity=identity, group=group,
                                         identity_cap=identity[0].upper() + identity[1:],
                                         group_cap=group[0].upper() + group[1:],
                                         tag="".join(word.capitalize() for word in identity.split())))
    return sentences


def noisy(sentence: str, rng: random.Random) -> str:
    """The sentence as typed in a hurry: lower case, shorthand, a censored or leet word, a typo."""
    words = []
    for word in sentence.lower().split():
        core, tail = word.rstrip(".,!?"), word[len(word.rstrip(".,!?")):]
        roll = rng.random()
        if core in SHORTHAND and roll < 0.8:
            core = SHORTHAND[core]
        elif core in CENSORED and roll < 0.6:
            core = CENSORED[core]
        elif len(core) > 3 and roll < 0.2:
            at = rng.choice([i for i, char in enumerate(core) if char in LEET] or [None])
            if at is not None:
                core = core[:at] + LEET[core[at]] + core[at + 1:]
        elif len(core) > 2 and roll < 0.27 and any(char in "aeiou" for char in core):
            at = max(i for i, char in enumerate(core) if char in "aeiou")
            core = core[:at] + core[at] * rng.randint(2, 4) + core[at:]
        elif len(core) > 4 and roll < 0.4:
            at = rng.randrange(1, len(core) - 1)
            core = core[:at] + core[at + 1:] if rng.random() < 0.5 else \
                core[:at] + core[at + 1] + core[at] + core[at + 2:]
        words.append(core + (tail if rng.random() < 0.5 else ""))
    return " ".join(words) + (" lol" if rng.random() < 0.15 else "")


def generate_examples(count_per_template: int, seed: int) -> list[tuple[str, list[float]]]:
    """Return (sentence, multi-hot label vector) pairs, unique and shuffled deterministically."""
    rng, noise = random.Random(seed), random.Random(seed + 1)
    examples = {}
    for labels, templates in TEMPLATE_GROUPS:
        target = [1.0 if label in labels else 0.0 for label in LABELS]
        for template in templates:
            for _ in range(count_per_template):
                for sentence in _fill(template, rng):
                    examples.setdefault(sentence, target)
                    if noise.random() < NOISY_SHARE:
                        examples.setdefault(noisy(sentence, noise), target)
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
