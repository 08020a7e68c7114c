"""Eyeballing the tagger: a few requests per task type, prompts truncated and redacted.

``sample_by_class`` picks up to ``n`` rows per task type deterministically (seeded);
``redact`` removes PEM blocks, passwords and secrets in assignments and URLs, e-mail
addresses, API keys and tokens, long digit runs, then truncates,
all with vectorized pyarrow kernels, so ``--sample`` can show a user's own data safely.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.tagging.lexicon import TASK_TYPES

# A secret's name in an assignment (password=..., "api_key": "...", PASSWORD: ...), opening group 1.
_SECRET_NAME = (
    r"(?i)\b((?:password|passwd|passphrase|pwd|secret|client_secret|token|access_token|refresh_token|"
    r"api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|auth)[\"']?"
)

# (pattern, replacement), applied in order. Keys before digits: a key holds digit runs.
# Patterns are RE2 (pyarrow): no look-around; ``\1`` in a replacement is a group.
_REDACTIONS: tuple[tuple[str, str], ...] = (
    # PEM blocks whole (a key's last body line is short), then a block cut off by truncation or a log limit.
    (r"-----BEGIN [A-Z0-9 ]+-----(?s:.*?)-----END [A-Z0-9 ]+-----", "[pem]"),
    (r"-----BEGIN [A-Z0-9 ]+-----[A-Za-z0-9+/=\s]*", "[pem]"),
    # Credentials in URLs (scheme://user:secret@host) and in key=value / "key": "value" assignments.
    (r"(://[^/\s:@]+:)[^/\s@]+@", "\\1[redacted]@"),
    (_SECRET_NAME + r"\s*[:=]\s*\")[^\"]*\"", '\\1[redacted]"'),  # a quoted value, spaces and all
    (_SECRET_NAME + r"\s*[:=]\s*')[^']*'", "\\1[redacted]'"),
    (_SECRET_NAME + r"\s*[:=]\s*)[^\s\"',;&]+", "\\1[redacted]"),
    (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "[email]"),
    (r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}", "Bearer [key]"),
    (r"\b(?:sk|pk|rk|ak)-[A-Za-z0-9_-]{8,}", "[key]"),  # OpenAI sk-..., Anthropic sk-ant-..., Stripe
    (r"\bAIza[0-9A-Za-z_-]{20,}", "[key]"),  # Google API keys
    (r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", "[key]"),  # JWTs
    (r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b|\bgh[pousr]_[A-Za-z0-9]{20,}\b|\bxox[abpr]-[A-Za-z0-9-]{10,}", "[key]"),
    (r"\b[0-9a-fA-F]{32,}\b", "[key]"),
    (r"\b[A-Za-z0-9+/_-]{32,}={0,2}", "[key]"),
    (r"\d[\d -]{5,}\d", "[digits]"),
)


def redact(text: pd.Series | pa.Array, max_chars: int) -> pd.Series | pa.Array:
    """Redact e-mail addresses, keys/tokens (``sk-...``, ``Bearer ...``, long hex or
    base64 strings) and runs of 7+ digits, then cut to ``max_chars`` characters (adding
    "…"). Returns the same kind it was given (a pandas Series keeps its index).
    """
    series_index = text.index if isinstance(text, pd.Series) else None
    arr = pa.array(text, from_pandas=True) if isinstance(text, pd.Series) else text
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.large_string())
    for pattern, replacement in _REDACTIONS:
        arr = pc.replace_substring_regex(arr, pattern, replacement)
    arr = pc.replace_substring_regex(arr, r"\s+", " ")
    too_long = pc.greater(pc.utf8_length(arr), max_chars)
    ellipsis, empty = pa.scalar("…", arr.type), pa.scalar("", arr.type)
    cut = pc.binary_join_element_wise(pc.utf8_slice_codeunits(arr, 0, max(max_chars - 1, 0)), ellipsis, empty)
    arr = pc.if_else(too_long, cut, arr)
    if series_index is not None:
        values = pd.array(arr, dtype="str")  # from Arrow directly: no Python string per row
        return pd.Series(values, index=series_index, name=getattr(text, "name", None))
    return arr


def sample_by_class(tagged: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """Up to ``n`` rows per task type, in ``TASK_TYPES`` order, chosen with ``seed``.

    Deterministic for a given frame and seed; rows keep their original index.
    """
    if "task_type" not in tagged.columns:
        raise ValueError("sample_by_class: frame lacks column 'task_type' (run tag_requests first)")
    rng = np.random.default_rng(seed)
    keys = rng.random(len(tagged))
    order = {name: i for i, name in enumerate(TASK_TYPES)}
    # Ranks per distinct task type, not per row (unknown names and missing ones last).
    codes, names = pd.factorize(tagged["task_type"])
    ranks = np.array([order.get(str(name), len(order)) for name in names] + [len(order)], dtype=np.int64)
    rank = ranks[codes]
    picked = []
    for value in np.unique(rank):  # at most one pass per task type
        rows = np.flatnonzero(rank == value)
        picked.append(rows[np.argsort(keys[rows], kind="stable")[:n]])  # the n lowest keys, rows in order on ties
    return tagged.iloc[np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)]
