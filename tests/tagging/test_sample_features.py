"""The bundled sample tells the truth without tag rules (issue 12, item 5).

Each feature of sample_logs/ (sample_logs/README.md) is a known task; the tagger must call
it that from the system prompt and the message alone. This is a regression guard on one
templated data set, not evidence of accuracy (that is the leave-one-source-out
evaluation in docs/tagging.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from llmaudit.cli import main

ROOT = Path(__file__).resolve().parents[2]

# feature -> the task types that are right for it, and the share that must get one of them.
EXPECTED: dict[str, tuple[set[str], float]] = {
    "ticket-classify": ({"classification"}, 0.9),
    "tone-check": ({"classification"}, 0.9),
    "field-extract": ({"extraction"}, 0.9),
    "closed-ticket-extraction": ({"extraction"}, 0.9),
    "ticket-summary": ({"summarization"}, 0.9),
    "nightly-digest": ({"summarization"}, 0.9),
    "weekly-trends": ({"summarization"}, 0.9),
    "reply-rewrite": ({"rewrite"}, 0.9),
    "escalation-analysis": ({"reasoning"}, 0.9),
    "api-debug": ({"code"}, 0.9),
    # The help-center chatbot answers customers' questions over several turns.
    "support-chat": ({"qa", "chat"}, 0.9),
}
# The gateway export carries no text: nothing to tag from, so never a guess.
NO_TEXT = ("classify-shadow", "kb-tagging", "reply-translate")


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("sample") / "rows.parquet"
    assert main(["analyze", str(ROOT / "sample_logs"), "--per-request", str(out), "--format", "json"]) == 0
    return pd.read_parquet(out, columns=["feature", "status", "task_type", "tag_reasons"])


@pytest.mark.parametrize("feature", sorted(EXPECTED))
def test_each_feature_is_tagged_as_what_it_is(tagged: pd.DataFrame, feature: str) -> None:
    rows = tagged[(tagged["feature"] == feature) & (tagged["status"] == "ok")]
    assert len(rows) > 0
    right, share = EXPECTED[feature]
    got = rows["task_type"].isin(right).mean()
    assert got >= share, rows["task_type"].value_counts().to_dict()


def test_no_math_in_a_help_desk(tagged: pd.DataFrame) -> None:
    # Digests full of ticket counts and drafts quoting prices are not math problems.
    assert (tagged["task_type"] == "math").sum() == 0


@pytest.mark.parametrize("feature", NO_TEXT)
def test_features_without_text_stay_unknown(tagged: pd.DataFrame, feature: str) -> None:
    assert set(tagged.loc[tagged["feature"] == feature, "task_type"]) == {"unknown"}
