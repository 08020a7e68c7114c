"""Claude Code session logs (``~/.claude/projects/<project>/<session>.jsonl``): ``claude-code``.

Each line is one event of a session. Only ``type: "assistant"`` lines are API calls (and
lines with no ``type`` whose ``message.usage`` is set, as older versions and ccusage's test
fixtures write them); the
others (user turns and tool results, summaries, system notes, file-history snapshots)
are skipped as ``not_a_request``, and messages Claude Code wrote itself (model
``<synthetic>``: API error notices, interrupted turns) as ``synthetic_message``.
``message.usage`` is Anthropic's usage object, converted by the Anthropic format's own
code (its ``input_tokens`` excludes the cache):

=====================  ==================================================================
canonical              Claude Code line
=====================  ==================================================================
input_tokens           message.usage.input_tokens + cache_read_input_tokens
                       + cache_creation_input_tokens (the 5m/1h split when it sums more)
cache_read_tokens      message.usage.cache_read_input_tokens
cache_write_tokens     message.usage.cache_creation_input_tokens
cache_write_1h_tokens  message.usage.cache_creation.ephemeral_1h_input_tokens
output_tokens          message.usage.output_tokens (thinking included)
model, finish_reason   message.model, message.stop_reason
pricing_mode           message.usage.service_tier (priority, batch), else standard
request_id             message.id + ":" + requestId (message.id alone without requestId)
timestamp              timestamp (ISO 8601)
status, error_type     error when isApiErrorMessage; error, else apiErrorStatus
session                sessionId
project                cwd (the working directory the session ran in)
tags                   branch:<gitBranch>
source_cost_usd        costUSD (older Claude Code versions)
=====================  ==================================================================

**Streamed responses.** Claude Code writes one line per content block of a streamed
response, each with the same message id and request id; the reader keeps the first line
of an id and drops the rest as duplicates, across files too (a resumed session repeats
its history). The lines' usage is not always identical: ``output_tokens`` may grow from
one line to the next. So within a chunk every line of a response is given the largest
count of each token field (and the last stop reason), and the line the reader keeps
carries the final usage. Lines
of one response split across two chunks keep the first chunk's largest. (Small session
files are read joined into one chunk, ``llmaudit.ingest.batches``: a response repeated in
a resumed session's file in the same chunk is joined too.)

**No prompt text.** A user turn's ``message.content`` is a string or a list of blocks
from line to line, which pyarrow cannot read as one column: reading it would send nearly
every chunk to the per-line parser. And the log does not hold what was sent to the model
(history, system prompt, tool definitions), so a prompt hash would pair calls that
differ. ``prompt_text`` and ``user_text`` are left empty.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.ingest import columns as col
from llmaudit.ingest.formats import anthropic
from llmaudit.ingest.formats._common import NUM, STR
from llmaudit.ingest.registry import Converted, LogFormat, register
from llmaudit.schema import TOKEN_COLUMNS

# The Anthropic message fields its converter reads; ``content`` is left out (see above).
_MESSAGE: Final = pa.struct([f for f in anthropic.SCHEMA if f.name in ("id", "type", "model", "stop_reason", "usage")])
SCHEMA: Final = pa.schema(
    [
        ("type", STR),
        ("sessionId", STR),
        ("cwd", STR),
        ("gitBranch", STR),
        ("timestamp", STR),
        ("requestId", STR),
        ("isApiErrorMessage", pa.bool_()),
        ("error", STR),
        ("apiErrorStatus", NUM),
        ("costUSD", NUM),
        ("leafUuid", STR),
        ("message", _MESSAGE),
    ]
)
SYNTHETIC: Final = "<synthetic>"
_EVENTS: Final = frozenset({"user", "assistant", "system"})
CONFIG_DIR_ENV: Final = "CLAUDE_CONFIG_DIR"


def _untyped_usage(record: Mapping[str, Any]) -> bool:
    """A line without ``type`` whose ``message`` carries Anthropic usage (ccusage's fixtures,
    older Claude Code versions): an API call."""
    message = record.get("message")
    return (
        "type" not in record
        and "timestamp" in record
        and isinstance(message, dict)
        and isinstance(message.get("usage"), dict)
        and "input_tokens" in message["usage"]
    )


def sniff(record: Mapping[str, Any]) -> bool:
    kind = record.get("type")
    return (
        (kind in _EVENTS and "sessionId" in record)
        or (kind == "summary" and "leafUuid" in record)
        or _untyped_usage(record)
    )


def claims(table: pa.Table) -> np.ndarray:
    """``sniff`` over a parsed chunk (see ``LogFormat.claims``): events with a session id and
    summaries with a leaf. Lines without a type are left to ``sniff`` (a null type may be a
    ``"type": null`` key, which sniff does not claim)."""
    g = col.Fields(table)
    kind = col.strings(g("type"))
    event = np.asarray(pc.fill_null(pc.is_in(kind, pa.array(sorted(_EVENTS))), False))
    summary = np.asarray(pc.fill_null(pc.equal(kind, "summary"), False))
    return (event & np.asarray(g("sessionId").is_valid())) | (summary & np.asarray(g("leafUuid").is_valid()))


def _whole_response(c: dict[str, Any], ids: pa.Array) -> None:
    """Every line of one response gets the response's largest count of each token field
    and its last stop reason (the earlier lines of a stream have none)."""
    present = np.asarray(ids.is_valid())
    if not present.any():
        return
    group = pd.factorize(np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object)[present])[0]
    largest = pd.DataFrame({name: c[name][present] for name in TOKEN_COLUMNS}).groupby(group).transform("max")
    for name in TOKEN_COLUMNS:
        c[name] = c[name].copy()
        c[name][present] = largest[name].to_numpy(dtype=np.float64)
    reasons = np.asarray(col.strings(c["finish_reason"]).to_numpy(zero_copy_only=False), dtype=object)
    reasons[present] = pd.Series(reasons[present]).groupby(group).transform("last").to_numpy(dtype=object)
    c["finish_reason"] = pa.array(reasons, STR, from_pandas=True)


def convert(table: pa.Table, request: pa.Array | None) -> Converted:
    n = table.num_rows
    g = col.Fields(table)
    inner = anthropic.convert_message(g("message"))
    conv = Converted(n)
    c = conv.columns
    conv.has_usage = inner.has_usage
    for name in ("model", "provider", "pricing_mode", "finish_reason"):
        c[name] = inner.columns[name]

    message_id = col.strings(g("message.id"))
    c["request_id"] = col.coalesce(
        pc.binary_join_element_wise(message_id, col.strings(g("requestId")), ":"), message_id
    )
    c.update({name: inner.columns[name] for name in TOKEN_COLUMNS})
    _whole_response(c, c["request_id"])

    c["timestamp"] = col.timestamps(g("timestamp"))
    failed = np.asarray(pc.fill_null(pc.equal(col.strings(g("isApiErrorMessage")), "true"), False))
    c["status"] = pc.if_else(pa.array(failed), pa.scalar("error"), pa.scalar("ok"))
    reason = col.coalesce(
        col.strings(g("error")), col.strings(g("apiErrorStatus")), pa.repeat(pa.scalar("api_error"), n)
    )
    c["error_type"] = pc.if_else(pa.array(failed), reason, pa.scalar(None, STR))
    c["session"] = col.strings(g("sessionId"))
    c["project"] = col.strings(g("cwd"))
    branch = col.strings(g("gitBranch"))
    named = pc.binary_join_element_wise(pa.scalar("branch"), branch, ":")
    c["tags"] = col.tags(pc.if_else(pa.array(col.non_empty(branch)), named, pa.scalar(None, STR)))
    c["source_cost_usd"] = col.floats(g("costUSD"))

    kind = col.strings(g("type"))
    assistant = np.asarray(pc.fill_null(pc.equal(kind, "assistant"), False))
    # A line without a type is an API call when its message carries usage (see _untyped_usage).
    untyped_call = ~np.asarray(kind.is_valid()) & np.asarray(g("message.usage").is_valid())
    conv.mark(~(assistant | untyped_call), "not_a_request")
    conv.mark(np.asarray(pc.fill_null(pc.equal(col.strings(c["model"]), SYNTHETIC), False)), "synthetic_message")
    return conv


def claude_code_candidates(home: Path | None = None, env: Mapping[str, str] | None = None) -> list[Path]:
    """Where ``claude_code_dirs`` looks, whether or not the directories exist."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    configured = [p.strip() for p in env.get(CONFIG_DIR_ENV, "").split(",") if p.strip()]
    if configured:
        bases = [home / p[2:] if p.startswith("~/") else home if p == "~" else Path(p) for p in configured]
    else:
        xdg = env.get("XDG_CONFIG_HOME", "").strip()
        bases = [(Path(xdg) if xdg else home / ".config") / "claude", home / ".claude"]
    return [base / "projects" for base in bases]


def claude_code_dirs(home: Path | None = None, env: Mapping[str, str] | None = None) -> list[Path]:
    """The Claude Code ``projects`` directories that exist, in the order ccusage reads them.

    With ``CLAUDE_CONFIG_DIR`` set (one directory or several, comma-separated), only
    ``<dir>/projects`` of those; otherwise ``$XDG_CONFIG_HOME/claude/projects`` (by default
    ``~/.config/claude/projects``) and ``~/.claude/projects``. ``home`` and ``env`` default
    to the user's home directory and ``os.environ``. A directory found twice is listed
    once; none found gives an empty list (the caller says what was looked for).
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for projects in claude_code_candidates(home, env):
        if projects.is_dir() and projects.resolve() not in seen:
            seen.add(projects.resolve())
            found.append(projects)
    return found


FORMAT = register(
    LogFormat(
        name="claude-code",
        title="Claude Code session logs (~/.claude/projects/**/*.jsonl)",
        schema=SCHEMA,
        sniff=sniff,
        convert=convert,
        claims=claims,
        aliases=("claude_code",),
    )
)
