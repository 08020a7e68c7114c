"""Canonical request table: column names, dtypes and the token convention.

Every log format is converted at ingest into this one shape. Token counts follow the
*inclusive* convention (docs/formats.md, "Token conventions"): a subset is also counted
in its parent, so

    cache_read_tokens + cache_write_tokens <= input_tokens
    cache_write_1h_tokens <= cache_write_tokens
    reasoning_tokens <= output_tokens

Units are in the names (``*_ms``, ``*_usd``); timestamps are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

# Token columns, in report order. All int64, never null after ingest.
TOKEN_COLUMNS: Final = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
)

# Server-side tool calls a provider bills per call, beside tokens (int64, 0 when absent).
# Each is priced by the model's ``per_1k_calls`` entry of the same key (pricing/README.md).
TOOL_CALL_COLUMNS: Final[dict[str, str]] = {
    "web_search": "web_search_calls",  # Anthropic server_tool_use.web_search_requests; OpenAI web_search_call items
    "web_fetch": "web_fetch_calls",  # Anthropic server_tool_use.web_fetch_requests
    "file_search": "file_search_calls",  # OpenAI file_search_call items
    "code_interpreter": "code_interpreter_sessions",  # OpenAI: distinct containers of code_interpreter_call items
    "grounded_prompt": "grounded_prompts",  # Gemini: 1 when a response was grounded with Google Search
    "grounding_query": "grounding_queries",  # Gemini: the search queries it ran (Gemini 3 bills per query)
}

PricingMode = Literal["standard", "batch", "priority", "flex"]
PRICING_MODES: Final[tuple[PricingMode, ...]] = ("standard", "batch", "priority", "flex")

# name -> pandas dtype of the canonical (unpriced) request table.
CANONICAL_DTYPES: Final[dict[str, object]] = {
    "request_id": "str",
    "source_file": "str",
    "source_line": np.int64,
    "timestamp": "datetime64[ns, UTC]",
    "provider": "str",
    "model": "str",
    **{name: np.int64 for name in TOKEN_COLUMNS},
    **{name: np.int64 for name in TOOL_CALL_COLUMNS.values()},
    "pricing_mode": "str",
    "latency_ms": np.float64,
    "ttft_ms": np.float64,
    "status": "str",
    "error_type": "str",
    "finish_reason": "str",
    "user": "str",
    "session": "str",
    "feature": "str",
    "tags": "str",
    "source_cost_usd": np.float64,
    "prompt_text": "str",
    "prompt_hash": np.uint64,
    "turns": np.int64,
    # Signals for tagging: the system prompt, the last user message, what the request
    # asked for. Text never reaches a report; it is read only to classify requests.
    "system_text": "str",
    "user_text": "str",
    "max_output_tokens": np.float64,
    "structured_output": np.bool_,
    "tool_count": np.int64,
    # The logged answer's text (``llmaudit shadow`` scores candidates against it); private.
    "completion_text": "str",
    "team": "str",
    "project": "str",
    "tokens_estimated": np.bool_,
    # A score the logs carry for the logged answer (a thumbs-up, an eval, an annotation):
    # 0-1, NaN when absent; ``score_name`` names it (docs/shadow.md, "Scores you already have").
    "score": np.float64,
    "score_name": "str",
}

# Columns the pricing stage adds. ``cost_usd`` is NaN (never 0) for unpriced models.
COST_COMPONENTS: Final = (
    "cost_input_usd",
    "cost_cache_read_usd",
    "cost_cache_write_usd",
    "cost_output_usd",
    "cost_reasoning_usd",
    "cost_request_fee_usd",
    "cost_tool_calls_usd",
)
PRICED_DTYPES: Final[dict[str, object]] = {
    "priced_model": "str",
    "priced_provider": "str",
    **{name: np.float64 for name in COST_COMPONENTS},
    "cost_usd": np.float64,
    "cache_savings_usd": np.float64,
}

# Added by the tagger (llmaudit.tagging) before pricing.
TAG_DTYPES: Final[dict[str, object]] = {
    "task_type": "str",
    "complexity_tier": np.int64,
    "tag_confidence": np.float64,
    "tag_reasons": "str",
    "difficulty": np.float64,
}

# Added by the overspend stage (llmaudit.analyze.overspend) after pricing, when analyze tags.
OVERSPEND_DTYPES: Final[dict[str, object]] = {
    "overspend_eligible": np.bool_,
    "overspend_untagged": np.bool_,
    "cheapest_fit_model": "category",
    "cheapest_fit_cost_usd": np.float64,
}

# What ``simulate`` keeps of each tagged, priced chunk (llmaudit.simulate.collect): what
# routing, billing, the per-request file and ``check`` read (a text column never is).
# Repeated strings are held as categoricals.
SIMULATE_CATEGORIES: Final = (
    "provider",
    "model",
    "priced_model",
    "priced_provider",
    "pricing_mode",
    "status",
    "user",
    "feature",
    "tags",
    "team",
    "project",
    "task_type",
    "score_name",
)
SIMULATE_KEPT: Final = (
    "request_id",
    "timestamp",
    *TOKEN_COLUMNS,
    *TOOL_CALL_COLUMNS.values(),
    *SIMULATE_CATEGORIES,
    "prompt_hash",
    "tool_count",
    "complexity_tier",
    "tag_confidence",
    "difficulty",
    "cost_usd",
    "latency_ms",  # a route's latency_budget_ms holds each model to its median logged latency
    "score",  # a score the logs carry (quality evidence for the logged model)
)
# Added by a replay before routing (llmaudit.simulate.replay.prepare): the tier after a
# policy's round-up of unsure tags.
ROUTING_DTYPES: Final[dict[str, object]] = {"effective_tier": np.int64}


class StageError(RuntimeError):
    """A stage was handed a frame without the columns the stage before it adds.

    Never the user's doing (ingest makes every canonical column, whatever the logs hold):
    a bug, which the CLI reports as an internal error (exit 3).
    """


@dataclass(frozen=True)
class Stage:
    """The columns a frame holds once it has passed a stage of the pipeline.

    Each stage's consumer checks its input once (``require``), so nothing downstream asks
    "is this column here?": a stage that ran has added its columns, every time.
    """

    name: str
    columns: tuple[str, ...]

    def require(self, frame: pd.DataFrame, consumer: str) -> pd.DataFrame:
        """``frame`` itself, or ``StageError`` naming the columns it lacks."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise StageError(
                f"{consumer} was handed a frame without the column(s) {', '.join(missing)}, which every "
                f"frame has after the {self.name} stage"
            )
        return frame

    def then(self, name: str, added: tuple[str, ...] | dict[str, object]) -> Stage:
        """The stage after this one, which adds ``added``."""
        return Stage(name, tuple(dict.fromkeys((*self.columns, *added))))


