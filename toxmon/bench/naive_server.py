"""The naive baseline: Flask + a transformers pipeline, one text per request.

Written the way a typical first implementation would be, on purpose: no
batching, no thread tuning, Flask's threaded development server. It exists
only to be measured against (`make bench`).
"""

import os
import sys

from flask import Flask, jsonify, request
from transformers import pipeline

model_dir = sys.argv[1]
port = int(sys.argv[2])
classifier = pipeline("text-classification", model=model_dir, tokenizer=model_dir, top_k=None,
                      function_to_apply="sigmoid", device="cpu")
app = Flask(__name__)


@app.post("/predict")
def predict():
    text = request.get_json()["text"]
    scores = {item["label"]: item["score"] for item in classifier(text, truncation=True)[0]}
    return jsonify(scores=scores, is_toxic=max(scores.values()) >= 0.5)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app.run(host="127.0.0.1", port=port, threaded=True)
