"""What counts as a text worth scoring, for the API, the page and the OpenAPI description.

The model server's handler applies the same rule (handler/request_parsing.py), so a
text refused here would be refused there, and the UI refuses it without a round trip.
"""

import unicodedata

from .config import Settings
from .errors import ApiError, empty_text, invalid_text, not_a_string, text_too_long, texts_too_long, too_many_texts

# Controls, format characters (zero-width spaces and joiners, the BOM) and separators:
# they draw nothing, so a text made only of them has nothing to score.
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def validate_text(text, settings: Settings) -> str:
    if not isinstance(text, str):
        raise not_a_string()
    if not text.strip():
        raise empty_text()
    if len(text) > settings.max_text_chars:
        raise text_too_long(len(text), settings.max_text_chars)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:  # a JSON escape like "\ud800" decodes to a lone surrogate
        raise invalid_text(f"The text has an unpaired surrogate (U+{ord(text[error.start]):04X}) at "
                           f"character {error.start}; send valid Unicode.") from None
    if all(unicodedata.category(char) in INVISIBLE_CATEGORIES for char in text):
        raise empty_text("The text has no visible characters (only control, format or space characters).")
    return text


def validate_texts(texts: list[str], settings: Settings) -> list:
    """Many texts: the call's limits first, then each text on its own, a refused one
    replaced by its ApiError so its neighbours are still scored."""
    if len(texts) > settings.max_batch_texts:
        raise too_many_texts(len(texts), settings.max_batch_texts)
    total = sum(map(len, texts))
    if total > settings.max_batch_chars:
        raise texts_too_long(total, settings.max_batch_chars)
    validated = []
    for text in texts:
        try:
            validated.append(validate_text(text, settings))
        except ApiError as error:
            validated.append(error)
    return validated


def visible_character_pattern() -> str:
    """A regular expression matching one visible character: the OpenAPI `pattern` of a text.

    Lists the invisible code points of the Basic Multilingual Plane as ranges, from this
    Python's Unicode tables. An OpenAPI pattern is ECMA 262, whose escapes name 16-bit code
    units only, so the few invisible code points past U+FFFF (tag and musical formatting
    characters) are not listed: a text made only of those matches the pattern and is still
    refused by validate_text. Surrogates are refused by validate_text too."""
    ranges, start = [], None
    for code in range(0x10000 + 1):
        invisible = code <= 0xFFFF and not 0xD800 <= code <= 0xDFFF and \
            unicodedata.category(chr(code)) in INVISIBLE_CATEGORIES
        if invisible and start is None:
            start = code
        elif not invisible and start is not None:
            last = code - 1
            ranges.append(f"\\u{start:04x}" if start == last else f"\\u{start:04x}-\\u{last:04x}")
            start = None
    return "[^" + "".join(ranges) + "]"