# The stages, in pipeline order. analyze: ingest -> tagging -> pricing -> overspend (or,
# without tagging, ingest -> pricing); simulate: ingest -> tagging -> pricing -> collect ->
# routing.
INGESTED: Final = Stage("ingest", tuple(CANONICAL_DTYPES))
TAGGED: Final = INGESTED.then("tagging", TAG_DTYPES)
PRICED_UNTAGGED: Final = INGESTED.then("pricing", PRICED_DTYPES)
PRICED: Final = TAGGED.then("pricing", PRICED_DTYPES)
OVERSPENT: Final = PRICED.then("overspend", OVERSPEND_DTYPES)
COLLECTED: Final = Stage("simulate collect", SIMULATE_KEPT)
ROUTED: Final = COLLECTED.then("routing", ROUTING_DTYPES)

# Untagged requests (no text to read): one treatment everywhere (docs/tagging.md, "Untagged
# and unsure requests"). Their task type is UNTAGGED_TASK, their tier is rounded up to
# UNTAGGED_TIER (never "easy"), their difficulty is NaN; the overspend finding leaves them
# out and a policy's ``unknown:`` decides where they go (default: the logged model).
UNTAGGED_TASK: Final = "unknown"
UNTAGGED_TIER: Final = 2


def untagged_mask(frame: pd.DataFrame) -> np.ndarray:
    """Rows of a tagged frame (``TAGGED``) the tagger could not judge: task type ``UNTAGGED_TASK`` or missing."""
    task = frame["task_type"]
    return (task.isna() | (task == UNTAGGED_TASK)).to_numpy(dtype=bool)


# Multi-valued ``tags`` are stored joined by this separator (tags never contain it
# after ingest: the separator is stripped from tag values).
TAG_SEPARATOR: Final = "|"

# Columns never written to a report unless the user asks for prompt text.
PRIVATE_COLUMNS: Final = ("prompt_text", "system_text", "user_text", "completion_text")


def check_columns(frame: pd.DataFrame, required: tuple[str, ...], stage: str) -> None:
    """Raise ``ValueError`` (a programming error, not a user error) if columns are missing."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{stage}: frame lacks columns {missing}")
