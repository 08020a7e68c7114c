"""Pieces several formats share: message list types and text flattening for normalizers."""

from __future__ import annotations

from typing import Any, Final

import pyarrow as pa

STR: Final = pa.string()
NUM: Final = pa.float64()
MESSAGES: Final = pa.list_(pa.struct([("role", STR), ("content", STR)]))

# Content-part types that carry text, across providers' multimodal message formats.
_TEXT_PARTS: Final = frozenset({"text", "input_text", "output_text"})


def content_text(content: Any) -> Any:
    """A message's content as plain text: string as is, text parts joined, images dropped."""
    if isinstance(content, list):
        texts = [
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and (part.get("type") in _TEXT_PARTS or ("text" in part and "type" not in part))
        ]
        texts += [part for part in content if isinstance(part, str)]
        return "\n".join(t for t in texts if isinstance(t, str))
    return content


def flatten_messages(messages: Any) -> Any:
    """Messages with multimodal content lists flattened to text (for the per-line parser)."""
    if not isinstance(messages, list):
        return messages
    out = []
    for message in messages:
        if isinstance(message, dict):
            message = {**message, "content": content_text(message.get("content"))}
        out.append(message)
    return out
