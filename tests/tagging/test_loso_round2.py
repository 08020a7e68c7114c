"""The second blind round's loaders (benchmarks/loso_round2.py) on small hand-written files
shaped like the real ones (field names only), and the build's and the report's handling
of them. No prompt of the real sources is read and nothing is tagged here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_tagging  # noqa: E402
import build_loso_eval  # noqa: E402
import eval_loso  # noqa: E402
import loso_round2 as r2  # noqa: E402

MAPPINGS = {
    "belle": r2.BELLE_LABELS,
    "agieval": r2.AGIEVAL_LABELS,
    "autoj": r2.AUTOJ_LABELS,
    "logickor": r2.LOGICKOR_LABELS,
    "jmmlu": r2.JMMLU_SUBJECTS,
}


def lines(rows: list[dict]) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"


@pytest.mark.parametrize("name", sorted(MAPPINGS))
def test_every_mapping_names_one_of_our_task_types_or_leaves_out(name: str) -> None:
    values = set(MAPPINGS[name].values())
    assert values <= {*bench_tagging.LABELS, None}
    assert None in values  # each leaves a category out (BELLE: "other", which no item has)


def test_autoj_maps_every_scenario_of_its_definition() -> None:
    # other_resources/constants.py defines 60 scenarios (the test set uses 58 of them)
    assert len(r2.AUTOJ_LABELS) == 60 and len(r2.AUTOJ_WRITING) == 18
    assert {"others", "rejecting", "peer_review"} <= set(r2.AUTOJ_LABELS)


def test_sample_keeps_all_when_few_and_k_distinct_in_order_when_many() -> None:
    assert r2.sample(np.random.default_rng(1), 5, 40) == [0, 1, 2, 3, 4]
    drawn = r2.sample(np.random.default_rng(1), 100, 40)
    assert len(set(drawn)) == 40 and drawn == sorted(drawn) and max(drawn) < 100
    assert drawn == r2.sample(np.random.default_rng(1), 100, 40)


def test_script_of_counts_non_ascii_characters() -> None:
    assert r2.script_of("Write a poem about the sea") == "latin"
    assert r2.script_of("写一首关于大海的诗") == "non-latin"
    assert r2.script_of("Übersetze: café") == "latin"  # 2 of 15 characters


def test_belle_reads_its_class_names_with_odd_spaces() -> None:
    rows = [
        {"question": "q1", "class": "closed\xa0qa", "std_answer": ""},
        {"question": "q2", "class": "brainstorming", "std_answer": ""},
        {"question": "q3", "class": "other", "std_answer": ""},
    ]
    items = r2.belle(lambda repo, commit, path: lines(rows))
    assert [(i["item"], i["label"]) for i in items] == [("0", "qa"), ("1", "creative")]


def agieval_files(n: int) -> dict[str, str]:
    def row(name: str, i: int) -> dict:
        passage = f"passage {i}" if name.startswith(("logiqa", "lsat", "sat-en")) else None
        options = None if name in ("math", "gaokao-mathcloze") else ["(A)1", "(B)2"]
        return {"passage": passage, "question": f"{name} question {i}", "options": options, "label": "A"}

    return {f"data/v1/{name}.jsonl": lines([row(name, i) for i in range(n)]) for name in r2.AGIEVAL_LABELS}


def test_agieval_draws_40_per_mapped_file_and_splits_logiqa_between_its_languages() -> None:
    files = agieval_files(100)
    items = r2.agieval(lambda repo, commit, path: files[path])
    by_file: dict[str, list[int]] = {}
    for item in items:
        name, index = item["item"].split("#")
        by_file.setdefault(name, []).append(int(index))
        assert item["label"] == r2.AGIEVAL_LABELS[name]
    assert set(by_file) == {n for n, label in r2.AGIEVAL_LABELS.items() if label is not None}
    assert all(len(v) == 40 for v in by_file.values())
    assert not set(by_file["logiqa-en"]) & set(by_file["logiqa-zh"])  # the same questions, translated
    first = next(i for i in items if i["item"].startswith("lsat-ar#"))
    assert first["text"].splitlines()[0].startswith("passage") and first["text"].endswith("(A)1\n(B)2")
    assert items == r2.agieval(lambda repo, commit, path: files[path])  # seeded


def test_autoj_keeps_a_query_once_and_drops_one_filed_under_two_task_types() -> None:
    rows = [
        {"scenario": "code_generation", "prompt": "write a sort"},
        {"scenario": "code_generation", "prompt": "write a sort"},  # a second pair, same query
        {"scenario": "open_question", "prompt": "why is the sky blue"},
        {"scenario": "writing_email", "prompt": "ambiguous"},
        {"scenario": "text_summarization", "prompt": "ambiguous"},
        {"scenario": "others", "prompt": "hello?"},
    ]
    items = r2.autoj(lambda repo, commit, path: lines(rows))
    assert sorted((i["item"], i["label"]) for i in items) == [("pairwise#0", "code"), ("pairwise#2", "qa")]


def test_logickor_takes_the_first_turn_and_jmmlu_the_question_with_its_choices() -> None:
    kor = [
        {"id": 1, "category": "코딩(Coding)", "questions": ["turn one", "turn two"], "references": [None, None]},
        {"id": 2, "category": "문법(Grammar)", "questions": ["a", "b"], "references": [None, None]},
    ]
    assert r2.logickor(lambda repo, commit, path: lines(kor)) == [
        {"source": "logickor", "item": "1", "label": "code", "text": "turn one"}
    ]
    csv_text = "問題,甲,乙,丙,丁,A\n"
    items = r2.jmmlu(lambda repo, commit, path: csv_text)
    assert len(items) == 3  # one per mapped subject; the idioms are left out
    assert items[0]["text"] == "問題\nA. 甲\nB. 乙\nC. 丙\nD. 丁" and items[0]["label"] == "qa"


def test_the_build_leaves_out_a_text_an_earlier_source_or_item_holds(capsys: pytest.CaptureFixture[str]) -> None:
    earlier = [{"source": "vicuna-80", "text": "How do I  bake bread?"}]
    new = [
        {"source": "auto-j", "text": "How do I bake bread?"},  # spaces aside, vicuna's
        {"source": "auto-j", "text": "Sort a list"},
        {"source": "agieval", "text": "Sort  a list"},  # the same text, later
        {"source": "agieval", "text": "2 + 2 = ?"},
    ]
    kept = build_loso_eval.without_repeats(new, earlier)
    assert [i["text"] for i in kept] == ["Sort a list", "2 + 2 = ?"]
    out = capsys.readouterr().out
    assert "agieval: 1 items left out" in out and "auto-j: 1 items left out" in out


def test_the_report_prints_each_blind_round_on_its_own_line(capsys: pytest.CaptureFixture[str]) -> None:
    sources = ["mmlu", "alignbench", "vicuna-80", "belle-eval", "logickor"]
    items = pd.DataFrame({"source": sources, "label": ["qa"] * 5, "text": ["t"] * 5})
    pred = np.array(["qa", "qa", "math", "qa", "math"], dtype=object)
    eval_loso.print_tables(items, pred)
    out = capsys.readouterr().out
    assert "macro over the 2 blind sources (alignbench, arena-hard-v2, vicuna-80, wizardlm-testset): **0.500**" in out
    assert "macro over the 2 second-round blind sources (agieval, auto-j, belle-eval, jmmlu-japan, logickor)" in out
    assert "second-round blind sources (agieval, auto-j, belle-eval, jmmlu-japan, logickor): **0.500**" in out
