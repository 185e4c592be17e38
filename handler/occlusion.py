"""Why a label scored high: occlusion over words.

Each word of the passage that drove a label is removed in turn and the passage is scored
again; a word's weight for a label is how much the label's logit drops without it (the
logit, not the score: a saturated score of 0.999 barely moves when one of two insults is
removed, its logit still does). It needs nothing but forward passes, so it works with every
runner (fp32, bf16, int8 ONNX), unlike gradient methods (Captum's integrated gradients needs
the fp32 torch model), and its rows ride the handler's length-grouped passes.

Its cost is one row per word, each as long as the passage. Occluding every word of a
256-token window would cost ~200 rows of 256 tokens, so a window longer than
`context_tokens` is first cut into passages of at most that many tokens, each scored alone
(one cheap row per passage), and the words are occluded in the passage that scored the
label highest. A passage of more than `max_units` words is occluded in runs of neighbours.
"""

import math
from dataclasses import dataclass, field


@dataclass
class Occlusion:
    window: int                                    # the window of the text the passage is in
    passage: list                                  # its words, each a list of token positions in the window
    units: list = field(default_factory=list)      # per occluded unit: its words
    rows: list = field(default_factory=list)       # (ids, type_ids) of the passage without that unit
    scores: list = field(default_factory=list)     # the model's scores for each row, once scored
    base: object = None                            # the passage's own scores, once scored


def words_of(encoding) -> list[list[int]]:
    """Token positions of each word of a window, in text order (special tokens excluded)."""
    words: dict[int, list[int]] = {}
    for position, word in enumerate(encoding.word_ids):
        if word is not None:
            words.setdefault(word, []).append(position)
    return list(words.values())


def passages(words: list, context_tokens: int) -> list[list]:
    """Consecutive runs of whole words of at most context_tokens tokens (a longer word alone)."""
    out, current, tokens = [], [], 0
    for word in words:
        if current and tokens + len(word) > context_tokens:
            out.append(current)
            current, tokens = [], 0
        current.append(word)
        tokens += len(word)
    return out + [current] if current else out


def passage_row(encoding, words: list, skip: frozenset = frozenset()) -> tuple[list, list]:
    """[CLS] + the passage's tokens (less the positions in skip) + [SEP], as model input."""
    positions = [p for word in words for p in word if p not in skip]
    first, last = 0, len(encoding.ids) - 1  # the window's own [CLS] and [SEP]
    keep = [first, *positions, last]
    return [encoding.ids[p] for p in keep], [encoding.type_ids[p] for p in keep]


def occlude(encoding, window: int, passage: list, max_units: int) -> Occlusion:
    """One row per word of the passage (or run of neighbouring words, past max_units) removed."""
    run = math.ceil(len(passage) / max_units) if passage else 1
    occlusion = Occlusion(window, passage, units=[passage[i:i + run] for i in range(0, len(passage), run)])
    for unit in occlusion.units:
        occlusion.rows.append(passage_row(encoding, passage, frozenset(p for word in unit for p in word)))
    return occlusion


def top_spans(text: str, encoding, occlusion: Occlusion, label_index: int, top: int) -> list[dict]:
    """The units whose removal lowers the label's logit most, strongest first (drops only)."""
    base = _logit(occlusion.base[label_index])
    weighted = [(base - _logit(scores[label_index]), unit) for unit, scores in zip(occlusion.units, occlusion.scores)]
    weighted = sorted((item for item in weighted if item[0] > 0), key=lambda item: -item[0])[:top]
    spans = []
    for weight, unit in weighted:
        start, end = encoding.offsets[unit[0][0]][0], encoding.offsets[unit[-1][-1]][1]
        spans.append({"start": start, "end": end, "text": text[start:end], "weight": round(weight, 4)})
    return spans


def _logit(score) -> float:
    score = min(max(float(score), 1e-7), 1 - 1e-7)
    return math.log(score / (1 - score))
