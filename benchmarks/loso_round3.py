"""The third blind round's sources of the leave-one-source-out set (build_loso_eval.py).

Two independent sources added on 2026-12-04 (docs/tagging.md, "Third blind round"), chosen
after the tagger change of that round was committed (nothing in llmaudit/ changed after they
were chosen), from the candidates named before that change, and mapped from the data sets'
own descriptions before the tagger ever ran on them:

- SVAMP (arkilpatel/SVAMP): maths word problems written to defeat shallow heuristics
  (NAACL 2021), built from ASDiv-A, not from GSM8K (reserved); every item is a maths problem.
- EQ-Bench's creative-writing prompts (EQ-bench/EQ-Bench): the writing prompts of its
  creative-writing benchmark; every item asks for a piece of creative writing.

Both have one label, so they test recall of maths and creative requests only (a tagger that
called everything maths would score 1.0 on SVAMP); docs/tagging.md says so. Each loader takes
``show(repo, commit, path) -> str`` and samples with its own seeded generator.
"""

from __future__ import annotations

import json

import numpy as np
from loso_round2 import Show, sample

# SVAMP.json: 1,000 problems, each a Body (the story) and a Question; the prompt is both, as
# the authors' models read it. Type names the arithmetic operation, not a task: all are maths.
SVAMP_REPO = ("arkilpatel/SVAMP", "689d7ccac74b9983a2ac7cc3b264f441b99e7c53", "SVAMP.json")
SVAMP_SEED = 202612044
SVAMP_ITEMS = 120

# data/creative_writing_prompts.json: 19 prompts; "writing_prompt" is the request (the seed
# modifiers and judging criteria are the benchmark's own additions, not part of the prompt).
EQ_REPO = ("EQ-bench/EQ-Bench", "d28c60c514fe6667dc5818114ed10088f91f09f3", "data/creative_writing_prompts.json")


def svamp(show: Show) -> list[dict]:
    rows = json.loads(show(*SVAMP_REPO))
    rng = np.random.default_rng(SVAMP_SEED)
    out = []
    for i in sample(rng, len(rows), SVAMP_ITEMS):
        row = rows[i]
        text = f"{row['Body'].strip()} {row['Question'].strip()}"
        out.append({"source": "svamp", "item": str(row["ID"]), "label": "math", "text": text})
    return out


def eq_creative(show: Show) -> list[dict]:
    prompts = json.loads(show(*EQ_REPO))
    return [
        {"source": "eq-bench-creative", "item": str(key), "label": "creative", "text": value["writing_prompt"].strip()}
        for key, value in prompts.items()
    ]


SOURCES = (svamp, eq_creative)


def round3_items(show: Show) -> list[dict]:
    return [item for source in SOURCES for item in source(show)]
