"""Turn one raw TorchServe request into the texts to score, or a client error.

TorchServe hands the body in several shapes: a parsed JSON value when the
client sent `application/json`, a `str` for `text/*`, and raw `bytes`
otherwise (or when JSON decoding failed). All of them end up here.

A request holds one text (`{"text": ...}` or a plain-text body) or many
(`{"texts": [...]}`); many texts are checked one by one, so a bad text is
answered with its own error and its neighbours are still scored. Either may ask
for an explanation (`"explain": true`), optionally with the score at or above
which each label is explained (`"explain_at": {"insult": 0.4, ...}`).
"""

import json
import unicodedata
from dataclasses import dataclass, field

from labels import LABELS

# Code point categories that draw nothing: controls, format characters (zero-width
# spaces and joiners, the BOM) and separators. The UI applies the same rule (text_rules.py).
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


class InputError(Exception):
    """A request the client must fix; carries the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class ParsedRequest:
    texts: list                 # per text: the text to score, or the InputError that refuses it
    many: bool = False          # sent as {"texts": [...]}: answered as {"results": [...]}
    explain: bool = False
    explain_at: dict = field(default_factory=dict)  # label -> score from which it is explained


def _json_object(payload) -> dict | None:
    """The request's JSON object, or None for a plain-text body."""
    if isinstance(payload, (bytes, bytearray)):
        try:
            payload = bytes(payload).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(400, "body is not valid UTF-8") from None
    if isinstance(payload, str):
        if not payload.lstrip().startswith("{"):  # a body that looks like a JSON object must be one
            return None
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError) as error:
            raise InputError(400, f"malformed JSON: {error}") from None
    if not isinstance(payload, dict):
        raise InputError(400, 'expected a JSON object like {"text": "..."} or a plain-text body, '
                              f"got a JSON {type(payload).__name__}")
    return payload


def _explain_at(value) -> dict:
    if not isinstance(value, dict) or not set(value) <= set(LABELS) or not all(
            isinstance(score, (int, float)) and not isinstance(score, bool) and 0 < score < 1
            for score in value.values()):
        raise InputError(400, "field 'explain_at' must map labels of "
                              f"{', '.join(LABELS)} to scores between 0 and 1")
    return {label: float(score) for label, score in value.items()}


def parse_request(request, max_chars: int, max_texts: int) -> ParsedRequest:
    """The request's texts and options; a request-wide problem raises InputError (4xx)."""
    if not isinstance(request, dict):
        raise InputError(400, "empty request")
    payload = request.get("body", request.get("data"))
    if payload is None:
        raise InputError(400, "request has no body")
    value = _json_object(payload)
    if value is None:
        text = bytes(payload).decode("utf-8") if isinstance(payload, (bytes, bytearray)) else payload
        return ParsedRequest([_checked(text, max_chars)])
    explain = value.get("explain", False)
    if not isinstance(explain, bool):
        raise InputError(400, f"field 'explain' must be true or false, got {type(explain).__name__}")
    explain_at = _explain_at(value["explain_at"]) if "explain_at" in value else {}
    if ("text" in value) == ("texts" in value):
        raise InputError(400, "send either field 'text' (one text) or field 'texts' (a list of texts)"
                         if "text" in value else "missing field 'text' (or 'texts')")
    if "text" in value:
        text = value["text"]
        if not isinstance(text, str):
            raise InputError(400, f"field 'text' must be a string, got {type(text).__name__}")
        return ParsedRequest([_checked(text, max_chars)], False, explain, explain_at)
    texts = value["texts"]
    if not isinstance(texts, list) or not texts:
        raise InputError(400, "field 'texts' must be a non-empty list of strings")
    if len(texts) > max_texts:
        raise InputError(413, f"{len(texts)} texts in one request, the limit is {max_texts}")
    return ParsedRequest([_checked_item(text, max_chars) for text in texts], True, explain, explain_at)


def _checked_item(text, max_chars: int):
    """One text of a list: its own error, so its neighbours are still scored."""
    if not isinstance(text, str):
        return InputError(400, f"each text must be a string, got {type(text).__name__}")
    try:
        return _checked(text, max_chars)
    except InputError as error:
        return error


def _checked(text: str, max_chars: int) -> str:
    if not text.strip():
        raise InputError(422, "text is empty")
    if len(text) > max_chars:
        raise InputError(413, f"text is {len(text)} characters, the limit is {max_chars}")
    return check_text(text)


def extract_text(request: dict, max_chars: int) -> str:
    """The text of a one-text request; raise InputError with a 4xx status otherwise."""
    parsed = parse_request(request, max_chars, max_texts=1)
    if parsed.many:
        raise InputError(400, "expected one text in field 'text'")
    return parsed.texts[0]


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
