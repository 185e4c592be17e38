"""The real model's path without the real hub: a snapshot shaped like `unitary/toxic-bert`'s
repository, and a local server that answers the hub's download API for it.

What the fixture copies from the real repository (its model card and the Detoxify project
describe it; the repository's file list itself could not be read from these machines, so
the names below are the ones its model card, transformers 4 and the Detoxify conversion
produce, and the test proves our path accepts exactly that layout):
- `config.json`: `BertForSequenceClassification`, `model_type` "bert", the six labels in
  toxic-bert's order (`id2label` / `label2id`), no `problem_type` (toxic-bert predates it),
  bert-uncased's special ids (`pad_token_id` 0) and the encoder's sizes;
- weights only as `pytorch_model.bin` (a pickled state dict), no `model.safetensors`;
- a WordPiece `vocab.txt` with `tokenizer_config.json` (`do_lower_case`) and
  `special_tokens_map.json`, and no `tokenizer.json`.
The weights are the demo model's (a smaller encoder than bert-base, same architecture
class), so what the served model answers can be checked against the snapshot itself.

The server speaks what `huggingface_hub.snapshot_download` (2.x) asks, with HF_ENDPOINT
pointing at it: `GET /api/models/{repo}/revision/{rev}` (the commit), `GET
/api/models/{repo}/tree/{commit}` (the file list with sizes and hashes), then `HEAD` and
`GET /{repo}/resolve/{commit}/{file}` per file. `mode` makes it fail: "error" answers 500
to everything, "cut" sends half of the weights file and hangs up.
"""

import hashlib
import json
import shutil
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from support.local_http import LocalHttpServer

REPO_ID = "unitary/toxic-bert"
HUB_FILES = ("config.json", "pytorch_model.bin", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt")
CONFIG_KEYS = ("architectures", "attention_probs_dropout_prob", "hidden_act", "hidden_dropout_prob",
               "hidden_size", "id2label", "initializer_range", "intermediate_size", "label2id",
               "layer_norm_eps", "max_position_embeddings", "model_type", "num_attention_heads",
               "num_hidden_layers", "pad_token_id", "position_embedding_type", "type_vocab_size", "vocab_size")


def build_hub_snapshot(model_dir: Path, output: Path) -> Path:
    """Write toxic-bert's repository layout with the weights and vocabulary of `model_dir`."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir)
    full = model.config.to_dict()
    config = {key: full[key] for key in CONFIG_KEYS if key in full}
    config["architectures"] = ["BertForSequenceClassification"]
    (output / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    torch.save(model.state_dict(), output / "pytorch_model.bin")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    vocab = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    (output / "vocab.txt").write_text("".join(f"{token}\n" for token, _ in vocab))
    (output / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True, "model_max_length": 512}))
    (output / "special_tokens_map.json").write_text(json.dumps(
        {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
         "mask_token": "[MASK]"}))
    return output


class LocalHub(LocalHttpServer):
    """keyed_by_content: the address names the snapshot's content (a path prefix of its commit,
    and a port chosen by it when that port is free), so an image build given it as a build
    argument reuses its cached download exactly when the hub would serve the same files."""

    def __init__(self, snapshot: Path, repo_id: str = REPO_ID, keyed_by_content: bool = False):
        self.mode = "ok"         # ok | error | cut
        self.requests = []       # (method, path) of every request
        files = {name: (snapshot / name).read_bytes() for name in sorted(p.name for p in snapshot.iterdir())}
        commit = hashlib.sha1("".join(f"{n}:{hashlib.sha256(d).hexdigest()}" for n, d in files.items())
                              .encode()).hexdigest()
        root = f"/{commit}" if keyed_by_content else ""
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", headers=None, head=False):
                self.send_response(status)
                for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
                    self.send_header(key, value)
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _json(self, body):
                self._send(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

            def _route(self, head):
                hub.requests.append((self.command, self.path))
                path = self.path.split("?")[0]
                if not path.startswith(root + "/"):
                    return self._send(404, b"", {"X-Error-Code": "RepoNotFound"}, head)
                path = path[len(root):]
                if hub.mode == "error":
                    return self._send(500, b'{"error": "Internal Error"}', {"Content-Type": "application/json"},
                                      head)
                api = f"/api/models/{repo_id}/"
                if path.startswith(api + "revision/"):
                    return self._json({"id": repo_id, "modelId": repo_id, "sha": commit, "private": False,
                                       "siblings": [{"rfilename": name} for name in files]})
                if path.startswith(api + "tree/"):
                    return self._json([self._entry(name, data) for name, data in files.items()])
                prefix = f"/{repo_id}/resolve/"
                if path.startswith(prefix):
                    name = path[len(prefix):].split("/", 1)[-1]
                    if name not in files:
                        return self._send(404, b"", {"X-Error-Code": "EntryNotFound"}, head)
                    return self._file(name, files[name], head)
                self._send(404, b"", {"X-Error-Code": "RepoNotFound"}, head)

            def _entry(self, name, data):
                entry = {"type": "file", "path": name, "size": len(data),
                         "oid": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()}
                if name.endswith(".bin"):
                    entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
                return entry

            def _file(self, name, data, head):
                etag = hashlib.sha256(data).hexdigest() if name.endswith(".bin") else self._entry(name, data)["oid"]
                headers = {"X-Repo-Commit": commit, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
                start = 0
                if (wanted := self.headers.get("Range", "")).startswith("bytes="):
                    start = int(wanted[6:].split("-")[0] or 0)
                body, status = data[start:], 206 if start else 200
                if start:
                    headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
                if head or hub.mode != "cut" or not name.endswith(".bin"):
                    return self._send(status, body, headers, head)
                self.send_response(status)  # "cut": announce everything, send half, hang up
                for key, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.close_connection = True

            def do_GET(self):
                self._route(head=False)

            def do_HEAD(self):
                self._route(head=True)

        # Below free_port()'s range (the other tests' servers) and the kernel's ephemeral ports.
        super().__init__(Handler, 10000 + int(commit, 16) % 10000 if keyed_by_content else 0)
        self.base_url += root
        self.commit = commit

    def downloads(self, name: str) -> int:
        return sum(1 for method, path in self.requests if method == "GET" and path.endswith("/" + name))
