"""Tagging in ``analyze``: by_task / by_tier, the overspend finding, --sample, rules, per-request columns."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.analyze.overspend import Overspend, blended
from llmaudit.analyze.tagsummary import TagAccumulator
from llmaudit.cli import main
from llmaudit.pricing import load_pricing, price_requests
from llmaudit.schema import TAGGED
from tests.conftest import complete, requests_frame, write_lines

ROOT = Path(__file__).resolve().parents[2]

TABLE = """\
schema_version: 1
name: overspend-test
source: hand-written for tests
as_of: 2026-11-01
models:
  frontier:
    provider: acme
    input: 10.00
    output: 30.00
    context_window: 400000
  mid:
    provider: acme
    input: 1.00
    output: 4.00
    context_window: 100000
  tiny:
    provider: acme
    input: 0.10
    output: 0.40
    context_window: 4000
    max_output_tokens: 1000
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_overspend_hand_computed(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(TABLE)
    table = load_pricing([path], include_shipped=False)
    # blended = (3 input + 1 output) / 4: frontier (30 + 30) / 4 = 15 >= 2.50; mid (3 + 4) / 4 = 1.75; tiny 0.175.
    assert blended(table.get("frontier")) == pytest.approx(15.0)
    frame = requests_frame(
        [
            # eligible; tiny fits: 2,000 x 0.10 + 100 x 0.40 = $0.00024 (on frontier 0.02 + 0.003 = $0.023)
            {"model": "frontier", "complexity_tier": 0, "status": "ok", "input_tokens": 2000, "output_tokens": 100},
            # eligible; 10,000 > tiny's 4,000 window, mid fits: 0.01 + 0.0008 = $0.0108 (frontier 0.1 + 0.006 = $0.106)
            {"model": "frontier", "complexity_tier": 1, "status": "ok", "input_tokens": 10000, "output_tokens": 200},
            # not eligible: tier 2; failed; not frontier-priced
            {"model": "frontier", "complexity_tier": 2, "status": "ok", "input_tokens": 1000, "output_tokens": 10},
            {"model": "frontier", "complexity_tier": 0, "status": "error", "input_tokens": 1000, "output_tokens": 0},
            {"model": "mid", "complexity_tier": 0, "status": "ok", "input_tokens": 1000, "output_tokens": 10},
            # eligible, but 200,000 tokens fit neither mid nor tiny: the cheapest fit is frontier itself ($2.00)
            {"model": "frontier", "complexity_tier": 0, "status": "ok", "input_tokens": 200000, "output_tokens": 0},
        ]
    ).assign(task_type="classification")
    annotated = Overspend(table).annotate(price_requests(complete(frame, TAGGED), table))
    assert annotated["overspend_eligible"].tolist() == [True, True, False, False, False, True]
    assert annotated["cheapest_fit_model"].tolist()[:2] == ["tiny", "mid"]
    assert annotated["cheapest_fit_model"].iloc[5] == "frontier"
    assert pd.isna(annotated["cheapest_fit_model"].iloc[2])
    assert annotated["cheapest_fit_cost_usd"].iloc[0] == pytest.approx(0.00024)
    assert annotated["cheapest_fit_cost_usd"].iloc[1] == pytest.approx(0.0108)

    acc = TagAccumulator()
    acc.update(annotated)
    total = float(annotated["cost_usd"].sum())
    finding = acc.finding(total)
    assert finding is not None and finding.id == "overspend"
    assert "3 easy requests" in finding.title
    # eligible cost 0.023 + 0.106 + 2.00 = 2.129 -> cheapest fits 0.00024 + 0.0108 + 2.00 = 2.01104
    assert "$2.13" in finding.title
    assert finding.cost_usd == pytest.approx(2.129 - 2.01104)
    assert "would cost $2.01" in finding.detail


def test_no_overspend_without_easy_frontier_traffic(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(TABLE)
    table = load_pricing([path], include_shipped=False)
    frame = requests_frame(
        [{"model": "mid", "complexity_tier": 0, "status": "ok", "input_tokens": 10, "output_tokens": 1}]
    ).assign(task_type="qa")
    acc = TagAccumulator()
    acc.update(Overspend(table).annotate(price_requests(complete(frame, TAGGED), table)))
    assert acc.finding(1.0) is None


def test_sample_logs_lead_with_overspend_and_breakdowns_cover_everything(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    priced = tmp_path / "priced.csv"
    code, out, _ = run(capsys, "analyze", str(ROOT / "sample_logs"), "-f", "json", "-q", "--per-request", str(priced))
    assert code == 0
    data = json.loads(out)
    warnings = [f for f in data["findings"] if f["severity"] != "critical"]
    assert warnings[0]["id"] == "overspend"
    total, requests = data["summary"]["total_cost_usd"], data["summary"]["requests"]
    for key in ("by_task", "by_tier"):
        assert sum(r["requests"] for r in data[key]) == requests
        assert sum(r["cost_usd"] or 0 for r in data[key]) == pytest.approx(total)
        assert all(r["main_models"] for r in data[key])
    assert [r["key"] for r in data["by_tier"]] == sorted(r["key"] for r in data["by_tier"])
    assert {r["name"] for r in data["by_tier"]} <= {"trivial", "standard", "complex", "high-stakes"}

    # Independently from the per-request rows: easy, successful, frontier-priced (blended >= $2.50).
    rows = pd.read_csv(priced)
    assert {"task_type", "complexity_tier", "tag_confidence", "tag_reasons", "difficulty"} <= set(rows.columns)
    # Mean difficulty per tier, from the per-request rows (untagged rows have none).
    means = rows.groupby("complexity_tier")["difficulty"].mean()
    for r in data["by_tier"]:
        assert r["mean_difficulty"] == pytest.approx(means[int(r["key"])], abs=1e-4)
    assert rows.loc[rows["task_type"] == "unknown", "difficulty"].isna().all()
    assert (rows.loc[rows["task_type"] == "unknown", "complexity_tier"] == 2).all()
    table = load_pricing()
    frontier = {m.name for m in table.models if blended(m) >= 2.50}
    easy = rows[rows["complexity_tier"].isin([0, 1]) & (rows["status"] == "ok") & rows["priced_model"].isin(frontier)]
    overspend = warnings[0]
    assert overspend["title"].startswith(f"{len(easy):,} easy requests")
    assert overspend["share"] == pytest.approx(easy["cost_usd"].sum() / total)


def test_rules_file_overrides_text_signals(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    def line(i: int, text: str, feature: str) -> str:
        return json.dumps(
            {
                "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]},
                "response": {
                    "id": f"chatcmpl-{i}",
                    "object": "chat.completion",
                    "created": 1772323200 + i,
                    "model": "gpt-4o-2024-08-06",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
                    "usage": {"prompt_tokens": 1000, "completion_tokens": 10, "total_tokens": 1010},
                },
                "feature": feature,
            }
        )

    text = "Write a Python function that parses ISO dates and add unit tests for it."
    logs = write_lines(tmp_path / "logs.jsonl", [line(1, text, "ticket-classify"), line(2, text, "other")])
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules:\n  - match: {feature: ticket-classify}\n    task_type: classification\n")
    priced = tmp_path / "priced.jsonl"
    args = ["analyze", str(logs), "-q", "-f", "json", "--per-request", str(priced)]
    assert run(capsys, *args)[0] == 0
    assert [json.loads(r)["task_type"] for r in priced.read_text().splitlines()] == ["code", "code"]
    assert run(capsys, *args, "--tag-rules", str(rules))[0] == 0
    tagged = [json.loads(r) for r in priced.read_text().splitlines()]
    assert [r["task_type"] for r in tagged] == ["classification", "code"]
    assert "rule:" in tagged[0]["tag_reasons"]


def test_bad_rules_file_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules:\n  - match: {feature: x}\n    tier: 9\n")
    code, _, err = run(capsys, "analyze", str(ROOT / "sample_logs" / "app"), "-q", "--tag-rules", str(rules))
    assert code == 2
    assert "rules.yaml" in err and "Traceback" not in err


def test_sample_shows_redacted_prompts_only_when_asked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    secret = "Classify the sentiment of this review from jane.doe@example.com, card 4111111111111111: great!"
    record = {
        "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": secret}]},
        "response": {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1772323200,
            "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "positive"}}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 1, "total_tokens": 31},
        },
    }
    logs = write_lines(tmp_path / "logs.jsonl", [json.dumps(record)])
    for fmt in ("table", "markdown", "json"):
        _, plain, _ = run(capsys, "analyze", str(logs), "-q", "-f", fmt)
        assert "Classify the sentiment" not in plain
        code, shown, _ = run(capsys, "analyze", str(logs), "-q", "-f", fmt, "--sample", "2")
        assert code == 0
        assert "Classify the sentiment" in shown
        assert "jane.doe@example.com" not in shown and "4111111111111111" not in shown


def test_embeddings_are_not_empty_answers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    logs = write_lines(
        tmp_path / "usage.csv",
        ["model,input_tokens,output_tokens", "text-embedding-3-small,500,0", "gpt-4o-mini,100,0"],
    )
    code, out, _ = run(capsys, "analyze", str(logs), "-q", "-f", "json")
    assert code == 0
    empty = [f for f in json.loads(out)["findings"] if f["id"] == "failed_or_empty"]
    assert len(empty) == 1 and "1 empty answer" in empty[0]["title"]  # the chat model's, not the embedding's


SELLER_TABLE = """\
schema_version: 1
name: seller-test
source: hand-written for tests
as_of: 2026-11-01
models:
  plain:
    provider: acme
    input: 2.00
    output: 8.00
  other:
    provider: acme
    input: 1.00
    output: 1.00
sellers:
  gw:
    kind: gateway
    source: test
    as_of: 2026-11-01
    unlisted_models: list_price
    markup_pct: 10
    per_request_usd: 0.001
    credit_fee: {pct: 5, min_usd: 1.00}
    fx_fee_pct: 2
    models:
      other: {input: 3.00, output: 3.00}
"""


def test_seller_prices_and_bill_level_fees_hand_computed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(SELLER_TABLE)
    logs = write_lines(
        tmp_path / "usage.csv",
        [
            "timestamp,model,input_tokens,output_tokens",
            "2026-03-01T00:00:00Z,plain,1000000,100000",
            "2026-03-02T00:00:00Z,other,1000000,0",
        ],
    )
    code, out, err = run(capsys, "analyze", str(logs), "-q", "-f", "json", "--pricing", str(prices), "--seller", "GW")
    assert code == 0, err
    data = json.loads(out)
    # plain: list 1M x 2 + 0.1M x 8 = 2.80, +10% markup = 3.08, + 0.001 per request = 3.081
    # other: the seller's own price, final (no markup): 1M x 3 = 3.00, + 0.001 = 3.001
    assert data["summary"]["total_cost_usd"] == pytest.approx(6.082)
    bill = data["seller"]
    assert bill["seller"] == "gw" and bill["period_days"] == pytest.approx(1.0)
    # credit fee: 5% of one purchase of 6.082 = 0.3041 < the 1.00 minimum -> 1.00
    # FX: 2% of everything billed, 6.082 + 1.00 = 7.082 -> 0.14164
    fees = {f["name"]: f["usd"] for f in bill["fees"]}
    assert fees["credit_purchase"] == pytest.approx(1.00)
    assert fees["fx"] == pytest.approx(0.14164)
    assert bill["total_usd"] == pytest.approx(6.082 + 1.00 + 0.14164)
    # a month (365.25 / 12 = 30.4375 days) of the same traffic: metered 6.082 x 30.4375 = 185.1209...;
    # credit 5% = 9.256 (above the minimum); FX 2% of (185.1209 + 9.256)
    month = 6.082 * 30.4375
    assert bill["projected_monthly_total_usd"] == pytest.approx((month * 1.05) * 1.02)

    code, _, err = run(capsys, "analyze", str(logs), "-q", "--pricing", str(prices), "--seller", "nobody")
    assert code == 2 and "no seller named 'nobody'" in err and "gw" in err


def test_no_tag_skips_tagging(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    priced = tmp_path / "priced.csv"
    app = str(ROOT / "sample_logs" / "app")
    code, out, _ = run(capsys, "analyze", app, "-q", "-f", "json", "--no-tag", "--per-request", str(priced))
    assert code == 0
    data = json.loads(out)
    assert data["by_task"] == [] and data["by_tier"] == []
    assert "overspend" not in {f["id"] for f in data["findings"]}
    assert "task_type" not in pd.read_csv(priced).columns
    assert run(capsys, "analyze", app, "-q", "--no-tag", "--sample", "2")[0] == 2
