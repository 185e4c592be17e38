"""The label set of unitary/toxic-bert, in the model's output order.

Shared by the handler, the model preparation and the tests so there is one
source of truth for the order that `id2label` must have.
"""

LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")

ID2LABEL = {index: label for index, label in enumerate(LABELS)}
LABEL2ID = {label: index for index, label in ID2LABEL.items()}

PROBLEM_TYPE = "multi_label_classification"
