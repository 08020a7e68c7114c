"""APGR on the reserved acceptance sets: RouteLLM's GSM8K responses and MT-Bench judgements.

Never used for fitting, tuning or choosing thresholds (benchmarks/fit_difficulty.py reads only
MMLU); run once, after fitting, and reported in docs/tagging.md ("Difficulty"). Reads
lm-sys/RouteLLM@0b64fdafe049e596a3f5657c219329f24af24198 (Apache-2.0):

- routellm/evals/gsm8k/gsm8k_responses.csv: per problem, whether Mixtral-8x7B-Instruct (weak)
  and gpt-4-1106-preview (strong) answered correctly;
- routellm/evals/mt_bench/question.jsonl and judgements.jsonl: GPT-4 judge scores (1-10) of
  both models per question and turn; a question's outcome is its mean over both turns, routed
  on its first turn, as RouteLLM does.

Both drop the prompts RouteLLM lists as contaminated (``contaminated_prompts.jsonl``).

With ``--alpaca-eval``, also AlpacaEval's 805 chat instructions (tatsu-lab/alpaca_eval @
cd543a14, Apache-2.0), where GPT-4 Turbo judged gpt4_1106_preview (the strong model, the
same as RouteLLM's) against a weaker model, per instruction: ``results/<weak>/<annotator>/
annotations.json``, ``preference`` 1 (the strong answer preferred) to 2 (the weak one). Per
instruction the strong model scores ``2 - preference`` and the weak one ``preference - 1``.
AlpacaEval is not a reserved set and was never used for fitting: it is a held-out set of
real-user-style chat prompts (Self-Instruct, OASST, Koala, Anthropic helpful-base, Vicuna).

Usage: ``python benchmarks/eval_difficulty_external.py --routellm GIT_DIR_OR_CHECKOUT
[--alpaca-eval GIT_DIR_OR_CHECKOUT]`` (bare git directories, as ``fetch`` leaves them, or
checkouts).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_difficulty import ALPACA_SETS, STRONG, WEAK, alpaca_eval, features_of, old_tiers, snapshot_text

from llmaudit.tagging.difficulty import apgr, score

COMMIT = "0b64fdafe049e596a3f5657c219329f24af24198"


def read(source: Path, path: str) -> str:
    return snapshot_text(source, path, COMMIT)


def contaminated(source: Path, folder: str) -> set[str]:
    frame = pd.read_json(io.StringIO(read(source, f"routellm/evals/{folder}/contaminated_prompts.jsonl")), lines=True)
    return set(frame["eval_prompt"])


def gsm8k(source: Path) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(read(source, "routellm/evals/gsm8k/gsm8k_responses.csv")))
    frame = frame[~frame["prompt"].isin(contaminated(source, "gsm8k"))]
    return pd.DataFrame({"prompt": frame["prompt"], "weak": frame[WEAK].astype(float), "strong": frame[STRONG]})


def mt_bench(source: Path) -> pd.DataFrame:
    questions = pd.read_json(io.StringIO(read(source, "routellm/evals/mt_bench/question.jsonl")), lines=True)
    judged = pd.read_json(io.StringIO(read(source, "routellm/evals/mt_bench/judgements.jsonl")), lines=True)
    bad = contaminated(source, "mt_bench")
    questions = questions[~questions["turns"].apply(lambda t: t[0] in bad or t[1] in bad)]
    mean = judged.groupby(["question_id", "model"])["score"].mean().unstack()
    out = questions.assign(prompt=questions["turns"].str[0]).join(mean, on="question_id")
    return pd.DataFrame({"prompt": out["prompt"], "weak": out[WEAK], "strong": out[STRONG]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routellm", type=Path, required=True)
    parser.add_argument("--alpaca-eval", type=Path, help="tatsu-lab/alpaca_eval (git dir or checkout)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"{'set':<20} {'n':>5} {'weak':>6} {'strong':>6} {'difficulty':>10} {'old tiers':>10} {'random':>8}")
    sets = [("gsm8k", gsm8k(args.routellm)), ("mt-bench", mt_bench(args.routellm))]
    if args.alpaca_eval:
        sets += [(name, alpaca_eval(args.alpaca_eval, folder)) for name, folder in ALPACA_SETS]
    for name, data in sets:
        data = data.dropna().reset_index(drop=True)
        weak, strong = data["weak"].to_numpy(float), data["strong"].to_numpy(float)
        d = score(*features_of(data["prompt"]))
        random = np.mean([apgr(rng.random(len(data)), weak, strong) for _ in range(200)])
        print(
            f"{name:<20} {len(data):>5} {weak.mean():>6.3f} {strong.mean():>6.3f} {apgr(d, weak, strong):>10.3f} "
            f"{apgr(old_tiers(data['prompt']), weak, strong):>10.3f} {random:>8.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
