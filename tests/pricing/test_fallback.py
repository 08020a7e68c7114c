"""The LiteLLM snapshot (pricing/litellm-snapshot.json): the lowest-precedence price list.

Old models the curated tables leave out are priced from it, lazily; curated and user
tables win for every name they resolve; its source, licence and confidence are shown.
Expected prices are OpenAI's published list prices of those models (gpt-4 $30/$60,
gpt-3.5-turbo $0.50/$1.50, o1 $15/$60 per million tokens), not the code's output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from llmaudit.cli import main
from llmaudit.pricing import load_pricing
from llmaudit.pricing.fallback import FILE_NAME, load_fallback
from llmaudit.pricing.spec import ModelSpec
from llmaudit.pricing.table import shipped_pricing_dir
from llmaudit.pricing.validate import model_problems
from tests.conftest import requests_frame

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "pricing" / FILE_NAME


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return load_pricing()


def test_the_snapshot_is_attributed_dated_and_every_entry_is_a_valid_model() -> None:
    doc = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert doc["license"].startswith("MIT License") and "Berri AI" in doc["license"]
    assert doc["source"].startswith("LiteLLM ") and doc["as_of"]
    assert len(doc["models"]) > 3000
    # "retired" (the older release a model comes from) is the snapshot's own field, read by Fallback.fields
    models = {key: {k: v for k, v in fields.items() if k != "retired"} for key, fields in doc["models"].items()}
    bad = {key: p for key, fields in models.items() if (p := model_problems(ModelSpec, fields))}
    assert bad == {}
    retired = {fields["retired"] for fields in doc["models"].values() if "retired" in fields}
    assert retired == {"1.72.0"} and "1.72.0" in doc["retired"]


@pytest.mark.parametrize(
    ("raw", "model", "input_usd", "output_usd"),
    [("gpt-4", "gpt-4", 30.0, 60.0), ("gpt-3.5-turbo", "gpt-3.5-turbo", 0.5, 1.5), ("openai/o1", "o1", 15.0, 60.0)],
)
def test_old_models_are_priced_from_the_snapshot(
    table, raw: str, model: str, input_usd: float, output_usd: float
) -> None:  # type: ignore[no-untyped-def]
    hit = table.resolve(raw)
    assert hit is not None and hit.model == model
    price = table.get(model)
    assert (price.rate("input"), price.rate("output")) == (input_usd, output_usd)
    assert price.tables == ("litellm-snapshot",) and price.confidence == "medium"
    assert "LiteLLM snapshot" in (price.source or "") and "(MIT)" in (price.source or "")


def test_models_are_built_only_when_a_log_names_them() -> None:
    fresh = load_pricing()
    before = len(fresh)
    assert before < 200  # the curated tables only: none of the snapshot's thousands
    fresh.resolve("gpt-4-0613")
    fresh.resolve("gpt-4-0613")
    assert len(fresh) == before + 1 and fresh.resolve("nonexistent-model-x") is None and len(fresh) == before + 1


def test_rate_arrays_follow_models_added_after_they_were_built() -> None:
    from llmaudit.pricing import price_requests

    fresh = load_pricing()
    price_requests(requests_frame([{"model": "gpt-4o", "input_tokens": 1}]), fresh)  # arrays built
    # gpt-4-turbo, $10/$30: 1000 x 10e-6 + 100 x 30e-6 = 0.013
    priced = price_requests(
        requests_frame([{"model": "gpt-4-turbo", "input_tokens": 1000, "output_tokens": 100}]), fresh
    )
    assert priced["cost_usd"].tolist() == pytest.approx([0.013])


def test_curated_tables_win_for_every_name_they_price(table) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(SNAPSHOT.read_text(encoding="utf-8"))["models"]
    curated = [m for m in table.models if m.tables != ("litellm-snapshot",)]
    shared = [m for m in curated if m.name in doc]
    assert len(shared) > 20  # e.g. gpt-4o, claude-sonnet-4-5: in both
    for model in shared:
        for spelling in (model.name, *model.aliases):
            hit = table.resolve(spelling)
            assert hit is not None and hit.model == model.name, spelling
        assert "litellm-snapshot" not in table.get(model.name).tables


def user_table(tmp_path: Path, model: str) -> Path:
    """A one-model table ``mine``: ``model`` at $1 / $2 per million tokens."""
    user = tmp_path / "mine.yaml"
    header = "schema_version: 1\nname: mine\nsource: tests\nas_of: 2026-11-01\nmodels:\n"
    user.write_text(f"{header}  {model}:\n    input: 1.00\n    output: 2.00\n", encoding="utf-8")
    return user


def test_a_user_table_wins_over_the_snapshot(tmp_path: Path) -> None:
    mine = load_pricing([user_table(tmp_path, "gpt-4")])
    hit = mine.resolve("gpt-4")
    assert hit is not None and mine.get(hit.model).rate("input") == 1.0 and mine.get(hit.model).tables == ("mine",)


def test_no_default_pricing_leaves_the_snapshot_out(tmp_path: Path) -> None:
    only = load_pricing([user_table(tmp_path, "m")], include_shipped=False)
    assert only.resolve("gpt-4") is None and [t.name for t in only.tables] == ["mine"]


def test_sellers_sell_snapshot_models_as_they_sell_unlisted_ones(table) -> None:  # type: ignore[no-untyped-def]
    listed = table.as_sold_by("openrouter")  # unlisted_models: list_price
    assert listed.resolve("gpt-4") is not None
    assert table.as_sold_by("global-api").resolve("gpt-4") is None  # unlisted_models: unpriced


def test_analyze_and_pricing_show_say_where_a_price_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "old.jsonl"
    record = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4-0613",
        "choices": [{"finish_reason": "stop", "message": {"content": "x"}}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 100},
    }
    log.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert main(["analyze", str(log), "-q", "-f", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # gpt-4-0613 at gpt-4's $30/$60: 1000 x $30/M + 100 x $60/M = 0.03 + 0.006
    assert report["summary"]["total_cost_usd"] == pytest.approx(0.036)
    [name] = report["model_names"]
    assert (name["model"], name["table"], name["confidence"]) == ("gpt-4-0613", "litellm-snapshot", "medium")
    assert any("priced from the LiteLLM snapshot" in w and "gpt-4-0613" in w for w in report["warnings"])
    assert main(["pricing", "show", "gpt-4"]) == 0
    out = capsys.readouterr().out
    assert "LiteLLM snapshot of" in out and "litellm-snapshot.json" in out


def test_the_refresh_script_converts_a_local_file(tmp_path: Path) -> None:
    source = tmp_path / "prices.json"
    source.write_text(
        json.dumps(
            {
                "old-model": {
                    "litellm_provider": "openai",
                    "mode": "chat",
                    "max_input_tokens": 8192,
                    "input_cost_per_token": 3e-05,
                    "output_cost_per_token": 6e-05,
                },
                "an-embedding": {"litellm_provider": "openai", "mode": "embedding", "input_cost_per_token": 1e-07},
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / FILE_NAME
    script = ROOT / "scripts" / "refresh_litellm_prices.py"
    args = [sys.executable, str(script), str(source), "--output", str(out), "--as-of", "2026-12-01"]
    subprocess.run(args, check=True, capture_output=True)
    fallback = load_fallback(out)
    assert fallback.as_of.isoformat() == "2026-12-01" and list(fallback.entries) == ["old-model"]
    assert fallback.fields("old-model")["input"] == 30.0


def test_the_snapshot_ships_beside_the_tables() -> None:
    assert (shipped_pricing_dir() / FILE_NAME).is_file()


# The issue's old models (issue 14.7), by the names their APIs returned, with the providers'
# published list prices (USD per million tokens: input, output), and the maker whose own API
# entry must price them. gemini-1.5-pro and o1-mini are priced by the curated tables: LiteLLM
# kept their launch prices (3.50 / 10.50; 3.00 / 12.00 for o1-mini-2024-09-12) after the cuts.
OLD_MODELS = [
    ("gpt-4", "openai", 30.0, 60.0),
    ("gpt-4-0613", "openai", 30.0, 60.0),
    ("gpt-4-turbo-2024-04-09", "openai", 10.0, 30.0),
    ("gpt-3.5-turbo-0125", "openai", 0.5, 1.5),
    ("o1-2024-12-17", "openai", 15.0, 60.0),
    ("o1-mini", "openai", 1.1, 4.4),
    ("o1-mini-2024-09-12", "openai", 1.1, 4.4),
    ("claude-3-opus-20240229", "anthropic", 15.0, 75.0),
    ("claude-3-sonnet-20240229", "anthropic", 3.0, 15.0),
    ("claude-3-haiku-20240307", "anthropic", 0.25, 1.25),
    ("claude-3-5-sonnet-20241022", "anthropic", 3.0, 15.0),
    ("claude-3-5-haiku-20241022", "anthropic", 0.8, 4.0),
    ("claude-3-7-sonnet-20250219", "anthropic", 3.0, 15.0),
    ("gemini-1.5-pro", "google", 1.25, 5.0),
    ("gemini-1.5-pro-002", "google", 1.25, 5.0),
    ("gemini-1.5-flash", "gemini", 0.075, 0.3),
    ("gemini-2.0-flash", "gemini", 0.1, 0.4),
    ("mistral-large-2411", "mistral", 2.0, 6.0),
]


@pytest.mark.parametrize(("raw", "maker", "input_usd", "output_usd"), OLD_MODELS, ids=[m[0] for m in OLD_MODELS])
def test_old_models_are_priced_by_their_makers_own_entries(
    table, raw: str, maker: str, input_usd: float, output_usd: float
) -> None:  # type: ignore[no-untyped-def]
    hit = table.resolve(raw)
    assert hit is not None, f"{raw} is unpriced"
    price = table.get(hit.model)
    assert price.provider == maker, f"{raw} resolved to {hit.model} ({price.provider})"
    assert (price.rate("input"), price.rate("output")) == (input_usd, output_usd)


def test_long_gemini_15_prompts_bill_at_the_long_context_rates(table) -> None:  # type: ignore[no-untyped-def]
    # Google's tiers for prompts over 128K tokens: 1.5 Pro 2.50 / 10.00, 1.5 Flash 0.15 / 0.60
    for raw, rates in [("gemini-1.5-pro", (2.5, 10.0)), ("gemini-1.5-flash", (0.15, 0.6))]:
        price = table.get(table.resolve(raw).model)
        assert (price.rate("input", tier=1), price.rate("output", tier=1)) == rates


def test_a_model_litellm_has_removed_says_so(table) -> None:  # type: ignore[no-untyped-def]
    price = table.get(table.resolve("claude-3-opus-20240229").model)
    assert price.source is not None and price.source.startswith("LiteLLM 1.72.0, since removed")
    assert price.tables == ("litellm-snapshot",) and price.confidence == "medium"


def test_a_bare_name_goes_to_the_makers_own_api_not_a_resellers_bare_key(tmp_path: Path) -> None:
    # LiteLLM files Vertex AI's Gemini under the bare name, Google AI Studio's under gemini/.
    snapshot = tmp_path / FILE_NAME
    vertex = {"provider": "vertex_ai-language-models", "input": 2.0, "output": 8.0}
    studio = {"provider": "gemini", "input": 1.0, "output": 4.0}
    doc = {"name": "litellm-snapshot", "source": "test", "as_of": "2026-12-01", "license": "MIT"}
    snapshot.write_text(json.dumps({**doc, "models": {"gemini-x": vertex, "gemini/gemini-x": studio}}))
    fallback = load_fallback(snapshot)
    hit = fallback.resolve("gemini-x")
    assert hit is not None and hit.model == "gemini/gemini-x"
    assert fallback.fields(hit.model)["input"] == 1.0
    reseller = fallback.resolve("vertex_ai-language-models/gemini-x")
    assert reseller is not None and fallback.fields(reseller.model)["input"] == 2.0


def test_the_refresh_script_adds_retired_models_below_current_ones(tmp_path: Path) -> None:
    def entry(provider: str, input_usd: float) -> dict[str, object]:
        return {
            "litellm_provider": provider,
            "mode": "chat",
            "input_cost_per_token": input_usd / 1e6,
            "output_cost_per_token": 2 * input_usd / 1e6,
        }

    current = tmp_path / "current.json"
    current.write_text(json.dumps({"kept": entry("openai", 1.0), "mistral/large-latest": entry("mistral", 0.5)}))
    older = tmp_path / "older.json"
    older.write_text(
        json.dumps(
            {
                "kept": entry("openai", 9.0),  # the current price wins
                "gone": entry("anthropic", 15.0),  # removed since: added, marked
                "large-latest": entry("mistral", 2.0),  # a name the current maker's entry answers to
            }
        )
    )
    out = tmp_path / FILE_NAME
    script = ROOT / "scripts" / "refresh_litellm_prices.py"
    args = [sys.executable, str(script), str(current), "--output", str(out), "--as-of", "2026-12-01"]
    subprocess.run([*args, "--retired", str(older), "--retired-version", "1.50.0"], check=True, capture_output=True)
    fallback = load_fallback(out)
    assert sorted(fallback.entries) == ["gone", "kept", "mistral/large-latest"]
    assert fallback.fields("kept")["input"] == 1.0
    assert fallback.fields("gone")["input"] == 15.0
    assert fallback.fields("gone")["source"].startswith("LiteLLM 1.50.0, since removed")
    assert "retired" not in fallback.fields("gone")
    assert fallback.resolve("large-latest").model == "mistral/large-latest"  # type: ignore[union-attr]
