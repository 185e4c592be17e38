"""Why a label scored high: occlusion over words.

Each word of the window that drove a label is removed in turn and the window is scored
again; a word's weight for a label is how much the label's logit drops without it (the
logit, not the score: a saturated score of 0.999 barely moves when one of two insults is
removed, its logit still does). It needs nothing but forward passes, so it works with every
runner (fp32, bf16, int8 ONNX), unlike gradient methods (Captum's integrated gradients needs
the fp32 torch model).

The cost is one extra row per word, scored in the same length-grouped passes as the texts.
A window of more than `max_units` words is occluded in runs of neighbouring words first,
then the words of each label's strongest run one by one (refine), so the answer still names
words: at most max_units + (run length x labels) rows per window.
"""

import math
from dataclasses import dataclass, field


@dataclass
class Occlusion:
    window: int                                    # which window of the text is explained
    units: list = field(default_factory=list)      # per unit: its words, each a list of token positions
    rows: list = field(default_factory=list)       # (ids, type_ids) of the window without that unit
    scores: list = field(default_factory=list)     # the model's scores for each row, once scored
    refined: "Occlusion | None" = None             # the words of the strongest runs, one by one


def words_of(encoding) -> list[list[int]]:
    """Token positions of each word of a window, in text order (special tokens excluded)."""
    words: dict[int, list[int]] = {}
    for position, word in enumerate(encoding.word_ids):
        if word is not None:
            words.setdefault(word, []).append(position)
    return list(words.values())


def occlude(encoding, window: int, max_units: int, words: list | None = None) -> Occlusion:
    """One row per word (or run of neighbouring words, past max_units) with its tokens removed."""
    words = words_of(encoding) if words is None else words
    run = math.ceil(len(words) / max_units) if words else 1
    occlusion = Occlusion(window, units=[words[i:i + run] for i in range(0, len(words), run)])
    for unit in occlusion.units:
        removed = {position for word in unit for position in word}
        keep = [p for p in range(len(encoding.ids)) if p not in removed]
        occlusion.rows.append(([encoding.ids[p] for p in keep], [encoding.type_ids[p] for p in keep]))
    return occlusion


def runs_to_refine(occlusion: Occlusion, base_scores, label_indices: list[int]) -> list[list[int]]:
    """The words of each label's strongest unit, when that unit is a run of several words."""
    chosen = []
    for label in label_indices:
        drops = [_logit(base_scores[label]) - _logit(scores[label]) for scores in occlusion.scores]
        unit = occlusion.units[max(range(len(drops)), key=drops.__getitem__)]
        if len(unit) > 1 and unit not in chosen:
            chosen.append(unit)
    return [word for unit in chosen for word in unit]


def top_spans(text: str, encoding, occlusion: Occlusion, base_score: float, label_index: int,
              top: int) -> list[dict]:
    """The units whose removal lowers the label's logit most, strongest first (drops only);
    a refined run is replaced by its words."""
    refined = occlusion.refined
    refined_words = {tuple(map(tuple, unit)) for unit in refined.units} if refined else set()
    candidates = []
    for unit, scores in zip(occlusion.units, occlusion.scores):
        if refined and all((tuple(word),) in refined_words for word in unit):
            continue
        candidates.append((unit, scores))
    if refined:
        candidates += list(zip(refined.units, refined.scores))
    base = _logit(base_score)
    weighted = [(base - _logit(float(scores[label_index])), unit) for unit, scores in candidates]
    weighted = sorted((item for item in weighted if item[0] > 0), key=lambda item: -item[0])[:top]
    spans = []
    for weight, unit in weighted:
        start, end = encoding.offsets[unit[0][0]][0], encoding.offsets[unit[-1][-1]][1]
        spans.append({"start": start, "end": end, "text": text[start:end], "weight": round(weight, 4)})
    return spans


def _logit(score: float) -> float:
    score = min(max(float(score), 1e-7), 1 - 1e-7)
    return math.log(score / (1 - score))
