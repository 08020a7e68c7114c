"""Fit the difficulty model's weights (llmaudit/tagging/difficulty.json) and report its APGR.

Reads per-prompt outcomes of a weak and a strong model on the same prompts: RouteLLM's MMLU
responses (Mixtral-8x7B-Instruct vs gpt-4-1106-preview, lm-sys/RouteLLM @ 0b64fdaf,
routellm/evals/mmlu/responses/, copied to ../shared/data/routellm-mmlu/). Nothing read here
is committed; only the fitted weights are.

The label is "the strong model answered correctly and the weak one did not" (the cheaper
answer is worse). The features are the tagger's own (``difficulty_features``). A logistic
regression with an L2 penalty, solved by Newton's method (numpy only), on top of the fixed
prior terms (``difficulty.PRIORS``), which are set by hand, not fitted.

Evaluation (docs/tagging.md, "Difficulty"): MMLU is the only fitting set, so it is split by
subject group (STEM, humanities, social sciences, other): fit on three groups, measure APGR
on the fourth; the shipped weights are then fitted on all four. Today's tiers (before this
model: type base tier, hard/easy keywords, lengths) and random routing are measured on the
same splits by ``--compare``.

``--candidates`` adds one candidate feature at a time (and then all of them) to the
shipped features and prints the held-out APGR per group: features one could compute per
request in whole-column form (negation words, digit and operator density, line count, mean
word length, "Statement 1 |" items). None was adopted (docs/tagging.md, "Difficulty").

``--alpaca-eval GIT_DIR`` (tatsu-lab/alpaca_eval, bare or checked out) adds a second outcome
set, AlpacaEval's 805 chat instructions judged gpt4_1106_preview against Mixtral-8x7B (the
pair of the MMLU data; ``eval_difficulty_external.py`` describes it), and prints each subset
held out (MMLU's four groups, AlpacaEval's five sources) with the rest of both sets fitted,
for the shipped features and for open-ended/multiple-choice variants. Exploration only: the
shipped weights are fitted on MMLU alone (docs/tagging.md, "Difficulty").

Usage::

    python benchmarks/fit_difficulty.py [--data ../shared/data/routellm-mmlu] [--write] [--candidates]
        [--alpaca-eval GIT_DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from llmaudit.tagging.difficulty import FEATURES, apgr
from llmaudit.tagging.engine import difficulty_features

SOURCE = "lm-sys/RouteLLM@0b64fdafe049e596a3f5657c219329f24af24198 routellm/evals/mmlu/responses/"
WEAK, STRONG = "mistralai/Mixtral-8x7B-Instruct-v0.1", "gpt-4-1106-preview"
L2 = 1.0
ALPACA_COMMIT = "cd543a149df89434d8a54582c0151c0b945c3d20"
# (name, weak model's results folder and annotator): each judged against gpt4_1106_preview.
ALPACA_SETS = (
    ("alpaca-eval/mixtral", "Mixtral-8x7B-Instruct-v0.1/alpaca_eval_gpt4_turbo_fn"),
    ("alpaca-eval/gpt-3.5", "gpt-3.5-turbo-1106/weighted_alpaca_eval_gpt4_turbo"),
)
# MMLU's own four categories (Hendrycks et al.), by subject file name.
STEM = [
    "abstract_algebra",
    "anatomy",
    "astronomy",
    "college_biology",
    "college_chemistry",
    "college_computer_science",
    "college_mathematics",
    "college_physics",
    "computer_security",
    "conceptual_physics",
    "electrical_engineering",
    "elementary_mathematics",
    "high_school_biology",
    "high_school_chemistry",
    "high_school_computer_science",
    "high_school_mathematics",
    "high_school_physics",
    "high_school_statistics",
    "machine_learning",
]
HUMANITIES = [
    "formal_logic",
    "high_school_european_history",
    "high_school_us_history",
    "high_school_world_history",
    "international_law",
    "jurisprudence",
    "logical_fallacies",
    "moral_disputes",
    "moral_scenarios",
    "philosophy",
    "prehistory",
    "professional_law",
    "world_religions",
]
SOCIAL = [
    "econometrics",
    "high_school_geography",
    "high_school_government_and_politics",
    "high_school_macroeconomics",
    "high_school_microeconomics",
    "high_school_psychology",
    "human_sexuality",
    "professional_psychology",
    "public_relations",
    "security_studies",
    "sociology",
    "us_foreign_policy",
]


def shared_data(name: str) -> Path:
    """``shared/data/<name>`` in the nearest ancestor of this checkout that has it."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared/data" / name).is_dir():
            return parent / "shared/data" / name
    return Path("../shared/data") / name


