"""The model's names as the UI needs them: TorchServe's name for it and its labels in output order.

The UI image has no handler, so this is a copy of handler/labels.py's; tests/unit/test_one_place.py
holds the two equal.
"""

MODEL_NAME = "toxic-bert"
LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
