"""Anthropic Message Batches results (``.jsonl`` from the batch's ``results_url``): ``anthropic-batch``.

Each line is one request of a batch:

    {"custom_id": "...", "result": {"type": "succeeded", "message": {<Messages API response>}}}

A succeeded result's ``message`` is read by the Anthropic format (same usage rules) and
priced at batch rates (``pricing_mode`` batch: the batch itself is the proof, whatever
``usage.service_tier`` says). Results of type ``errored``, ``canceled`` and ``expired``
are not billed and carry no usage; they are skipped as ``batch_errored``,
``batch_canceled`` and ``batch_expired`` (the errored ones' error type is shown as the
skip's detail). ``request_id`` is the message id; ``custom_id`` is not used as an id,
since every batch reuses the same few (``request-1``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.ingest import columns as col
from llmaudit.ingest.formats import anthropic
from llmaudit.ingest.formats._common import STR
from llmaudit.ingest.registry import Converted, LogFormat, register

_ERROR: Final = pa.struct([("type", STR), ("message", STR), ("error", pa.struct([("type", STR), ("message", STR)]))])
SCHEMA: Final = pa.schema(
    [
        ("custom_id", STR),
        ("result", pa.struct([("type", STR), ("message", pa.struct(list(anthropic.SCHEMA))), ("error", _ERROR)])),
    ]
)
_NOT_BILLED: Final = {"errored": "batch_errored", "canceled": "batch_canceled", "expired": "batch_expired"}
_RESULTS: Final = frozenset({"succeeded", *_NOT_BILLED})


def sniff(record: Mapping[str, Any]) -> bool:
    result = record.get("result")
    return "custom_id" in record and isinstance(result, dict) and result.get("type") in _RESULTS


def convert(table: pa.Table, request: pa.Array | None) -> Converted:
    n = table.num_rows
    g = col.Fields(table)
    conv = anthropic.convert_message(g("result.message"))
    conv.columns["pricing_mode"] = pa.repeat(pa.scalar("batch"), n)
    kind = col.strings(g("result.type"))
    assert conv.skip is not None
    for result, reason in _NOT_BILLED.items():
        # These carry no message, which the Anthropic reader took for an unknown record.
        conv.skip[np.asarray(pc.fill_null(pc.equal(kind, result), False))] = reason
    succeeded = np.asarray(pc.fill_null(pc.equal(kind, "succeeded"), False))
    conv.mark(~succeeded, "unrecognized_record")
    return conv


FORMAT = register(
    LogFormat(
        name="anthropic-batch",
        title="Anthropic Message Batches results (custom_id + result; batch rates)",
        schema=SCHEMA,
        sniff=sniff,
        convert=convert,
        aliases=("anthropic_batch", "message-batches"),
    )
)
