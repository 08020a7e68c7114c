"""Tag every request with a task type, a complexity tier, a confidence and the reasons.

``tag_requests`` scores each task type from the text signals (keywords in the
instruction windows, code, stack traces, math notation), the request's shape (turns,
structured output, tools, token counts) and the user's rules, picks the best-scoring
type, derives the tier from the type and the hard/easy/length signals, and rounds the
tier up one step when the evidence is thin or conflicting (overspending a few cents beats
a wrong answer). Metadata rules from the user's rules file override text signals.
Every decision is explained by short reason codes. See docs/tagging.md.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa

from llmaudit.tagging.lexicon import TASK_TYPES, TEXT_TASK_TYPES, load_lexicon
from llmaudit.tagging.rules import TagRules, high_stakes_mask, rule_label, rule_mask
from llmaudit.tagging.signals import Signals, bool_column, extract_signals, numeric_column

TIERS: Final = (0, 1, 2, 3)
TIER_NAMES: Final = {0: "trivial", 1: "standard", 2: "complex", 3: "high-stakes"}
OUTPUT_COLUMNS: Final = ("task_type", "complexity_tier", "tag_confidence", "tag_reasons")

# Tier a task type starts from (docs/tagging.md, "Tiers").
BASE_TIER: Final = {
    "classification": 0,
    "extraction": 0,
    "rewrite": 0,
    "translation": 1,
    "summarization": 1,
    "qa": 1,
    "chat": 1,
    "creative": 1,
    "code": 2,
    "math": 2,
    "reasoning": 2,
    "unknown": 1,
}
# Weight of a task type's keywords in the system prompt: an instruction there ("classify",
# "extract", "summarize") names the feature's task; "you are a helpful assistant" does not.
SYSTEM_WEIGHT: Final = {
    "classification": 3.0,
    "extraction": 3.0,
    "summarization": 3.0,
    "translation": 3.0,
    "rewrite": 3.0,
    "code": 2.0,
    "math": 2.0,
    "reasoning": 2.0,
    "creative": 2.0,
    "qa": 0.75,
    "chat": 0.75,
}
# Where the system prompt names the task, the user message's keywords of these types
# (numbers, questions, "Customer:" lines in a ticket) count this much.
DATA_DAMPING: Final = 0.4
_DATA_TYPES: Final = ("qa", "chat", "math")
DEFAULT_ROUND_UP_MARGIN: Final = 0.5
LONG_INPUT_TOKENS: Final = 8_000
LONG_OUTPUT_TOKENS: Final = 2_000
SHORT_CHARS: Final = 120

_K = len(TEXT_TASK_TYPES)
_IDX = {name: i for i, name in enumerate(TEXT_TASK_TYPES)}
_TYPE_INDEX = {name: i for i, name in enumerate(TASK_TYPES)}  # TEXT_TASK_TYPES is its prefix
_BASE_TIERS = np.array([BASE_TIER[name] for name in TASK_TYPES], dtype=np.int64)


class _Reasons:
    """Reason codes as bits of one integer per row, turned into strings once per combination."""

    def __init__(self, n: int) -> None:
        self.bits = np.zeros(n, dtype=np.uint64)
        self.codes: list[str] = []

    def add(self, code: str, mask: np.ndarray) -> None:
        if not mask.any():
            return
        if code not in self.codes:
            if len(self.codes) == 64:  # more distinct codes than bits: keep the first 64
                return
            self.codes.append(code)
        self.bits |= mask.astype(np.uint64) << np.uint64(self.codes.index(code))

    def strings(self) -> pa.Array:
        """One string per row; the loop runs over distinct combinations, not rows."""
        combos, inverse = np.unique(self.bits, return_inverse=True)
        texts = [",".join(code for b, code in enumerate(self.codes) if int(combo) >> b & 1) for combo in combos]
        return pa.array(texts, pa.large_string()).take(pa.array(inverse.astype(np.int64)))


def _score(sig: Signals, frame: pd.DataFrame, reasons: _Reasons) -> np.ndarray:
    """Score matrix [text task types, rows] (one contiguous row of scores per task type)."""
    lex = load_lexicon()
    n = len(frame)
    score = np.zeros((_K, n), dtype=np.float32)
    weights = {c.task_type: (c.weight, c.reason) for c in lex.classes}
    for task_type, hit in sig.keywords.items():
        weight, reason = weights.get(task_type, (2.5, f"kw:{task_type}"))
        score[_IDX[task_type]] += weight * hit
        reasons.add(reason, hit)
    # Application traffic names its task in the system prompt ("classify this ticket",
    # "extract these fields as JSON", "rewrite the draft"); the user message is then data,
    # and its numbers, questions and "Customer:/Agent:" lines say nothing about the task.
    app_task = np.zeros(n, dtype=bool)
    for task_type, hit in sig.system_keywords.items():
        weight = SYSTEM_WEIGHT.get(task_type, 0.75)
        score[_IDX[task_type]] += weight * hit
        if weight > 1.0:
            app_task |= hit
        reasons.add(f"sys:{task_type}", hit & ~sig.keywords.get(task_type, np.zeros(n, bool)))
    reasons.add("sys_task", app_task)
    data_damp = np.where(app_task, DATA_DAMPING, 1.0).astype(np.float32)
    for task_type in _DATA_TYPES:
        user_side = np.asarray(sig.keywords[task_type], dtype=np.float32) * weights[task_type][0]
        score[_IDX[task_type]] -= user_side * (1.0 - data_damp)

    st = sig.structure
    code_block, code_syntax, trace, math = st["code_block"], st["code_syntax"], st["stack_trace"], st["math_notation"]
    score[_IDX["code"]] += 1.5 * code_block + 1.0 * code_syntax + 3.0 * trace
    reasons.add("code_block", code_block)
    reasons.add("code_syntax", code_syntax & ~code_block)
    reasons.add("stack_trace", trace)
    score[_IDX["math"]] += 1.5 * (math & ~code_block & ~code_syntax & ~sig.keywords["code"] & ~app_task)
    reasons.add("math_notation", math)

    # "Translate the strings in this snippet", "fix the grammar in this comment": the
    # instruction is text work on code, so the code evidence counts less.
    text_work = sig.keywords["translation"] | sig.keywords["rewrite"]
    score[_IDX["code"]] *= np.where(text_work, 0.4, 1.0).astype(np.float32)

    structured = bool_column(frame, "structured_output")
    tools = numeric_column(frame, "tool_count") > 0
    # JSON output is what extraction asks for, but also what a classifier returns.
    score[_IDX["extraction"]] += np.where(app_task, 0.5, 1.0).astype(np.float32) * structured
    reasons.add("structured_output", structured)
    reasons.add("tools", tools)

    turns = numeric_column(frame, "turns")
    multi = turns >= 3
    score[_IDX["chat"]] += 1.0 * multi * data_damp
    reasons.add("turns>=3", multi)

    # A question that asks for nothing else is a question.
    score[_IDX["qa"]] += 0.75 * sig.question_end * data_damp
    reasons.add("question", sig.question_end)
    return score


def tag_requests(
    frame: pd.DataFrame,
    rules: TagRules | None = None,
    *,
    round_up_margin: float | None = None,
) -> pd.DataFrame:
    """Return a new frame: ``frame``'s columns plus the four tag columns.

    Reads (all optional): ``user_text`` (else ``prompt_text``), ``system_text``, ``turns``,
    ``input_tokens``, ``output_tokens``, ``reasoning_tokens``, ``max_output_tokens``,
    ``structured_output``, ``tool_count`` and, for rules, ``feature``, ``tags``, ``team``,
    ``project``, ``user``, ``model``. Adds ``task_type`` (str, one of ``TASK_TYPES``),
    ``complexity_tier`` (int64, 0-3), ``tag_confidence`` (float64, 0-1) and
    ``tag_reasons`` (str, comma-separated codes). ``round_up_margin`` (default 0.5, or
    the rules file's) is the confidence below which the tier is raised one step.
    Never mutates ``frame``. Raises nothing for odd input: missing columns mean no signal.
    """
    rules = rules or TagRules()
    margin = round_up_margin if round_up_margin is not None else rules.round_up_margin
    margin = DEFAULT_ROUND_UP_MARGIN if margin is None else float(margin)
    n = len(frame)
    lex = load_lexicon()
    extra: dict[str, str] = {
        k: "|".join(f"(?:{p})" for p in v) for k, v in rules.keywords.items() if v and k != "unknown"
    }
    sig = extract_signals(frame, lex, extra)
    reasons = _Reasons(n)
    score = _score(sig, frame, reasons)

    # Best and runner-up scores decide the type and the confidence; ties go to the earlier type.
    columns = np.arange(n)
    best = np.argmax(score, axis=0) if n else np.zeros(0, dtype=np.int64)
    top = score[best, columns]
    runner_up = score.copy()
    runner_up[best, columns] = -np.inf
    second = runner_up.max(axis=0) if n else np.zeros(0, dtype=np.float32)
    # Task types as indices into TASK_TYPES until the output column is built.
    task = best.astype(np.int64)
    has_text = sig.has_text
    nothing = top <= 0
    # Text with no instruction we recognize: a short line is conversation, a longer one a
    # question; under a system prompt, a short message is the data the prompt asks about.
    fallback_chat = has_text & nothing & (sig.chars < SHORT_CHARS) & ~sig.has_system
    task[fallback_chat] = _TYPE_INDEX["chat"]
    task[has_text & nothing & ~fallback_chat] = _TYPE_INDEX["qa"]
    task[~has_text] = _TYPE_INDEX["unknown"]
    reasons.add("no_keywords", has_text & nothing)
    reasons.add("no_text", ~has_text)

    confidence = np.where(top > 0, (top - second + 0.5) / (top + 1.0), 0.3).astype(np.float64)
    confidence = np.clip(confidence, 0.05, 0.95)
    confidence[~has_text] = 0.2

    # Tiers: the type's base, then length, hardness and ease.
    tier = _BASE_TIERS[task]
    input_tokens = numeric_column(frame, "input_tokens")
    output_tokens = np.maximum(numeric_column(frame, "output_tokens"), numeric_column(frame, "max_output_tokens"))
    reasoning = numeric_column(frame, "reasoning_tokens") > 0
    long_in = input_tokens > LONG_INPUT_TOKENS
    long_out = output_tokens > LONG_OUTPUT_TOKENS
    hard = sig.hard
    if rules.hard_patterns:
        from llmaudit.tagging.rules import text_mask

        hard = hard | text_mask(frame, "|".join(f"(?:{p})" for p in rules.hard_patterns))
    trace = sig.structure["stack_trace"]
    up_to_2 = long_in | hard | trace | reasoning
    tier = np.where(up_to_2, np.maximum(tier, 2), tier)
    tier = np.where(long_out & (tier < 2), tier + 1, tier)
    reasons.add("input>8k", long_in)
    reasons.add("output>2k", long_out)
    reasons.add("hard_kw", hard)
    reasons.add("reasoning_tokens", reasoning)
    easy = sig.easy & ~up_to_2 & np.isin(task, [_TYPE_INDEX[t] for t in ("rewrite", "classification", "extraction")])
    tier = np.where(easy, 0, tier)
    reasons.add("easy_kw", easy)

    # Short and hard, or unsure: round up one step (never into tier 3, which users mark).
    unsure = has_text & (confidence < margin) & (tier < 2)
    tier = np.where(unsure, tier + 1, tier)
    reasons.add("low_conf:+1", unsure)

    # Without text, a long request or a long answer is the best hint left.
    no_text = ~has_text
    tier = np.where(no_text & ~long_in & ~reasoning, np.where(long_out, 2, 1), tier)

    # The user's rules: metadata beats text; later rules beat earlier ones.
    for rule in rules.rules:
        mask = rule_mask(frame, rule)
        if not mask.any():
            continue
        label = rule_label(rule)
        if rule.task_type is not None:
            task[mask] = _TYPE_INDEX[rule.task_type]
            confidence[mask] = np.maximum(confidence[mask], 0.95)
        if rule.tier is not None:
            tier[mask] = rule.tier
        reasons.add(label, mask)
    stakes, stake_parts = high_stakes_mask(frame, rules.high_stakes)
    tier[stakes] = 3
    for label, mask in stake_parts:
        reasons.add(label, mask)

    out = frame.copy(deep=False)
    out["task_type"] = pd.array(pa.array(TASK_TYPES, pa.large_string()).take(pa.array(task)), dtype="str")
    out["complexity_tier"] = tier.astype(np.int64)
    out["tag_confidence"] = confidence.astype(np.float64)
    out["tag_reasons"] = pd.array(reasons.strings(), dtype="str")
    return out


__all__ = ["BASE_TIER", "OUTPUT_COLUMNS", "TASK_TYPES", "TIERS", "tag_requests"]
