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

import copy
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa

from llmaudit.schema import UNTAGGED_TASK, UNTAGGED_TIER
from llmaudit.tagging.difficulty import PRIORS, SIMPLE_TYPES, feature_matrix, tiers_from
from llmaudit.tagging.difficulty import score as difficulty_score
from llmaudit.tagging.lexicon import TASK_TYPES, TEXT_TASK_TYPES, load_lexicon
from llmaudit.tagging.rules import TagRules, high_stakes_mask, rule_label, rule_mask, text_mask
from llmaudit.tagging.signals import Signals, bool_column, extract_signals, numeric_column

TIERS: Final = (0, 1, 2, 3)
TIER_NAMES: Final = {0: "trivial", 1: "standard", 2: "complex", 3: "high-stakes"}

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

_K = len(TEXT_TASK_TYPES)
_IDX = {name: i for i, name in enumerate(TEXT_TASK_TYPES)}
_TYPE_INDEX = {name: i for i, name in enumerate(TASK_TYPES)}  # TEXT_TASK_TYPES is its prefix


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
        inverse, combos = pd.factorize(self.bits)  # hashing: no sort
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
    # A template that opens with its own task statement ("Definition: In this task, you
    # classify...") is read the same way: the statement names the task, the rest is data.
    named = np.zeros(n, dtype=bool)
    for task_type, hit in sig.keywords.items():
        if SYSTEM_WEIGHT.get(task_type, 0.75) > 1.0 and task_type not in _DATA_TYPES:
            named |= hit
    instructed = sig.statement & named & ~app_task
    reasons.add("task_statement", instructed)
    app_task = app_task | instructed
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
    prose_math = ~code_block & ~code_syntax & ~sig.keywords["code"] & ~app_task
    score[_IDX["math"]] += 1.5 * (math & prose_math)
    reasons.add("math_notation", math)
    # Three numbers in prose ("10 red balls, 20 green, 30 blue: how many draws") are a
    # problem to compute more often than not; less than notation, nothing under a task.
    numbers = st["numbers"] & prose_math & ~st["puzzle"]
    score[_IDX["math"]] += 1.0 * numbers
    reasons.add("numbers", numbers)
    # A puzzle told as prose (clues, who sits left of whom, swaps to track, suspects) asks
    # for deduction, whatever question closes it.
    score[_IDX["reasoning"]] += 2.0 * st["puzzle"]
    reasons.add("puzzle", st["puzzle"])

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


