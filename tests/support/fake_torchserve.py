"""A stand-in TorchServe on 127.0.0.1 whose behaviour each test chooses.

Used to drive the UI's client through every failure TorchServe can produce
(errors, garbage, silence, slowness); the real TorchServe is used elsewhere.
"""

import json
import time
from http.server import BaseHTTPRequestHandler

from support.local_http import LocalHttpServer

LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")


MODEL = {"name": "fake-model", "source": "test", "version": "9.9", "created": "2026-01-02T03:04:05Z",
         "demo": True, "precision": "fp32"}


def prediction(text: str, explain: bool = False) -> dict:
    """"idiot" scores 0.95 on toxic and insult (a block), "dumb" 0.6 (a review), the rest 0.02."""
    word = "idiot" if "idiot" in text else "dumb" if "dumb" in text else None
    toxic = {"idiot": 0.95, "dumb": 0.6, None: 0.02}[word]
    scores = {label: (toxic if label in ("toxic", "insult") else 0.01) for label in LABELS}
    answer = {"scores": scores, "is_toxic": toxic >= 0.5, "top_label": "toxic", "threshold": 0.5,
              "tokens": len(text.split()) + 2, "windows": 1,
              "drivers": {label: {"window": 0, "start": 0, "end": len(text)} for label in LABELS}}
    if explain:
        start = text.find(word) if word else -1
        spans = [{"start": start, "end": start + len(word), "text": word, "weight": 2.5}] if word else []
        answer["explanation"] = {label: spans for label in ("toxic", "insult") if word}
    return answer


class FakeTorchServe(LocalHttpServer):
    def __init__(self):
        self.mode = "ok"            # ok | status:<code> | garbage | wrong_shape | json:<answer> | slow:<s> | hangup
        self.version_modes = {}     # a mode for /predictions/toxic-bert/<version> (default: `mode`)
        self.version_scores = {}    # version -> added to every score it gives (a candidate that differs)
        self.worker_status = "READY"
        self.requests = []          # (path, headers, body) of every request received
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, content_type="application/json"):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                fake.requests.append((self.path, dict(self.headers), b""))
                if fake.mode.startswith("status:"):
                    return self._send(int(fake.mode.split(":")[1]), {"code": 500})
                self._send(200, [{"modelName": "toxic-bert",
                                  "workers": [{"id": "9000", "status": fake.worker_status}]}])

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append((self.path, dict(self.headers), body))
                version = self.path.rstrip("/").split("/")[3] if self.path.count("/") >= 3 else None
                mode = fake.version_modes.get(version, fake.mode)
                if mode.startswith("slow:"):
                    time.sleep(float(mode.split(":")[1]))
                    mode = "ok"
                if mode == "hangup":
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return None
                if mode.startswith("status:"):
                    code = int(mode.split(":")[1])
                    return self._send(code, {"code": code, "type": "InternalServerException",
                                             "message": "Traceback (most recent call last): secret"})
                if mode == "garbage":
                    return self._send(200, b"<html>not json</html>", "text/html")
                if mode.startswith("json:"):  # exactly this answer
                    return self._send(200, mode[len("json:"):].encode())
                if mode == "wrong_shape":
                    return self._send(200, {"scores": {"toxic": "high"}})
                request = json.loads(body)
                explain = request.get("explain", False)
                model = {**MODEL, "version": version} if version else MODEL

                def predict(text):
                    answer = prediction(text, explain)
                    shift = fake.version_scores.get(version, 0.0)
                    answer["scores"] = {label: min(1.0, score + shift) for label, score in answer["scores"].items()}
                    return answer
                if "texts" in request:
                    return self._send(200, {"results": [predict(t) for t in request["texts"]], "model": model})
                self._send(200, {**predict(request["text"]), "model": model})

        super().__init__(Handler)
        self.url = self.base_url

    @property
    def predictions(self) -> int:
        return sum(1 for path, _, _ in self.requests if path.startswith("/predictions/"))
