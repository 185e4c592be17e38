"""Why a label scored high: occlusion over words.

Each word of the window that drove a label is removed in turn and the window is scored
again; a word's weight for a label is how much the label's logit drops without it (the
logit, not the score: a saturated score of 0.999 barely moves when one of two insults is
removed, its logit still does). It
needs nothing but forward passes, so it works with every runner (fp32, bf16, int8 ONNX),
unlike gradient methods (Captum's integrated gradients needs the fp32 torch model). The
cost is one extra row per word, scored in the same length-grouped passes as the texts;
it is capped at `max_units` rows per window by occluding runs of neighbouring words when
a window has more words than that.
"""

import math
from dataclasses import dataclass, field


@dataclass
class Occlusion:
    window: int                                    # which window of the text is explained
    spans: list = field(default_factory=list)      # (start, end) characters of each occluded unit
    rows: list = field(default_factory=list)       # (ids, type_ids) of the window without that unit
    scores: list = field(default_factory=list)     # the model's scores for each row, once scored


def occlude(encoding, window: int, max_units: int) -> Occlusion:
    """One row per word (or run of words) of the window, with that word's tokens removed."""
    words: dict[int, list[int]] = {}  # word id -> token positions, in text order
    for position, word in enumerate(encoding.word_ids):
        if word is not None:
            words.setdefault(word, []).append(position)
    units = list(words.values())
    run = math.ceil(len(units) / max_units) if units else 1
    units = [sum(units[i:i + run], []) for i in range(0, len(units), run)]
    occlusion = Occlusion(window)
    for positions in units:
        removed = set(positions)
        keep = [p for p in range(len(encoding.ids)) if p not in removed]
        occlusion.rows.append(([encoding.ids[p] for p in keep], [encoding.type_ids[p] for p in keep]))
        occlusion.spans.append((encoding.offsets[positions[0]][0], encoding.offsets[positions[-1]][1]))
    return occlusion


def _logit(score: float) -> float:
    score = min(max(score, 1e-7), 1 - 1e-7)
    return math.log(score / (1 - score))


def top_spans(text: str, occlusion: Occlusion, base_score: float, label_index: int, top: int) -> list[dict]:
    """The units whose removal lowers the label's logit most, strongest first (drops only)."""
    base = _logit(base_score)
    weighted = [(base - _logit(float(scores[label_index])), span)
                for scores, span in zip(occlusion.scores, occlusion.spans)]
    weighted = sorted((item for item in weighted if item[0] > 0), key=lambda item: -item[0])[:top]
    return [{"start": start, "end": end, "text": text[start:end], "weight": round(weight, 4)}
            for weight, (start, end) in weighted]
