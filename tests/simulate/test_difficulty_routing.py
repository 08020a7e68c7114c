"""Routing by difficulty and the treatment of untagged requests, costs worked out by hand.

Prices as in test_replay.py: big in 10 / out 30, small in 0.5 / out 1.5 (USD per million).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from llmaudit.pricing import PriceTable, load_pricing
from llmaudit.schema import StageError
from llmaudit.simulate import replay
from llmaudit.simulate.match import difficulty_threshold
from llmaudit.simulate.replay import KEPT_UNTAGGED
from tests.simulate.test_replay import PRICES, policy, traffic


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> PriceTable:
    path = tmp_path_factory.mktemp("sim") / "prices.yaml"
    path.write_text(PRICES)
    return load_pricing([path], include_shipped=False)


TO_SMALL = [{"to": {"model": "small"}}]


def rows(difficulties: list[float | None], **extra: Any) -> list[dict[str, Any]]:
    return [
        dict(
            input_tokens=1000,
            output_tokens=100,
            difficulty=np.nan if d is None else d,
            task_type="unknown" if d is None else "qa",
            **extra,
        )
        for d in difficulties
    ]


def test_threshold_calibration_takes_the_share_from_the_scores() -> None:
    d = np.array([0.1, 0.9, 0.5, 0.3, np.nan, 0.7])
    # Five scores; the top 40% are two of them: 0.9 and 0.7, so the threshold is 0.7.
    assert difficulty_threshold(d, 0.4) == 0.7
    assert difficulty_threshold(d, 0.2) == 0.9
    assert difficulty_threshold(d, 0.0) == float("inf")
    assert difficulty_threshold(d, 1.0) == float("-inf")
    assert difficulty_threshold(np.array([np.nan]), 0.5) == float("inf")


def test_match_by_difficulty_above_and_below(table) -> None:  # type: ignore[no-untyped-def]
    frame = traffic(table, rows([0.2, 0.65, 0.9]))
    p = policy(
        routes=[
            {"match": {"difficulty": {"above": 0.6}}, "to": {"model": "big"}},
            {"match": {"difficulty": {"below": 0.6}}, "to": {"model": "small"}},
        ]
    )
    result = replay(frame, table, p)
    assert result.routed_model.tolist() == ["small", "big", "big"]
    # small: 1000 * 0.5 + 100 * 1.5 = 650 per million -> $0.00065; big stays $0.013.
    assert result.cost_usd.tolist() == pytest.approx([0.00065, 0.013, 0.013])


def test_strong_share_sends_the_most_difficult_share_to_the_top_route(table) -> None:  # type: ignore[no-untyped-def]
    frame = traffic(table, rows([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]))
    p = policy(
        routes=[{"match": {"difficulty": {"strong_share": 0.3}}, "to": {"model": "big"}}, {"to": {"model": "small"}}]
    )
    result = replay(frame, table, p)
    assert result.routed_model.tolist() == ["small"] * 7 + ["big"] * 3
    assert result.cost_usd.sum() == pytest.approx(7 * 0.00065 + 3 * 0.013)


def test_untagged_requests_keep_the_logged_model_by_default(table) -> None:  # type: ignore[no-untyped-def]
    frame = traffic(table, rows([None, 0.5]))
    result = replay(frame, table, policy(routes=TO_SMALL))
    assert result.routed_model.tolist() == ["big", "small"]
    assert result.reason[0] == KEPT_UNTAGGED
    assert result.cost_usd.tolist() == pytest.approx([0.013, 0.00065])


def test_unknown_route_and_unknown_target(table) -> None:  # type: ignore[no-untyped-def]
    frame = traffic(table, rows([None, 0.5]))
    routed = replay(frame, table, policy(unknown="route", routes=TO_SMALL))
    assert routed.routed_model.tolist() == ["small", "small"]
    # A target of their own, ahead of every route; the policy's route keeps its label.
    sent = replay(frame, table, policy(unknown={"model": "claude"}, routes=[{"match": {}, "to": {"model": "small"}}]))
    assert sent.routed_model.tolist() == ["claude", "small"]
    assert sent.reason.tolist() == ["rule unknown", "rule routes[0]"]
    # claude: 1000 * 3 + 100 * 15 = 4500 per million.
    assert sent.cost_usd.tolist() == pytest.approx([0.0045, 0.00065])


def test_untagged_never_match_a_difficulty_band(table) -> None:  # type: ignore[no-untyped-def]
    frame = traffic(table, rows([None]))
    p = policy(unknown="route", routes=[{"match": {"difficulty": {"below": 1.0}}, "to": {"model": "small"}}])
    assert replay(frame, table, p).routed_model.tolist() == ["big"]


def test_difficulty_band_needs_a_bound() -> None:
    with pytest.raises(ValueError, match="above, below or strong_share"):
        policy(routes=[{"match": {"difficulty": {}}, "to": {"model": "small"}}])
    with pytest.raises(ValueError, match="either above or strong_share"):
        policy(routes=[{"match": {"difficulty": {"above": 0.5, "strong_share": 0.2}}, "to": {"model": "small"}}])


def test_a_frame_without_tags_is_a_stage_error_naming_them(table) -> None:  # type: ignore[no-untyped-def]
    # Replay reads a collected frame, tags included: one without them is a bug upstream (exit 3).
    frame = traffic(table, rows([0.5])).drop(columns=["task_type", "complexity_tier"])
    with pytest.raises(StageError, match=r"replay .* task_type, complexity_tier, .* simulate collect"):
        replay(frame, table, policy(routes=TO_SMALL))


def test_showcase_policies_save_on_the_sample_and_keep_untagged(capsys: pytest.CaptureFixture[str]) -> None:
    import json
    from pathlib import Path

    from llmaudit.cli import main

    root = Path(__file__).resolve().parents[2]
    policies = [str(root / "examples/policies" / name) for name in ("four-tiers.yaml", "difficulty.yaml")]
    args = ["simulate", str(root / "sample_logs"), "-q", "-f", "json"]
    assert main([*args, "-P", policies[0], "-P", policies[1]]) == 0
    data = json.loads(capsys.readouterr().out)
    for p in data["policies"]:
        assert p["savings_usd"] > 0, p["name"]
        unknown = next(r for r in p["by_task"] if r["key"] == "unknown")
        assert unknown["rerouted"] == 0 and unknown["savings_usd"] == 0  # unknown: keep (the default)


def test_routing_by_difficulty_without_evidence_is_flagged_once_per_run(capsys: pytest.CaptureFixture[str]) -> None:
    """The score ranks chat worse than random (docs/tagging.md): savings from it need quality evidence."""
    import json
    from pathlib import Path

    from llmaudit.cli import main

    root = Path(__file__).resolve().parents[2]
    policies = [
        arg for name in ("four-tiers", "difficulty") for arg in ("-P", str(root / f"examples/policies/{name}.yaml"))
    ]
    args = ["simulate", str(root / "sample_logs"), "-q", "-f", "json", *policies]
    flagged = "routes by the difficulty score, and no quality evidence was given"

    def warnings(*more: str) -> list[str]:
        assert main([*args, *more]) == 0
        return [w for w in json.loads(capsys.readouterr().out)["warnings"] if "difficulty score" in w]

    [only] = warnings()
    assert only.startswith("policy 'difficulty' " + flagged)
    assert "four-tiers" not in only  # a policy that routes by tier and task type is not named
    assert warnings("--quality", str(root / "examples/quality.yaml")) == []