def _combinations(columns: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """A row of each distinct combination of the boolean ``columns`` (any row of it), and each
    row's combination (an index into those rows)."""
    if len(columns) > 64:  # more than a 64-bit key holds (never with the shipped lexicon): sort
        _, inverse = np.unique(np.stack(columns).T, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        count = int(inverse.max()) + 1 if n else 0
    else:
        # Bits into bytes, bytes into the key: byte-wide operations are the cheap ones.
        key = np.zeros(n, dtype=np.uint64)
        for start in range(0, len(columns), 8):
            byte = np.zeros(n, dtype=np.uint8)
            for bit, column in enumerate(columns[start : start + 8]):
                byte |= np.asarray(column, dtype=bool).view(np.uint8) << np.uint8(bit)
            key |= byte.astype(np.uint64) << np.uint64(start)
        inverse, uniques = pd.factorize(key)  # hashing: no sort
        count = len(uniques)
    rows = np.zeros(count, dtype=np.int64)
    rows[inverse] = np.arange(n)  # a repeated index keeps one of its rows: any will do
    return rows, inverse


def _score_rows(sig: Signals, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, _Reasons]:
    """``_score`` once per distinct combination of its inputs: the scores by combination,
    each row's combination and the reasons of every row.

    Every input of ``_score`` is a boolean per row (keywords, structure, structured output,
    tools, turns >= 3, a closing question mark), and its arithmetic is elementwise, so rows
    with the same inputs get the same scores and reasons: templated traffic has a few dozen
    combinations per chunk. Same code, same arithmetic, fewer rows (docs/tagging.md, "Speed").
    """
    n = len(frame)
    shape = {
        "structured_output": bool_column(frame, "structured_output"),
        "tool_count": numeric_column(frame, "tool_count"),
        "turns": numeric_column(frame, "turns"),
    }
    inputs = [
        *sig.keywords.values(),
        *sig.system_keywords.values(),
        sig.statement,
        *sig.structure.values(),
        sig.question_end,
        shape["structured_output"],
        shape["tool_count"] > 0,
        shape["turns"] >= 3,
    ]
    rows, inverse = _combinations(inputs, n)
    sub = Signals(
        has_text=sig.has_text[rows],
        chars=sig.chars[rows],
        keywords={k: v[rows] for k, v in sig.keywords.items()},
        hard=sig.hard[rows],
        easy=sig.easy[rows],
        statement=sig.statement[rows],
        structure={k: v[rows] for k, v in sig.structure.items()},
        system_keywords={k: v[rows] for k, v in sig.system_keywords.items()},
        question_end=sig.question_end[rows],
        has_system=sig.has_system[rows],
    )
    sub_reasons = _Reasons(len(rows))
    # The shape columns as _score reads them (it reads nothing else of the frame).
    score = _score(sub, pd.DataFrame({k: v[rows] for k, v in shape.items()}), sub_reasons)
    reasons = _Reasons(n)
    reasons.codes = sub_reasons.codes
    reasons.bits = sub_reasons.bits[inverse]
    return score, inverse, reasons


def _features(sig: Signals, task: np.ndarray) -> np.ndarray:
    """The difficulty model's features (``difficulty.FEATURES``) from signals already computed."""
    st = sig.structure
    return feature_matrix(
        {
            "log_chars": np.log1p(sig.chars.astype(np.float64)) / 8.0,
            "math_notation": st["math_notation"],
            "code": st["code_block"] | st["code_syntax"],
            "question_end": sig.question_end,
            "type_math": task == _TYPE_INDEX["math"],
            "type_code": task == _TYPE_INDEX["code"],
            "type_reasoning": task == _TYPE_INDEX["reasoning"],
            "type_simple": np.isin(task, [_TYPE_INDEX[t] for t in SIMPLE_TYPES]),
        },
        len(task),
    )


def _difficulty_inputs(
    frame: pd.DataFrame, sig: Signals, task: np.ndarray, rules: TagRules
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The fitted model's features, the prior logit (``difficulty.PRIORS``) and its parts by reason code."""
    output_tokens = np.maximum(numeric_column(frame, "output_tokens"), numeric_column(frame, "max_output_tokens"))
    hard = sig.hard
    if rules.hard_patterns:
        hard = hard | text_mask(frame, "|".join(f"(?:{p})" for p in rules.hard_patterns))
    parts = {
        "input>8k": numeric_column(frame, "input_tokens") > LONG_INPUT_TOKENS,
        "output>2k": output_tokens > LONG_OUTPUT_TOKENS,
        "hard_kw": hard,
        "reasoning_tokens": numeric_column(frame, "reasoning_tokens") > 0,
        "easy_kw": sig.easy & ~hard,
        "stack_trace": sig.structure["stack_trace"],
    }
    prior = np.zeros(len(task))
    for code, mask in parts.items():
        prior += PRIORS[code] * mask
    parts.pop("stack_trace")  # its reason code is the structure signal's, added with the task scores
    return _features(sig, task), prior, parts


def difficulty_features(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The difficulty features and prior logit of every row, as tagging computes them (for fitting
    and evaluating offline: ``difficulty.score(features, prior)`` is the ``difficulty`` column)."""
    tagged = tag_requests(frame)
    sig = extract_signals(frame, load_lexicon())
    task = pd.Categorical(tagged["task_type"], categories=list(TASK_TYPES)).codes.astype(np.int64)
    features, prior, _ = _difficulty_inputs(frame, sig, task, TagRules())
    return features, prior


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
    score, combination, reasons = _score_rows(sig, frame)

    # Best and runner-up scores decide the type and the confidence; ties go to the earlier type.
    # Scores are per combination of inputs (``_score_rows``): so are these, then each row's.
    columns = np.arange(score.shape[1])
    best = np.argmax(score, axis=0) if n else np.zeros(0, dtype=np.int64)
    top = score[best, columns]
    runner_up = score.copy()
    runner_up[best, columns] = -np.inf
    second = runner_up.max(axis=0) if n else np.zeros(0, dtype=np.float32)
    best, top, second = best[combination], top[combination], second[combination]
    # Task types as indices into TASK_TYPES until the output column is built.
    task = best.astype(np.int64)
    has_text = sig.has_text
    nothing = top <= 0
    # Text with no instruction we recognize is a question, however short: conversation is
    # recognized by its own words (greetings, thanks) or by 3+ turns, which score chat.
    task[has_text & nothing] = _TYPE_INDEX["qa"]
    task[~has_text] = _TYPE_INDEX[UNTAGGED_TASK]
    reasons.add("no_keywords", has_text & nothing)
    reasons.add("no_text", ~has_text)

    confidence = np.where(top > 0, (top - second + 0.5) / (top + 1.0), 0.3).astype(np.float64)
    confidence = np.clip(confidence, 0.05, 0.95)
    confidence[~has_text] = 0.2

    # Difficulty (tagging/difficulty.py), then the tier from it by documented thresholds.
    features, prior, parts = _difficulty_inputs(frame, sig, task, rules)
    difficulty = difficulty_score(features, prior)
    tier = tiers_from(difficulty)
    for code, mask in parts.items():
        reasons.add(code, mask)

    # Unsure: round up one step (never into tier 3, which users mark).
    unsure = has_text & (confidence < margin) & (tier < 2)
    tier = np.where(unsure, tier + 1, tier)
    reasons.add("low_conf:+1", unsure)

    # No text: untagged (docs/tagging.md, "Untagged and unsure requests"): rounded up to tier
    # UNTAGGED_TIER, difficulty unknown (NaN); overspend and policies treat them apart.
    tier = np.where(has_text, tier, UNTAGGED_TIER)
    difficulty = np.where(has_text, difficulty, np.nan)

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

    tags = {
        "task_type": pd.array(pa.array(TASK_TYPES, pa.large_string()).take(pa.array(task)), dtype="str"),
        "complexity_tier": tier.astype(np.int64),
        "tag_confidence": confidence.astype(np.float64),
        "tag_reasons": pd.array(reasons.strings(), dtype="str"),
        "difficulty": difficulty.astype(np.float64),
    }
    return _with_columns(frame, tags)


def _with_columns(frame: pd.DataFrame, columns: dict[str, object]) -> pd.DataFrame:
    """A new frame: ``frame``'s columns (not copied) and then ``columns``.

    One concatenation instead of a column insertion each (five insertions into a frame of 40
    columns cost more than the rest of the output). Where a column is already there (a frame
    tagged twice) or the index repeats a label, insertion keeps its place and its rows.
    """
    if frame.columns.isin(list(columns)).any() or not frame.index.is_unique or not frame.columns.is_unique:
        out = frame.copy(deep=False)
        for name, values in columns.items():
            out[name] = values
        return out
    out = pd.concat([frame, pd.DataFrame(columns, index=frame.index, copy=False)], axis=1)
    out.attrs = copy.deepcopy(frame.attrs)
    return out


__all__ = ["TASK_TYPES", "TIERS", "tag_requests"]
