"""Turn one raw TorchServe request into the text to score, or a client error.

TorchServe hands the body in several shapes: a parsed JSON value when the
client sent `application/json`, a `str` for `text/*`, and raw `bytes`
otherwise (or when JSON decoding failed). All of them end up here.
"""

import json
import unicodedata

# Code point categories that draw nothing: controls, format characters (zero-width
# spaces and joiners, the BOM) and separators. The UI applies the same rule (text_rules.py).
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


class InputError(Exception):
    """A request the client must fix; carries the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _from_json_value(value) -> str:
    if not isinstance(value, dict):
        raise InputError(400, 'expected a JSON object like {"text": "..."} or a plain-text body, '
                              f"got a JSON {type(value).__name__}")
    if "text" not in value:
        raise InputError(400, "missing field 'text'")
    text = value["text"]
    if not isinstance(text, str):
        raise InputError(400, f"field 'text' must be a string, got {type(text).__name__}")
    return text


def _from_string(body: str) -> str:
    """A body that looks like a JSON object must be one; anything else is plain text."""
    if not body.lstrip().startswith("{"):
        return body
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise InputError(400, f"malformed JSON: {error}") from None
    return _from_json_value(value)


def extract_text(request: dict, max_chars: int) -> str:
    """Return the request's text; raise InputError with a 4xx status otherwise."""
    if not isinstance(request, dict):
        raise InputError(400, "empty request")
    payload = request.get("body", request.get("data"))
    if payload is None:
        raise InputError(400, "request has no body")
    if isinstance(payload, (bytes, bytearray)):
        try:
            payload = bytes(payload).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(400, "body is not valid UTF-8") from None
    if isinstance(payload, str):
        text = _from_string(payload)
    else:
        text = _from_json_value(payload)
    if not text.strip():
        raise InputError(422, "text is empty")
    if len(text) > max_chars:
        raise InputError(413, f"text is {len(text)} characters, the limit is {max_chars}")
    return check_text(text)


def check_text(text: str) -> str:
    """Refuse what the tokenizer cannot read or what has nothing to score (422)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        # JSON escapes such as "\ud800" decode to lone surrogates: not Unicode text.
        raise InputError(422, f"text has an unpaired surrogate (U+{ord(text[error.start]):04X}) at "
                              f"character {error.start}; send valid Unicode") from None
    if all(unicodedata.category(char) in INVISIBLE_CATEGORIES for char in text):
        raise InputError(422, "text has no visible characters (only control, format or space characters)")
    return text
