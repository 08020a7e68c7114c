"""The second blind round's sources of the leave-one-source-out set (build_loso_eval.py).

Five independent sources added on 2026-12-04 (docs/tagging.md, "Second blind round"): BELLE's
Chinese evaluation set, AGIEval's exam questions (English and Chinese), Auto-J's real-user
queries by scenario, LogicKor (Korean) and JMMLU's questions written in Japanese. Each label is
the data set authors' own category (a class, a task file, a scenario, a subject), mapped to our
task types from the category's name and the data set's own description only, fixed here
before the tagger ever ran on the items and without reading them. A category that names a
domain rather than a task, or that fits two of our task types about equally, is left out
(``None``), with the reason next to it.

Each loader takes ``show(repo, commit, path) -> str`` (a file of a fetched snapshot) and,
where it samples, draws from its own seeded generator, so that adding or changing one source
never moves another source's items.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import numpy as np

Show = Callable[[str, str, str], str]
PER_GROUP = 40  # items per sampled group (an AGIEval file, an Auto-J task type, a JMMLU subject)


def jsonl(text: str) -> list[dict]:
    # not splitlines(): prompts may hold U+2028 and other line breaks
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def script_of(text: str) -> str:
    """``non-latin`` when at least 30% of the characters are outside ASCII, else ``latin``."""
    return "non-latin" if sum(ord(c) > 127 for c in text) / max(len(text), 1) >= 0.3 else "latin"


def sample(rng: np.random.Generator, n: int, k: int) -> list[int]:
    """``k`` of ``range(n)`` (all of them when ``n <= k``), in file order."""
    return list(range(n)) if n <= k else sorted(int(i) for i in rng.choice(n, k, replace=False))


# BELLE's 1,000-item Chinese evaluation set (its classes follow InstructGPT's use-case
# taxonomy; eval/eval_prompt.json gives the grading rule of each, translation a class of
# its own, so "rewrite" is not translation). Every class maps; all items are kept.
BELLE_REPO = ("LianjiaTech/BELLE", "645084d36454cdeb4e7f1ce9b2f3426bac39f1f9", "eval/eval_set.json")
BELLE_LABELS: dict[str, str | None] = {
    "open qa": "qa",
    "closed qa": "qa",  # answer from a given text (as AlignBench's reading comprehension)
    "brainstorming": "creative",  # ideas and lists of one's own (the labeling guide's "ideas")
    "generation": "creative",
    "rewrite": "rewrite",
    "classification": "classification",
    "extract": "extraction",
    "summarization": "summarization",
    "translation": "translation",  # a class of BELLE's taxonomy; none in this file
    "math": "math",
    "code": "code",
    "other": None,  # no task named
}


def belle(show: Show) -> list[dict]:
    out = []
    for index, row in enumerate(jsonl(show(*BELLE_REPO))):
        label = BELLE_LABELS[" ".join(str(row["class"]).lower().split())]  # "closed\xa0qa"
        if label is not None:
            out.append({"source": "belle-eval", "item": str(index), "label": label, "text": row["question"]})
    return out


# AGIEval v1: exam questions (data/v1, one file per exam); the file is the authors' task.
# Mapped from the paper's task table: maths exams -> math; logic exams -> reasoning; reading
# comprehension and knowledge exams -> qa.
AGIEVAL_REPO = ("ruixiangcui/AGIEval", "5c77d073fda993f1652eaae3cf5d04cc5fd21d40")
AGIEVAL_LABELS: dict[str, str | None] = {
    "aqua-rat": "math",  # algebraic word problems
    "math": "math",  # competition mathematics (MATH)
    "sat-math": "math",
    "gaokao-mathqa": "math",  # Chinese college entrance exam, maths, multiple choice
    "gaokao-mathcloze": "math",  # the same, fill in the blank
    "logiqa-en": "reasoning",  # civil-service logical reasoning (LogiQA)
    "logiqa-zh": "reasoning",  # the same questions in Chinese: drawn apart from logiqa-en
    "lsat-ar": "reasoning",  # LSAT analytical reasoning (logic games)
    "lsat-lr": "reasoning",  # LSAT logical reasoning
    "lsat-rc": "qa",  # LSAT reading comprehension
    "sat-en": "qa",  # SAT reading comprehension (passage and question)
    "gaokao-history": "qa",
    "gaokao-geography": "qa",
    "gaokao-biology": "qa",
    "jec-qa-kd": "qa",  # Chinese bar exam, knowledge-driven questions
    "jec-qa-ca": None,  # bar exam case analysis: applying law to a case, qa or reasoning
    "gaokao-physics": None,  # recall and calculation mixed: qa or math
    "gaokao-chemistry": None,  # likewise
    "gaokao-chinese": None,  # a language exam: reading, poetry appreciation, usage mixed
    "gaokao-english": None,  # a foreign-language exam: cloze, grammar, reading mixed
    "sat-en-without-passage": None,  # questions about a passage that is not given
}
AGIEVAL_SEED = 202612041


def agieval_text(row: dict) -> str:
    parts = [str(row["passage"]).strip()] if row.get("passage") else []
    parts.append(str(row["question"]).strip())
    if row.get("options"):
        parts.append("\n".join(str(o) for o in row["options"]))
    return "\n".join(parts)


def agieval(show: Show) -> list[dict]:
    """Up to 40 questions per mapped file; LogiQA's English and Chinese files hold the same
    questions line by line, so they share one draw of 80 lines, split between them."""
    rng = np.random.default_rng(AGIEVAL_SEED)
    out = []
    logiqa: list[int] = []
    for name, label in AGIEVAL_LABELS.items():
        if label is None:
            continue
        rows = jsonl(show(*AGIEVAL_REPO, f"data/v1/{name}.jsonl"))
        if name.startswith("logiqa"):
            logiqa = logiqa or [int(i) for i in rng.choice(len(rows), 2 * PER_GROUP, replace=False)]
            half = logiqa[:PER_GROUP] if name == "logiqa-en" else logiqa[PER_GROUP:]
            indices = sorted(half)
        else:
            indices = sample(rng, len(rows), PER_GROUP)
        for index in indices:
            text = agieval_text(rows[index])
            item = {"source": "agieval", "item": f"{name}#{index}", "label": label, "text": text}
            out.append({**item, "script": script_of(text)})
    return out


# Auto-J's pairwise test set: real users' queries (mostly Chatbot Arena, 2023), 24 pairs for
# each of 58 scenarios; a scenario's definition is in other_resources/constants.py.
AUTOJ_REPO = ("GAIR-NLP/auto-j", "2ae17a3965d933232e9cd50302aa0f176249c83b", "data/test/testdata_pairwise.jsonl")
AUTOJ_WRITING = (
    "creative_writing",
    "functional_writing",
    "writing_advertisement",
    "writing_biography",
    "writing_blog_post",
    "writing_cooking_recipe",
    "writing_email",
    "writing_job_application",
    "writing_legal_document",
    "writing_marketing_materials",
    "writing_news_article",
    "writing_personal_essay",
    "writing_presentation_script",
    "writing_product_description",
    "writing_scientific_paper",
    "writing_social_media_post",
    "writing_song_lyrics",
    "writing_technical_document",
)
AUTOJ_LABELS: dict[str, str | None] = {
    **dict.fromkeys(AUTOJ_WRITING, "creative"),  # new text to publish or send
    "planning": "creative",  # a plan of the user's own (labeling guide)
    "brainstorming": "creative",  # ideas
    "roleplay": "creative",  # as in the first round: the least clean of the kept mappings
    "text_summarization": "summarization",
    "post_summarization": "summarization",
    "note_summarization": "summarization",
    "text_simplification": "rewrite",
    "language_polishing": "rewrite",
    "instructional_rewriting": "rewrite",
    "text_correction": "rewrite",
    "paraphrasing": "rewrite",
    "code_generation": "code",
    "code_correction_rewriting": "code",
    "code_simplification": "code",
    "code_to_code_translation": "code",
    "explaining_code": "code",
    "math_reasoning": "math",
    "solving_exam_question_with_math": "math",
    "information_extraction": "extraction",
    "keywords_extraction": "extraction",
    "classification_identification": "classification",
    "text_to_text_translation": "translation",
    "chitchat": "chat",
    "open_question": "qa",
    "explaining_general": "qa",
    "asking_how_to_question": "qa",
    "seeking_advice": "qa",
    "recommendation": "qa",
    "reading_comprehension": "qa",  # as AlignBench's and AGIEval's
    "solving_exam_question_without_math": None,  # recall or reasoning
    "analyzing_general": None,  # qa or reasoning
    "verifying_fact": None,  # qa or reasoning ("verifying a statement" in the guide)
    "value_judgement": None,  # qa or reasoning
    "counterfactual": None,  # as in the first round
    "ranking": None,  # reasoning or classification
    "data_analysis": None,  # math, code or reasoning
    "topic_modeling": None,  # classification or extraction
    "title_generation": None,  # creative or summarization
    "question_generation": None,  # creative or extraction
    "peer_review": None,  # reasoning or creative
    "rejecting": None,  # not a task: what the answer should do
    "others": None,  # no task named
}
AUTOJ_SEED = 202612042


def autoj(show: Show) -> list[dict]:
    """Each distinct query once (a query can back several pairs); a query filed under two
    scenarios that map to different task types is dropped; up to 40 per task type."""
    first: dict[str, int] = {}
    labels: dict[str, set[str | None]] = {}
    rows = jsonl(show(*AUTOJ_REPO))
    for index, row in enumerate(rows):
        prompt = str(row["prompt"])
        first.setdefault(prompt, index)
        labels.setdefault(prompt, set()).add(AUTOJ_LABELS[row["scenario"]])
    pools: dict[str, list[str]] = {}
    for prompt in first:  # file order
        kinds = labels[prompt]
        label = next(iter(kinds)) if len(kinds) == 1 else None
        if label is not None:
            pools.setdefault(label, []).append(prompt)
    rng = np.random.default_rng(AUTOJ_SEED)
    out = []
    for label in sorted(pools):
        pool = pools[label]
        for k in sample(rng, len(pool), PER_GROUP):
            prompt = pool[k]
            item = {"source": "auto-j", "item": f"pairwise#{first[prompt]}", "label": label, "text": prompt}
            out.append({**item, "script": script_of(prompt)})
    return out


# LogicKor: 42 two-turn Korean questions written for the benchmark, 7 per category; the
# first turn is the prompt.
LOGICKOR_REPO = ("instructkr/LogicKor", "11c3a84f93d176754f1ce197a8f00961cffa9de2", "questions.jsonl")
LOGICKOR_LABELS: dict[str, str | None] = {
    "추론(Reasoning)": "reasoning",
    "수학(Math)": "math",
    "글쓰기(Writing)": "creative",
    "코딩(Coding)": "code",
    "이해(Understanding)": None,  # comprehension of a given text: the task asked varies
    "문법(Grammar)": None,  # questions on Korean grammar: qa, or rewrite when correcting
}


def logickor(show: Show) -> list[dict]:
    out = []
    for row in jsonl(show(*LOGICKOR_REPO)):
        label = LOGICKOR_LABELS[row["category"]]
        if label is not None:
            out.append({"source": "logickor", "item": str(row["id"]), "label": label, "text": row["questions"][0]})
    return out


# JMMLU: four-choice questions; only the subjects written in Japanese by Japanese teachers
# (the rest are translations of MMLU, which is in the set already).
JMMLU_REPO = ("nlp-waseda/JMMLU", "762cbf192c9e4588b574d718f95afd64c96fcbf4")
JMMLU_SUBJECTS: dict[str, str | None] = {
    "JMMLU/japanese_history.csv": "qa",  # a knowledge subject, as MMLU's history
    "JMMLU_NC_ND/japanese_geography.csv": "qa",
    "JMMLU_NC_ND/japanese_civics.csv": "qa",
    "JMMLU_NC_ND/japanese_idiom.csv": None,  # questions on words: qa, or classification of a reading
}
JMMLU_SEED = 202612043


def jmmlu(show: Show) -> list[dict]:
    """Up to 40 questions per Japanese subject, as question and the four choices (no header
    row in these files: question, A, B, C, D, answer)."""
    rng = np.random.default_rng(JMMLU_SEED)
    out = []
    for path, label in JMMLU_SUBJECTS.items():
        if label is None:
            continue
        rows = [r for r in csv.reader(io.StringIO(show(*JMMLU_REPO, path))) if r]
        for index in sample(rng, len(rows), PER_GROUP):
            question, *choices = rows[index][:5]
            text = question.strip() + "".join(f"\n{c}. {o}" for c, o in zip("ABCD", choices, strict=True))
            subject = path.rsplit("/", 1)[1].removesuffix(".csv")
            out.append({"source": "jmmlu-japan", "item": f"{subject}#{index}", "label": label, "text": text})
    return out


SOURCES = (belle, agieval, autoj, logickor, jmmlu)


def round2_items(show: Show) -> list[dict]:
    return [item for source in SOURCES for item in source(show)]
