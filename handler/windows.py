"""Long texts as overlapping windows, and windows grouped by length for the forward passes.

A text longer than one window (`max_length` tokens) is not cut: the tokenizer's own
truncation with a stride yields every window, each a complete model input ([CLS] … [SEP])
sharing `window_overlap` tokens with the one before, with offsets into the whole text.

Batches are padded to their longest row, so a 5-token reply batched with a 500-token
post costs 100 times its tokens. Rows are therefore sorted by length and cut into groups,
one forward pass each: a row joins the current group unless the extra padding it adds to
the rows already there costs more than one more pass (`overhead_tokens`, in padded tokens).
"""

import numpy as np


def windows_of(encoding) -> list:
    """The encoding of a text and its overflowing windows, in text order."""
    return [encoding, *encoding.overflowing]


def token_count(windows: list, overlap: int) -> int:
    """Tokens of the text as the model reads it, each counted once ([CLS] and [SEP] once too)."""
    return sum(len(w.ids) for w in windows) - (len(windows) - 1) * (overlap + 2)


def char_span(encoding) -> tuple[int, int]:
    """The characters of the text a window covers (its special tokens have no offsets)."""
    offsets = [offset for offset, word in zip(encoding.offsets, encoding.word_ids) if word is not None]
    return (offsets[0][0], offsets[-1][1]) if offsets else (0, 0)


def group_by_length(lengths: list[int], overhead_tokens: int, max_rows: int) -> list[list[int]]:
    """Row numbers in groups of similar length, shortest first; each group is one forward pass."""
    groups, current = [], []
    for row in sorted(range(len(lengths)), key=lengths.__getitem__):
        if current:
            extra_padding = len(current) * (lengths[row] - lengths[current[-1]])
            if extra_padding > overhead_tokens or len(current) >= max_rows:
                groups.append(current)
                current = []
        current.append(row)
    return groups + [current] if current else groups


def padded_inputs(rows: list, pad_id: int) -> dict:
    """The model's int64 inputs for rows of (ids, type_ids), padded to the longest."""
    width = max(len(ids) for ids, _ in rows)
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    type_ids = np.zeros((len(rows), width), dtype=np.int64)
    attention = np.zeros((len(rows), width), dtype=np.int64)
    for row, (ids, types) in enumerate(rows):
        input_ids[row, :len(ids)] = ids
        type_ids[row, :len(types)] = types
        attention[row, :len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "token_type_ids": type_ids}
