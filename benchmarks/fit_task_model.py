"""Experiment: fit the tagger's combination of signals, evaluated leave one source out.

The shipped tagger combines its signals with hand-set weights (llmaudit/tagging/engine.py).
This script asks whether fitted weights would do better on sources the fit never saw: a
multinomial logistic regression over the same signals the engine computes (the hand score
of each task type, each type's user-message and system-prompt keywords, the structure and
shape signals, the message length). Loss: cross-entropy with every **source** weighing the
same (an item weighs 1 / its source's size), an L2 pull of the weights towards the
hand-set engine (weight 1 on each type's own hand score, 0 elsewhere; biases free), for
each penalty of a grid fixed before any fit was run. Fold k is fitted on every source but
k and predicts k; the macro over sources is comparable to benchmarks/eval_loso.py's.

Result (docs/tagging.md, "Fitted weights: tried, not shipped"): no penalty of the grid
beats the hand-set weights out of source, so nothing is shipped from here.

Usage::

    python benchmarks/fit_task_model.py [--data benchmarks/data/tagging_loso.jsonl] [--penalty 0.003 ...]

Reads benchmarks/data/tagging_loso.jsonl (benchmarks/build_loso_eval.py builds it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_tagging import eval_frame  # noqa: E402
from eval_loso import predict as tagger_predict  # noqa: E402

from llmaudit.tagging.engine import SYSTEM_WEIGHT, _Reasons, _score  # noqa: E402
from llmaudit.tagging.lexicon import TEXT_TASK_TYPES, load_lexicon  # noqa: E402
from llmaudit.tagging.signals import bool_column, extract_signals, numeric_column  # noqa: E402

DATA = HERE / "data" / "tagging_loso.jsonl"
SHORT_CHARS = 120  # the engine's short-message threshold when this experiment was run
PENALTIES = (0.003, 0.03, 0.3)  # fixed before any fit was run
K = len(TEXT_TASK_TYPES)
SHAPE = ("code_block", "code_syntax", "stack_trace", "math_notation", "question_end", "has_system", "sys_task")
SHAPE += ("structured_output", "tools", "turns>=3", "hard_kw", "easy_kw", "no_keywords", "short", "log_chars")
FEATURES = tuple(f"{kind}:{t}" for kind in ("score", "kw", "sys") for t in TEXT_TASK_TYPES) + SHAPE


def softmax_argmax(weights: np.ndarray, bias: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.argmax(x @ weights + bias, axis=1)


def frame_of(items: pd.DataFrame) -> pd.DataFrame:
    frame = eval_frame(items)
    if "system" in items:
        frame["system_text"] = pd.array(items["system"].where(items["system"].notna(), None), dtype="str")
    return frame


def design(items: pd.DataFrame) -> np.ndarray:
    """[items, FEATURES] from the signals ``tag_requests`` computes."""
    frame = frame_of(items)
    n = len(frame)
    sig = extract_signals(frame, load_lexicon())
    score = _score(sig, frame, _Reasons(n))
    none = np.zeros(n, dtype=bool)
    app_task = np.zeros(n, dtype=bool)
    for task_type, hit in sig.system_keywords.items():
        app_task |= hit & (SYSTEM_WEIGHT.get(task_type, 0.75) > 1.0)
    st = sig.structure
    shape = {
        "code_block": st["code_block"],
        "code_syntax": st["code_syntax"],
        "stack_trace": st["stack_trace"],
        "math_notation": st["math_notation"],
        "question_end": sig.question_end,
        "has_system": sig.has_system,
        "sys_task": app_task,
        "structured_output": bool_column(frame, "structured_output"),
        "tools": numeric_column(frame, "tool_count") > 0,
        "turns>=3": numeric_column(frame, "turns") >= 3,
        "hard_kw": sig.hard,
        "easy_kw": sig.easy,
        "no_keywords": score.max(axis=0) <= 0,
        "short": sig.chars < SHORT_CHARS,
        "log_chars": np.log1p(sig.chars.astype(np.float64)) / 8.0,
    }
    columns = [*score, *(sig.keywords.get(t, none) for t in TEXT_TASK_TYPES)]
    columns += [sig.system_keywords.get(t, none) for t in TEXT_TASK_TYPES]
    columns += [shape[name] for name in SHAPE]
    return np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])


def anchor() -> np.ndarray:
    """The hand-written engine as weights: each type's own hand score counts 1."""
    w0 = np.zeros((len(FEATURES), K))
    w0[np.arange(K), np.arange(K)] = 1.0  # score:<type> features come first, in TEXT_TASK_TYPES order
    return w0


def fit(x: np.ndarray, y: np.ndarray, groups: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """Source-balanced multinomial logistic regression, L2 towards ``anchor()``."""
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    weight = 1.0 / counts[inverse] / len(counts)
    onehot = np.eye(K)[y]
    w0 = anchor()
    d = x.shape[1]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[: d * K].reshape(d, K), theta[d * K :]
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        value = -float(np.sum(weight * np.sum(onehot * log_p, axis=1)))
        value += 0.5 * penalty * float(np.sum((w - w0) ** 2))
        residual = (np.exp(log_p) - onehot) * weight[:, None]
        grad_w = x.T @ residual + penalty * (w - w0)
        return value, np.concatenate([grad_w.ravel(), residual.sum(axis=0)])

    theta0 = np.concatenate([w0.ravel(), np.zeros(K)])
    result = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return result.x[: d * K].reshape(d, K), result.x[d * K :]


def predict(model: tuple[np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    weights, bias = model
    return softmax_argmax(weights, bias, x)


def balanced_accuracy(pred: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """Mean over sources of each source's accuracy (the headline's macro)."""
    right = pd.Series(pred == y)
    return float(right.groupby(groups).mean().mean())


def loso(x: np.ndarray, y: np.ndarray, groups: np.ndarray, penalty: float) -> np.ndarray:
    """Each source predicted by a model fitted without it."""
    pred = np.empty(len(y), dtype=np.int64)
    for source in np.unique(groups):
        test = groups == source
        pred[test] = predict(fit(x[~test], y[~test], groups[~test], penalty), x[test])
    return pred


def load(path: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    items = pd.read_json(path, lines=True, dtype={"text": str})
    index = {t: i for i, t in enumerate(TEXT_TASK_TYPES)}
    y = items["label"].map(index).to_numpy(dtype=np.int64)
    return items, design(items), y, items["source"].to_numpy(dtype=object)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--penalty", type=float, nargs="*", default=list(PENALTIES))
    args = parser.parse_args(argv)
    items, x, y, groups = load(args.data)
    index = {t: i for i, t in enumerate(TEXT_TASK_TYPES)}
    hand = pd.Series(tagger_predict(items)).map(index).fillna(-1).to_numpy(dtype=np.int64)
    print(f"{len(items)} items, {len(np.unique(groups))} sources, {x.shape[1]} features\n")
    columns = {"shipped tagger (hand-set)": hand}
    for penalty in args.penalty:
        columns[f"fitted, L2 {penalty:g}"] = loso(x, y, groups, penalty)
    table = pd.DataFrame({name: pd.Series(pred == y).groupby(groups).mean() for name, pred in columns.items()})
    print("| source | " + " | ".join(table.columns) + " |\n|---|" + "---:|" * len(table.columns))
    for source, row in table.iterrows():
        print(f"| {source} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
    print("| **macro** | " + " | ".join(f"**{v:.3f}**" for v in table.mean()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
