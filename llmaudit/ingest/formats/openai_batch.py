"""OpenAI Batch API output files, joined to their input files for prompts.

One output line per request::

    {"id": "batch_req_..", "custom_id": "req-1", "error": null,
     "response": {"status_code": 200, "request_id": "..", "body": {<chat.completion or response>}}}

The body is read by the ``openai`` format (same schema, same conversion: counts are
inclusive as they are there); this module adds what the envelope says:

=============  ===================================================================
canonical      Batch output line
=============  ===================================================================
tokens, model  response.body, as the ``openai`` format reads it (model: else the
               input body's ``model``)
pricing_mode   always "batch"
request_id     id (``custom_id`` repeats across batches: not a dedupe key)
status         "error" when response.status_code >= 400, ``error`` is set, or the
               body reports an error
error_type     error.code, else error.message, else the body's error type, else
               ``http_<status_code>``
prompt, turns  the Batch *input* file's ``body`` (``messages``, or ``instructions`` and
user, feature  ``input``), joined on ``custom_id``; only with ``--batch-input``
=============  ===================================================================

**The join.** An output line carries no batch id and no input file id (only its own
``batch_req_`` id, the ``custom_id`` and the response), and ids like ``request-1`` are
reused by every batch. So a body is joined only where nothing else could be meant: its
``custom_id`` appears once across all the given input files (OpenAI refuses a batch whose
input repeats one, so an id seen twice spans two batches and is not joined at all), its
``url`` is the endpoint that produced the response (``chat.completion`` from
``/v1/chat/completions``, ``response`` from ``/v1/responses``...), and its ``model`` is the
response's model or the model of which the response names a dated snapshot. A line that
fails these keeps its response's tokens and cost but gets no prompt (and a failed line
without a model in its response is skipped as ``missing_model``). Pass each batch's input
file with its own output file (one ``analyze`` per batch) when input files reuse ids.

Input files are small (OpenAI caps them at 200 MB) and are loaded once per set of paths. A Batch *input*
file passed as a log is recognized by the ``openai-batch-input`` format, which refuses
it with a message saying how to pass it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.errors import InputError
from llmaudit.ingest import columns as col
from llmaudit.ingest.formats import openai
from llmaudit.ingest.formats._common import NUM, STR
from llmaudit.ingest.jsonl import iter_chunks, parse_chunk
from llmaudit.ingest.registry import Converted, LogFormat, register
from llmaudit.ingest.sources import InputSource, open_source

SCHEMA: Final = pa.schema(
    [
        ("id", STR),
        ("custom_id", STR),
        (
            "response",
            pa.struct([("status_code", NUM), ("request_id", STR), ("body", pa.struct(list(openai.SCHEMA)))]),
        ),
        ("error", pa.struct([("code", STR), ("message", STR)])),
    ]
)

INPUT_SCHEMA: Final = pa.schema([("custom_id", STR), ("method", STR), ("url", STR), ("body", openai.REQUEST)])


# The endpoint each response object comes from (a body of another endpoint is not its input).
_ENDPOINTS: Final = {
    "chat.completion": "/v1/chat/completions",
    "response": "/v1/responses",
    "text_completion": "/v1/completions",
    "list": "/v1/embeddings",
}


# What a dated snapshot adds to a model name: -2024-07-18, or -0613 (older models).
_SNAPSHOT: Final = r"^-(\d{4}-\d{2}-\d{2}|\d{4})$"


@dataclasses.dataclass(frozen=True)
class BatchInputs:
    """Request bodies of Batch input files, by ``custom_id``.

    Only ids that appear once across all the input files are joinable: OpenAI refuses a
    batch whose input repeats a ``custom_id``, so an id seen twice belongs to two batches
    and nothing in an output line (which carries no batch or file id) says which.
    """

    ids: pd.Index
    bodies: pa.Array  # struct array of ``openai.REQUEST``, aligned with ``ids``
    urls: pa.Array  # each body's endpoint, aligned with ``ids``
    ambiguous: int = 0  # custom ids left unjoined because several input lines carry them

    def requests_for(
        self, custom_ids: pa.Array, models: pa.Array | None = None, objects: pa.Array | None = None
    ) -> pa.Array:
        """The input body for each custom id; null where the inputs do not have it, or where
        the body cannot be this output's request: another endpoint, or a model the response
        does not report (the served model is the requested one or a dated snapshot of it)."""
        wanted = pd.Index(col.strings(custom_ids).to_numpy(zero_copy_only=False), dtype=object)
        pos = self.ids.get_indexer(wanted)
        missing = pos < 0
        take = pa.array(np.where(missing, 0, pos), mask=missing)
        bodies = self.bodies.take(take)
        if models is not None:
            missing |= ~_same_model(col.strings(col.get(bodies, "model")), col.strings(models))
        if objects is not None:
            known = pa.array(list(_ENDPOINTS))
            mapped = pa.array(list(_ENDPOINTS.values())).take(pc.index_in(col.strings(objects), known))
            url = col.strings(self.urls.take(take))
            mismatch = pc.fill_null(pc.not_equal(url, mapped), False)
            missing |= np.asarray(mismatch)
        return self.bodies.take(pa.array(np.where(missing, 0, pos), mask=missing))


def _same_model(requested: pa.Array, served: pa.Array) -> np.ndarray:
    """Per row: unknown on either side, equal, or the served model a dated snapshot of the
    requested one (``gpt-4o-mini`` -> ``gpt-4o-mini-2024-07-18``)."""
    req = np.asarray(requested.to_numpy(zero_copy_only=False), dtype=object)
    out = np.asarray(served.to_numpy(zero_copy_only=False), dtype=object)
    unknown = pd.isna(req) | pd.isna(out)
    req_text = np.where(unknown, "", req).astype(str)
    out_text = np.where(unknown, "", out).astype(str)
    suffix = pa.array(np.strings.slice(out_text, np.strings.str_len(req_text), None).astype(object))
    dated = np.asarray(pc.match_substring_regex(suffix, _SNAPSHOT))
    return unknown | (req_text == out_text) | (np.strings.startswith(out_text, req_text) & dated)


def sniff_input(record: Mapping[str, Any]) -> bool:
    return "custom_id" in record and "method" in record and "body" in record and "response" not in record


def sniff(record: Mapping[str, Any]) -> bool:
    response = record.get("response", False)
    return "custom_id" in record and (
        response is None or (isinstance(response, dict) and ("body" in response or "status_code" in response))
    )


def _normalize_input(record: dict[str, Any]) -> dict[str, Any]:
    body = record.get("body")
    return {**record, "body": openai.normalize_request(body)} if isinstance(body, dict) else record


def _normalize_output(record: dict[str, Any]) -> dict[str, Any]:
    response = record.get("response")
    if isinstance(response, dict) and isinstance(response.get("body"), dict):
        record = {**record, "response": {**response, "body": openai.normalize_response(response["body"])}}
    return record


_INPUT_HINT: Final = "--batch-input takes the requests .jsonl uploaded to the Batch API; its results file goes in LOGS"


def _read_input_file(path: Path) -> pa.Table:
    """Parse one Batch input file; malformed lines are left out (their prompts stay unknown)."""
    display = str(path)
    opened = open_source(InputSource(display, path))  # InputError naming the file if it cannot be opened
    try:
        chunks = [parse_chunk(c, INPUT_SCHEMA, _normalize_input).table for c in iter_chunks(opened.stream)]
    except (OSError, EOFError) as exc:
        raise InputError(f"{display}: cannot read the batch input file ({exc})", hint=_INPUT_HINT) from None
    finally:
        opened.close()
    table = pa.concat_tables([INPUT_SCHEMA.empty_table(), *chunks])
    table = table.filter(pc.and_(table.column("custom_id").is_valid(), table.column("body").is_valid()))
    if table.num_rows == 0:
        raise InputError(
            f"{display}: not an OpenAI Batch input file (no line has a custom_id and a request body)",
            hint=_INPUT_HINT,
        )
    return table


@lru_cache(maxsize=4)
def _load(files: tuple[tuple[str, int, int], ...]) -> BatchInputs:
    # Keyed by (path, mtime, size): every batch output file of a run shares one load, and
    # a file rewritten between runs is read again.
    table = pa.concat_tables([_read_input_file(Path(name)) for name, _, _ in files]).combine_chunks()
    ids = pd.Index(table.column("custom_id").to_numpy(), dtype=object)
    once = ~ids.duplicated(keep=False)
    keep = pa.array(once)
    bodies = table.column("body").combine_chunks().filter(keep)
    urls = table.column("url").combine_chunks().filter(keep)
    return BatchInputs(ids[once], bodies, urls, int(ids[~once].nunique()))


def load_batch_inputs(paths: Sequence[str | Path]) -> BatchInputs:
    """Read Batch input files (cached); ``InputError`` names a file that is missing or unreadable."""
    keys = []
    for item in paths:
        path = Path(item)
        if not path.is_file():
            what = "is not a file" if path.exists() else "not found"
            raise InputError(f"{path}: batch input file {what}", hint=_INPUT_HINT)
        stat = path.stat()
        keys.append((str(path), stat.st_mtime_ns, stat.st_size))
    return _load(tuple(keys))


def convert(table: pa.Table, request: pa.Array | None, inputs: BatchInputs | None = None) -> Converted:
    n = table.num_rows
    g = col.Fields(table)
    body = g("response.body")
    inner = pa.Table.from_arrays(body.flatten(), names=[f.name for f in body.type])
    bodies = (
        inputs.requests_for(g("custom_id"), g("response.body.model"), g("response.body.object"))
        if inputs is not None
        else pa.nulls(n, openai.REQUEST)
    )
    conv = openai.convert(inner, bodies)
    if inputs is not None:  # with input files given, say how many lines got no prompt from them
        conv.warnings["batch_prompt_not_joined"] = ~np.asarray(bodies.is_valid())
    c = conv.columns
    c["request_id"] = col.coalesce(col.strings(g("id")), col.strings(c["request_id"]))
    c["pricing_mode"] = pa.repeat(pa.scalar("batch"), n)

    code = col.floats(g("response.status_code"))
    http_failed = np.nan_to_num(code, nan=0) >= 400
    error = g("error")
    failed = http_failed | np.asarray(error.is_valid())
    c["status"] = pc.if_else(pa.array(failed), pa.scalar("error"), col.strings(c["status"]))
    http_text = pc.binary_join_element_wise(
        pa.scalar("http_"), col.strings(pa.array(code).cast(pa.int64(), safe=False)), ""
    )
    c["error_type"] = col.coalesce(
        col.strings(g("error.code")),
        col.strings(g("error.message")),
        col.strings(c["error_type"]),
        pc.if_else(pa.array(http_failed), http_text, pa.scalar(None, pa.string())),
    )

    known = np.asarray(g("response").is_valid()) | np.asarray(error.is_valid())
    conv.mark_unrecognized(known, wrapped=False)
    return conv


def configure(settings: Mapping[str, Any]) -> LogFormat:
    """The format bound to ``settings["batch_inputs"]`` (paths of Batch input files)."""
    paths = tuple(settings.get("batch_inputs", ()))
    inputs = load_batch_inputs(paths) if paths else None
    return dataclasses.replace(FORMAT, convert=partial(convert, inputs=inputs), configure=None)


def refuse_input(table: pa.Table, request: pa.Array | None) -> Converted:
    """A Batch input file given as a log: say how to pass it instead."""
    first = table.slice(0, 1).to_pylist()[0] if table.num_rows else {}
    example = f" (first: custom_id {first.get('custom_id')!r}, {first.get('method')} {first.get('url')})"
    raise InputError(
        f"cannot audit request lines without responses{example if first else ''}: this is an OpenAI Batch "
        "input file (requests, no usage); pass it with --batch-input next to the batch output file",
        hint="llmaudit analyze BATCH_OUTPUT.jsonl --batch-input BATCH_INPUT.jsonl",
    )


FORMAT = register(
    LogFormat(
        name="openai-batch",
        title="OpenAI Batch API output files (prompts joined from --batch-input files)",
        schema=SCHEMA,
        sniff=sniff,
        convert=convert,
        normalize=_normalize_output,
        aliases=("openai-batch-output",),
        configure=configure,
        owns_envelope=lambda record: "custom_id" in record,  # custom_id + response: a Batch output line
    )
)

INPUT_FORMAT = register(
    LogFormat(
        name="openai-batch-input",
        title="OpenAI Batch API input files (joined to batch output for prompts; not requests themselves)",
        schema=pa.schema([("custom_id", STR), ("method", STR), ("url", STR)]),
        sniff=sniff_input,
        convert=refuse_input,
        companion_of=("openai-batch", "batch_inputs"),
        orphan=(
            "this is an OpenAI Batch input file (requests without usage); there is no batch output file among "
            "the logs to join it to",
            "pass the batch output (results) file too: llmaudit analyze OUTPUT.jsonl INPUT.jsonl",
        ),
    )
)
