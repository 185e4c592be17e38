"""A stand-in of the UI's many-texts API ({"texts": [...]} -> {"results": [...]}) that
misbehaves on demand (out-of-order answers, 413 for big calls, 504 for a slow text, 429,
503 for ever, 401, a wrong number of results), which the real service cannot be made to do on
cue; and that answers at once, for measuring the client alone."""

import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler

from support.local_http import LocalHttpServer

LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")


def result_for(text: str) -> dict:
    """A score that names the text, so a result given to the wrong row is seen."""
    number = int(text.split()[-1]) if text.split()[-1].isdigit() else 0
    score = (number % 997) / 1000
    return {"scores": {label: score for label in LABELS},
            "verdict": {"decision": "allow", "is_toxic": False, "labels": [], "top_label": "toxic", "top_score": score},
            "tokens": 3, "windows": 1, "drivers": {}}


class FakeApi(LocalHttpServer):
    def __init__(self):
        self.calls = []               # the texts of every call, in arrival order (keep_calls)
        self.keep_calls = True
        self.texts_received = 0
        self.max_texts = 64           # more in one call: 413 too_many_texts
        self.slow_word = None         # a call holding this word: 504 (unless it is alone: then 504 too)
        self.refuse = None            # (status, code, times): the first `times` calls get it; times None = always
        self.wrong_count = False
        self.garbage_results = False  # results that are neither scores nor errors
        self.shuffle_delays = False   # answer calls out of order
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                texts = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["texts"]
                with fake.lock:
                    fake.texts_received += len(texts)
                    if fake.keep_calls:
                        fake.calls.append(texts)
                    refuse = fake.refuse
                    if refuse and (refuse[2] is None or refuse[2] > 0):
                        fake.refuse = refuse if refuse[2] is None else (refuse[0], refuse[1], refuse[2] - 1)
                    else:
                        refuse = None
                if refuse:
                    return self._send(refuse[0], {"error": {"code": refuse[1], "message": "no"}}, [("Retry-After", "0")])
                if len(texts) > fake.max_texts:
                    return self._send(413, {"error": {"code": "too_many_texts", "message": "too many"}})
                if fake.slow_word and any(fake.slow_word in text for text in texts):
                    return self._send(504, {"error": {"code": "model_timeout", "message": "too slow"}})
                if fake.shuffle_delays:
                    time.sleep(random.random() * 0.02)
                results = [{"error": {"code": "empty_text", "message": "The text is empty."}} if not text.strip()
                           else result_for(text) for text in texts]
                if fake.wrong_count:
                    results = results[:-1]
                if fake.garbage_results:
                    results = ["scored"] * len(results)
                self._send(200, {"results": results, "model": "fake", "model_version": "9", "demo": True})

        super().__init__(Handler)
