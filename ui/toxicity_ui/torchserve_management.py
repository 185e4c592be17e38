"""TorchServe's management API, the calls a rollout makes: the versions of the model, which
is the default, making another one the default, and a version's workers.

Beside torchserve_client.py (the inference API, on the UI's hot path, with pooled
connections); these calls are an operator's, a few per command, so plain urllib.
"""

import json
import urllib.error
import urllib.parse
import urllib.request

from .model_names import MODEL_NAME


class ManagementError(RuntimeError):
    """The management API could not be reached or refused the call; the message says which."""


class Management:
    def __init__(self, url: str, timeout: float = 10.0, model: str = MODEL_NAME):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.model = model

    def _call(self, method: str, path: str, timeout: float | None = None):
        request = urllib.request.Request(f"{self.url}{path}", method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as reply:
                return json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:300]
            raise ManagementError(f"TorchServe's management API answered {error.code} to {method} {path}: "
                                  f"{detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise ManagementError(f"TorchServe's management API at {self.url} cannot be reached: {error}") from None

    def versions(self) -> list[dict]:
        """The description of every loaded version of the model."""
        return self._call("GET", f"/models/{self.model}/all")

    def default_version(self) -> str:
        return str(self._call("GET", f"/models/{self.model}")[0]["modelVersion"])

    def set_default(self, version: str) -> None:
        self._call("PUT", f"/models/{self.model}/{version}/set-default")

    def scale_workers(self, version: str, workers: int, timeout: float = 120.0) -> None:
        """Give `version` exactly `workers` workers (0 unloads them all), waiting until done."""
        query = urllib.parse.urlencode({"min_worker": workers, "max_worker": workers, "synchronous": "true"})
        self._call("PUT", f"/models/{self.model}/{version}?{query}", timeout)
