"""toxmon: the Toxicity Monitor command line (score texts, evaluate the model)."""
