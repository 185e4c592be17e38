"""The names of the model: its labels in output order, TorchServe's name for it, its hub id.

Shared by the handler, the model tools and toxmon. The UI image has no handler, so it
keeps a copy (ui/toxicity_ui/model_names.py) that tests/unit/test_one_place.py holds equal.
"""

MODEL_NAME = "toxic-bert"            # the model's name in TorchServe: /predictions/toxic-bert
HUB_MODEL_ID = "unitary/toxic-bert"  # the real model on the Hugging Face hub

LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")

ID2LABEL = {index: label for index, label in enumerate(LABELS)}
LABEL2ID = {label: index for index, label in ID2LABEL.items()}

PROBLEM_TYPE = "multi_label_classification"
