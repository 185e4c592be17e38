"""API keys for both APIs: who is calling, and how much they may call.

One mechanism for the native API and Perspective's: a key comes as Google's clients send
it (`?key=` or the `x-goog-api-key` header) or in the native API's `X-API-Key` header.
With no keys file (the local default) every call is accepted and counted as "anonymous".
With one, the file names each key and its quota per minute:

    keys:
      - name: forum            # what logs and metrics show; the key itself never
        key: "a long random string"
        quota_per_minute: 600  # 0 or absent: no quota

A missing or unknown key is refused; a key over its quota gets 429 with Retry-After.
"""

import hmac
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ApiError

logger = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # a metric label value, a log word
MIN_KEY_CHARS = 16


class KeysFileError(ValueError):
    pass


@dataclass(frozen=True)
class ApiKey:
    name: str
    quota_per_minute: int = 0


# 401 on the native API; Perspective's envelope answers them as Google does (403 and 400).
def missing_api_key() -> ApiError:
    return ApiError(401, "missing_api_key", "The request is missing a valid API key.")


def invalid_api_key() -> ApiError:
    return ApiError(401, "invalid_api_key", "API key not valid. Please pass a valid API key.")


class ApiKeys:
    def __init__(self, keys: dict[str, ApiKey]):
        self._keys = keys   # the key itself -> its name and quota

    @classmethod
    def load(cls, path: str) -> "ApiKeys":
        if not path:
            logger.warning("no API keys configured (API_KEYS_FILE): every call is accepted")
            return cls({})
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise KeysFileError(f"cannot read the API keys file {path}: {error}") from None
        entries = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not entries:
            raise KeysFileError(f"{path}: expected 'keys:' with a list of name, key, quota_per_minute")
        keys, names = {}, set()
        for number, entry in enumerate(entries, 1):
            key = _entry(entry, f"{path}: key {number}")
            if key[0] in keys or key[1].name in names:
                raise KeysFileError(f"{path}: key {number} repeats a key or a name")
            keys[key[0]] = key[1]
            names.add(key[1].name)
        logger.info("API keys: %d configured (%s); calls without a valid key are refused",
                    len(keys), ", ".join(sorted(names)))
        return cls(keys)

    @property
    def required(self) -> bool:
        return bool(self._keys)

    def identify(self, presented: str | None) -> ApiKey:
        """The caller's key; raises the refusal Google's clients expect."""
        if not self._keys:
            return ApiKey(ANONYMOUS)
        if not presented:
            raise missing_api_key()
        for key, api_key in self._keys.items():
            if hmac.compare_digest(key.encode(), presented.encode()):
                return api_key
        raise invalid_api_key()


def _entry(entry, where: str) -> tuple[str, ApiKey]:
    if not isinstance(entry, dict):
        raise KeysFileError(f"{where}: expected name, key and quota_per_minute")
    name, key, quota = entry.get("name"), entry.get("key"), entry.get("quota_per_minute", 0)
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise KeysFileError(f"{where}: name must be letters, digits, '.', '_' or '-' (at most 64)")
    if not isinstance(key, str) or len(key) < MIN_KEY_CHARS or not key.isprintable() or " " in key:
        raise KeysFileError(f"{where} ({name}): key must be at least {MIN_KEY_CHARS} printable characters, no spaces")
    if isinstance(quota, bool) or not isinstance(quota, int) or quota < 0:
        raise KeysFileError(f"{where} ({name}): quota_per_minute must be a whole number, 0 for none")
    return key, ApiKey(name, quota)
