"""The text cut into segments for the page's highlighting of an explanation.

Each character takes the largest weight any explained label gives it; runs of characters
with the same level (0 = none, 1–4 = weak to strong, relative to the strongest span) become
one segment. The template wraps levels 1–4 in <mark class="w1">…<mark class="w4"> and
escapes the text: no inline style, so the page's Content-Security-Policy holds.
"""

import math

LEVELS = 4


def segments(text: str, explanation: dict) -> list[tuple[str, int, str]]:
    """(text, level, labels) runs covering the whole text, in order."""
    weights = [0.0] * len(text)
    labels = [set() for _ in text]
    for label, spans in explanation.items():
        for span in spans:
            for position in range(max(0, span["start"]), min(len(text), span["end"])):
                weights[position] = max(weights[position], span["weight"])
                labels[position].add(label)
    strongest = max(weights, default=0.0)
    runs = []
    for position, char in enumerate(text):
        level = math.ceil(LEVELS * weights[position] / strongest) if strongest > 0 and weights[position] > 0 else 0
        names = ", ".join(sorted(labels[position])).replace("_", " ") if level else ""
        if runs and runs[-1][1] == level and runs[-1][2] == names:
            runs[-1][0].append(char)
        else:
            runs.append(([char], level, names))
    return [("".join(chars), level, names) for chars, level, names in runs]
