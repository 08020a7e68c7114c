"""The user's rules file: loading, errors with file:line, and rules overriding text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from llmaudit.errors import ConfigError
from llmaudit.tagging import TagRules, load_tag_rules, tag_requests

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tag-rules.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_example_loads() -> None:
    rules = load_tag_rules(EXAMPLE)
    assert isinstance(rules, TagRules)
    assert rules.rules[0].name == "ticket-triage"
    assert "GDPR" in rules.high_stakes.patterns[0]


def test_feature_rule_overrides_text_signals(tmp_path: Path) -> None:
    rules = load_tag_rules(write(tmp_path, "rules:\n  - match: {feature: support}\n    task_type: chat\n    tier: 1\n"))
    frame = pd.DataFrame(
        {"user_text": ["Translate this into Spanish: where is my parcel?"] * 2, "feature": ["support", "other"]}
    )
    out = tag_requests(frame, rules)
    assert out.loc[0, "task_type"] == "chat"  # the text says translation; the rule wins
    assert out.loc[0, "complexity_tier"] == 1
    assert "rule:feature=support" in out.loc[0, "tag_reasons"]
    assert out.loc[0, "tag_confidence"] >= 0.95
    assert out.loc[1, "task_type"] == "translation"


def test_tag_glob_and_high_stakes(tmp_path: Path) -> None:
    text = (
        "rules:\n  - match: {tags: 'batch-*'}\n    tier: 0\n"
        "high_stakes:\n  features: [billing*]\n  patterns: ['\\bGDPR\\b']\n"
    )
    rules = load_tag_rules(write(tmp_path, text))
    frame = pd.DataFrame(
        {
            "user_text": ["Classify: spam?", "Summarize the GDPR request", "hello", "Classify: spam?"],
            "feature": ["x", "x", "billing-dispute", "x"],
            "tags": ["env:prod|batch-nightly", None, None, "batch"],
        }
    )
    out = tag_requests(frame, rules)
    assert list(out.complexity_tier) == [0, 3, 3, 0]
    assert "high_stakes:text" in out.loc[1, "tag_reasons"]
    assert "high_stakes:feature" in out.loc[2, "tag_reasons"]
    assert "rule:" in out.loc[0, "tag_reasons"] and "rule:" not in out.loc[3, "tag_reasons"]


def test_extra_keywords_add_to_the_lexicon(tmp_path: Path) -> None:
    rules = load_tag_rules(write(tmp_path, "keywords:\n  code: ['\\bterraform\\b']\n"))
    frame = pd.DataFrame({"user_text": ["terraform plan keeps showing drift on the bucket"]})
    assert tag_requests(frame, rules).loc[0, "task_type"] == "code"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("version: 1\nrules:\n  - match: {feature: a}\n    task: chat\n", 4, "unknown field"),
        ("rules:\n  - match: {feature: a}\n    task_type: poetry\n", 3, "task_type"),
        ("keywords:\n  code: ['a']\n  code: ['b']\n", 3, "duplicate key"),
        ("rules:\n  - match: {feature: a}\n    tier: 7\n", 3, "tier"),
        ("rules:\n  - match: {text: '(unclosed'}\n    tier: 1\n", 2, "regular expression"),
        ("rules:\n  - match: {}\n    tier: 1\n", 2, "at least one"),
    ],
)
def test_bad_rules_files_name_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_tag_rules(path)
    message = str(info.value)
    assert f"{path}:{line}" in message, message
    assert words in message, message


def test_empty_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="empty"):
        load_tag_rules(write(tmp_path, ""))