def group_of(subject: str) -> str:
    if subject in STEM:
        return "stem"
    if subject in HUMANITIES:
        return "humanities"
    if subject in SOCIAL:
        return "social"
    return "other"


def load_mmlu(folder: Path) -> pd.DataFrame:
    parts = []
    for path in sorted(folder.glob("mmlu_*.csv")):
        df = pd.read_csv(path)
        subject = path.stem.removeprefix("mmlu_")
        parts.append(
            pd.DataFrame(
                {
                    "prompt": df["prompt"].astype(str),
                    "weak": df[WEAK].astype(bool),
                    "strong": df[STRONG].astype(bool),
                    "group": group_of(subject),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def snapshot_text(source: Path, path: str, commit: str) -> str:
    """A file of a fetched snapshot: from a checkout, or ``commit``'s version in a bare git dir."""
    if (source / path).is_file():
        return (source / path).read_text(encoding="utf-8")
    show = ["git", "--git-dir", str(source), "show", f"{commit}:{path}"]
    return subprocess.run(show, check=True, capture_output=True, text=True).stdout


def alpaca_eval(source: Path, folder: str) -> pd.DataFrame:
    """AlpacaEval's per-instruction judgement of gpt4_1106_preview (strong) against a weaker model:
    the strong model scores ``2 - preference``, the weak one ``preference - 1``."""
    rows = pd.DataFrame(json.loads(snapshot_text(source, f"results/{folder}/annotations.json", ALPACA_COMMIT)))
    assert set(rows["generator_1"]) == {"gpt4_1106_preview"}, "the strong model is the baseline, output_1"
    preference = rows["preference"].astype(float)
    return pd.DataFrame(
        {
            "prompt": rows["instruction"].astype(str),
            "weak": preference - 1,
            "strong": 2 - preference,
            "group": "alpaca:" + rows["dataset"].astype(str),
        }
    )


def print_joint(mmlu: pd.DataFrame, alpaca: pd.DataFrame) -> None:
    """Each subset of MMLU + AlpacaEval held out, the rest of both fitted (shipped features and variants)."""
    data = pd.concat([mmlu.assign(weak=mmlu["weak"].astype(float), strong=mmlu["strong"].astype(float)), alpaca])
    data = data.reset_index(drop=True)
    x, prior = features_of(data["prompt"])
    prompts = data["prompt"]
    choice = prompts.str.contains(r"(?m)^\s*\(?[A-D][\).:]\s").to_numpy(float)  # multiple-choice options
    split = np.vstack([np.delete(x, 1, axis=0), choice[None], (choice * x[1])[None], ((1 - choice) * x[1])[None]])
    words = {
        "explain": r"(?i)\b(?:explain|why|how|describe|compare|analy[sz]e|discuss)\b",
        "write": r"(?i)\b(?:write|compose|draft|create|generate|story|poem|essay)\b",
    }
    more = [np.log1p(prompts.str.count("\n").to_numpy()) / 3]
    more += [prompts.str.contains(pattern).to_numpy(float) for pattern in words.values()]
    variants = {
        "shipped features": x,
        "+ multiple choice, length split by it": split,
        "+ that, lines, explain/write words": np.vstack([split, *(m[None] for m in more)]),
    }
    y = data["strong"].to_numpy() * (1 - data["weak"].to_numpy())  # the strong answer is the better one
    groups = sorted(data["group"].unique())
    print("\n| features | " + " | ".join(groups) + " |\n|---|" + "---:|" * len(groups))
    for name, features in variants.items():
        cells = []
        for group in groups:
            test = (data["group"] == group).to_numpy()
            w = fit(features[:, ~test], y[~test], prior[~test])
            score = 1 / (1 + np.exp(-(w @ features[:, test] + prior[test])))
            cells.append(apgr(score, data["weak"].to_numpy()[test], data["strong"].to_numpy()[test]))
        print(f"| {name} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")


def features_of(prompts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    frame = pd.DataFrame({"user_text": prompts.to_numpy(dtype=object), "input_tokens": prompts.str.len() / 4})
    return difficulty_features(frame)


def fit(x: np.ndarray, y: np.ndarray, offset: np.ndarray, l2: float = L2) -> np.ndarray:
    """Logistic regression weights (features x rows in ``x``) on top of the fixed prior logit
    ``offset``, L2 on all but the bias."""
    w = np.zeros(x.shape[0])
    penalty = np.full(x.shape[0], l2)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(w @ x + offset)))
        grad = x @ (p - y) + penalty * w
        hess = (x * (p * (1 - p))) @ x.T + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


GROUPS = ("stem", "humanities", "social", "other")


def candidate_features(prompts: pd.Series) -> dict[str, np.ndarray]:
    """Per-prompt features beyond the shipped ones, each scaled to about 0-1 (exploration only)."""
    words = prompts.str.count(" ") + 1
    columns = {
        "negation (NOT, EXCEPT, LEAST)": prompts.str.contains(r"\b(?:NOT|EXCEPT|LEAST)\b").astype(float),
        "digits (log count)": np.log1p(prompts.str.count(r"\d")) / 4,
        "operators (log count of = + - * / ^)": np.log1p(prompts.str.count(r"[=+\-*/^]")) / 3,
        "lines (log count)": np.log1p(prompts.str.count("\n")) / 3,
        "mean word length": prompts.str.len() / words / 6,
        "'Statement 1' items": prompts.str.contains("Statement 1").astype(float),
    }
    return {name: np.asarray(values, dtype=np.float64) for name, values in columns.items()}


def held_out_apgr(data: pd.DataFrame, x: np.ndarray, y: np.ndarray, prior: np.ndarray) -> list[float]:
    """APGR on each subject group, fitted on the other three."""
    out = []
    for group in GROUPS:
        test = (data["group"] == group).to_numpy()
        w = fit(x[:, ~test], y[~test], prior[~test])
        score = 1 / (1 + np.exp(-(w @ x[:, test] + prior[test])))
        out.append(apgr(score, data["weak"].to_numpy()[test], data["strong"].to_numpy()[test]))
    return out


def print_candidates(data: pd.DataFrame, x: np.ndarray, y: np.ndarray, prior: np.ndarray) -> None:
    extra = candidate_features(data["prompt"])
    rows = {"shipped features": held_out_apgr(data, x, y, prior)}
    for name, column in extra.items():
        rows[f"+ {name}"] = held_out_apgr(data, np.vstack([x, column[None]]), y, prior)
    rows["+ all of them"] = held_out_apgr(data, np.vstack([x, *(c[None] for c in extra.values())]), y, prior)
    print("\n| features | " + " | ".join(GROUPS) + " |\n|---|" + "---:|" * len(GROUPS))
    for name, values in rows.items():
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
    # Why digits help three groups and hurt STEM: the label's rate and "both wrong" by group.
    numeric = data["prompt"].str.count(r"\d") >= 8
    rates = data.assign(
        numeric=numeric, label=data["strong"] & ~data["weak"], both_wrong=~data["strong"] & ~data["weak"]
    )
    print("\n| group | 8+ digits | prompts | label rate | both wrong |\n|---|---|---:|---:|---:|")
    for (group, has_digits), part in rates.groupby(["group", "numeric"]):
        label, both = part["label"].mean(), part["both_wrong"].mean()
        print(f"| {group} | {has_digits} | {len(part)} | {label:.3f} | {both:.3f} |")


def old_tiers(prompts: pd.Series) -> np.ndarray:
    """Tiers as the tagger set them before the difficulty model (task base tier, hard, easy)."""
    from llmaudit.tagging.engine import tag_requests

    frame = pd.DataFrame({"user_text": prompts.to_numpy(dtype=object)})
    tagged = tag_requests(frame)
    base = {"classification": 0, "extraction": 0, "rewrite": 0, "code": 2, "math": 2, "reasoning": 2}
    tier = tagged["task_type"].map(base).fillna(1).to_numpy()
    hard = tagged["tag_reasons"].str.contains("hard_kw").to_numpy()
    easy = tagged["tag_reasons"].str.contains("easy_kw").to_numpy()
    unsure = tagged["tag_confidence"].to_numpy() < 0.5
    tier = np.where(hard, np.maximum(tier, 2), tier)
    tier = np.where(easy & ~hard & (tier == 0), 0, tier)
    return np.where(unsure & (tier < 2), tier + 1, tier).astype(float)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=shared_data("routellm-mmlu"))
    parser.add_argument("--write", action="store_true", help="write llmaudit/tagging/difficulty.json")
    parser.add_argument("--candidates", action="store_true", help="also try candidate features (not shipped)")
    parser.add_argument("--alpaca-eval", type=Path, help="tatsu-lab/alpaca_eval git dir: also fit MMLU + AlpacaEval")
    args = parser.parse_args(argv)
    data = load_mmlu(args.data)
    x, prior = features_of(data["prompt"])
    y = (data["strong"] & ~data["weak"]).to_numpy(dtype=float)
    tiers = old_tiers(data["prompt"])
    rng = np.random.default_rng(0)
    print(f"{len(data)} MMLU prompts; weak {data['weak'].mean():.3f}, strong {data['strong'].mean():.3f}")
    print(f"{'held-out group':<12} {'n':>6} {'difficulty':>10} {'old tiers':>10} {'random':>8}")
    for group in ("stem", "humanities", "social", "other"):
        test = (data["group"] == group).to_numpy()
        w = fit(x[:, ~test], y[~test], prior[~test])
        score = 1 / (1 + np.exp(-(w @ x[:, test] + prior[test])))
        weak, strong = data["weak"].to_numpy()[test], data["strong"].to_numpy()[test]
        random = np.mean([apgr(rng.random(test.sum()), weak, strong) for _ in range(20)])
        print(
            f"{group:<12} {test.sum():>6} {apgr(score, weak, strong):>10.3f} "
            f"{apgr(tiers[test], weak, strong):>10.3f} {random:>8.3f}"
        )
    if args.candidates:
        print_candidates(data, x, y, prior)
    if args.alpaca_eval:
        print_joint(data, alpaca_eval(args.alpaca_eval, ALPACA_SETS[0][1]))
    w = fit(x, y, prior)
    weights = {name: round(float(v), 4) for name, v in zip(FEATURES, w, strict=True)}
    print("weights (all of MMLU):", weights)
    if args.write:
        out = Path(__file__).resolve().parents[1] / "llmaudit/tagging/difficulty.json"
        doc = {
            "about": "Difficulty model weights (logistic; features in llmaudit/tagging/difficulty.py). "
            "Fitted by benchmarks/fit_difficulty.py on RouteLLM's MMLU responses (Apache-2.0; MMLU: MIT).",
            "sources": [SOURCE],
            "label": f"{STRONG} correct and {WEAK} wrong",
            "weights": weights,
        }
        out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print("wrote", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
