"""pricing import: the LiteLLM and OpenRouter converters, the fetcher, the atomic write.

The samples below are hand-written in each source's format; every per-million value the
tests expect is the per-token price times 1,000,000, worked out in the comment beside it.
No test touches the network: URLs are served by ``httpx.MockTransport``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from llmaudit.errors import PricingError
from llmaudit.pricing import load_pricing, price_requests
from llmaudit.pricing.fetch import FetchOptions, read_price_list
from llmaudit.pricing.importers import IMPORTERS, ImportFilters, import_price_list, render_yaml
from llmaudit.pricing.importers.base import per_million
from tests.conftest import requests_frame

AS_OF = date(2026, 11, 1)

LITELLM_SAMPLE: dict[str, Any] = {
    "sample_spec": {"mode": "one of: chat, embedding, ...", "input_cost_per_token": 0.0},
    "gpt-x": {
        "litellm_provider": "openai",
        "mode": "chat",
        "max_input_tokens": 272000,
        "max_output_tokens": 128000,
        "input_cost_per_token": 1.25e-06,
        "output_cost_per_token": 1e-05,
        "cache_read_input_token_cost": 1.25e-07,
        "output_cost_per_reasoning_token": 1e-05,
        "input_cost_per_token_batches": 6.25e-07,
        "output_cost_per_token_batches": 5e-06,
        "input_cost_per_token_priority": 2.5e-06,
        "output_cost_per_token_priority": 2e-05,
        "cache_read_input_token_cost_priority": 2.5e-07,
        "input_cost_per_token_flex": 6.25e-07,
        "input_cost_per_token_above_272k_tokens": 2.5e-06,
        "output_cost_per_token_above_272k_tokens": 1.5e-05,
        "input_cost_per_token_above_272k_tokens_priority": 5e-06,
        "supports_vision": True,
        "supports_function_calling": True,
        "source": "https://example.com/gpt-x",
    },
    "claude-x": {
        "litellm_provider": "anthropic",
        "mode": "chat",
        "max_input_tokens": 200000,
        "input_cost_per_token": 3e-06,
        "output_cost_per_token": 1.5e-05,
        "cache_read_input_token_cost": 3e-07,
        "cache_creation_input_token_cost": 3.75e-06,
        "cache_creation_input_token_cost_above_1hr": 6e-06,
        "input_cost_per_token_batches": 1.5e-06,
    },
    "deepseek-x": {
        "litellm_provider": "deepseek",
        "mode": "chat",
        "max_input_tokens": 131072,
        "input_cost_per_token": 2.8e-07,
        "output_cost_per_token": 4.2e-07,
        "cache_read_input_token_cost": 2.8e-08,
        "cache_creation_input_token_cost": 0.0,
        "input_cost_per_audio_token": 1e-06,
        "off_peak_pricing": {"input_cost_per_token": 1.4e-07, "windows": []},
    },
    "xai/grok-x": {
        "litellm_provider": "xai",
        "mode": "chat",
        "max_input_tokens": 1000000,
        "input_cost_per_token": 1.25e-06,
        "output_cost_per_token": 2.5e-06,
        "input_cost_per_token_above_200k_tokens": 2.5e-06,
        "output_cost_per_token_above_200k_tokens": 5e-06,
    },
    "dashscope/qwen-x": {
        "litellm_provider": "dashscope",
        "mode": "chat",
        "max_input_tokens": 128000,
        "tiered_pricing": [
            {"range": [32000, 128000], "input_cost_per_token": 2.4e-06, "output_cost_per_token": 1.2e-05},
            {
                "range": [0, 32000],
                "input_cost_per_token": 1.2e-06,
                "output_cost_per_token": 6e-06,
                "cache_read_input_token_cost": 2.4e-07,
            },
        ],
    },
    "fireworks_ai/x": {
        "litellm_provider": "fireworks_ai",
        "mode": "chat",
        "max_input_tokens": 131072,
        "input_cost_per_token": 9e-07,
        "output_cost_per_token": 9e-07,
    },
    "perplexity/online": {
        "litellm_provider": "perplexity",
        "mode": "chat",
        "max_input_tokens": 127072,
        "input_cost_per_token": 0.0,
        "output_cost_per_token": 2.8e-07,
        "input_cost_per_request": 0.005,
    },
    "azure_ai/jais": {
        "litellm_provider": "azure_ai",
        "mode": "chat",
        "input_cost_per_token": 0.0032,
        "output_cost_per_token": 0.00971,
    },
    "dall-e-x": {"litellm_provider": "openai", "mode": "image_generation", "output_cost_per_image": 0.04},
    "half-priced": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-07},
}

OPENROUTER_SAMPLE: dict[str, Any] = {
    "data": [
        {
            "id": "openai/gpt-4o",
            "context_length": 128000,
            "pricing": {
                "prompt": "0.0000025",
                "completion": "0.00001",
                "request": "0",
                "image": "0.003613",
                "web_search": "0",
                "internal_reasoning": "0",
                "input_cache_read": "0.00000125",
                "input_cache_write": "0",
            },
            "top_provider": {"context_length": 128000, "max_completion_tokens": 16384},
        },
        {
            "id": "anthropic/claude-sonnet-4.5",
            "context_length": 1000000,
            "pricing": {
                "prompt": "0.000003",
                "completion": "0.000015",
                "input_cache_read": "0.0000003",
                "input_cache_write": "0.00000375",
                "input_cache_write_1h": "0.000006",
            },
        },
        {
            "id": "perplexity/sonar",
            "context_length": 127072,
            "pricing": {"prompt": "0.000001", "completion": "0.000001", "request": "0.005"},
        },
        {"id": "meta-llama/llama-3-8b:free", "context_length": 8192, "pricing": {"prompt": "0", "completion": "0"}},
        {"id": "openrouter/auto", "context_length": 2000000, "pricing": {"prompt": "-1", "completion": "-1"}},
        {
            "id": "x/discounted",
            "context_length": 32000,
            "pricing": {"prompt": "0.000002", "completion": "0.000004", "discount": 0.25},
        },
        {
            "id": "x/reasoner",
            "context_length": 32000,
            "pricing": {"prompt": "0.000001", "completion": "0.000004", "internal_reasoning": "0.000008"},
        },
        {"id": "x/no-price", "context_length": 32000},
    ]
}


def convert(fmt: str, data: Any, **filters: tuple[str, ...]):  # type: ignore[no-untyped-def]
    return IMPORTERS[fmt].convert(data, source="sample", as_of=AS_OF, filters=ImportFilters(**filters))


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.5e-06, 2.5), (1.1e-06, 1.1), ("0.0000025", 2.5), (6.25e-08, 0.0625), (0, 0.0), ("-", None), (None, None)],
)
def test_per_million_is_exact(value: object, expected: float | None) -> None:
    # 1.1e-06 * 1e6 is 1.0999999999999999 in floats; through the decimal text it is 1.1.
    assert per_million(value) == expected


# --------------------------------------------------------------------------- LiteLLM


def test_litellm_rates_modes_tiers_and_context() -> None:
    result = convert("litellm", LITELLM_SAMPLE)
    gpt = result.models["gpt-x"]
    assert gpt == {
        "provider": "openai",
        "context_window": 272000,
        "max_output_tokens": 128000,
        "input": 1.25,  # 1.25e-06 x 1e6
        "output": 10.0,  # 1e-05 x 1e6; reasoning 1e-05 equals output: left out
        "cache_read": 0.125,
        "batch": {"input": 0.625, "output": 5.0},
        "priority": {"input": 2.5, "output": 20.0, "cache_read": 0.25},
        "flex": {"input": 0.625},  # flex output not in the source: falls back, not invented
        "tiers": [{"above": 272000, "input": 2.5, "output": 15.0, "priority": {"input": 5.0}}],
        "supports": ["vision", "tools"],
        "source": "https://example.com/gpt-x",
    }


def test_litellm_cache_writes_one_hour_and_derived_batch_output() -> None:
    claude = convert("litellm", LITELLM_SAMPLE).models["claude-x"]
    assert (claude["cache_write"], claude["cache_write_1h"]) == (3.75, 6.0)
    # batch input 1.5 listed, output not: 50% of 15.00 = 7.5 (LiteLLM's rule, the published 50%)
    assert claude["batch"] == {"input": 1.5, "output": 7.5}


def test_litellm_zero_cache_write_means_no_write_price() -> None:
    deepseek = convert("litellm", LITELLM_SAMPLE).models["deepseek-x"]
    assert "cache_write" not in deepseek and deepseek["cache_read"] == 0.028


def test_litellm_xai_thresholds_are_inclusive() -> None:
    grok = convert("litellm", LITELLM_SAMPLE).models["xai/grok-x"]
    # LiteLLM bills xAI's higher rate from 200,000 prompt tokens on (P >= T): above 199,999.
    assert grok["tiers"] == [{"above": 199999, "input": 2.5, "output": 5.0}]


def test_litellm_tiered_pricing_becomes_base_and_tiers() -> None:
    qwen = convert("litellm", LITELLM_SAMPLE).models["dashscope/qwen-x"]
    assert (qwen["input"], qwen["output"], qwen["cache_read"]) == (1.2, 6.0, 0.24)
    # The upper range has no cache price: LiteLLM bills its cache reads at that range's input rate.
    assert qwen["tiers"] == [{"above": 32000, "input": 2.4, "output": 12.0, "cache_read": 2.4}]


def test_litellm_provider_defaults_and_per_request_fee() -> None:
    models = convert("litellm", LITELLM_SAMPLE).models
    assert models["fireworks_ai/x"]["cache_read"] == pytest.approx(0.45)  # 50% of 0.90 (Fireworks default)
    online = models["perplexity/online"]
    assert (online["input"], online["output"], online["per_request"]) == (0.0, 0.28, 0.005)


def test_litellm_skips_with_reasons_and_lists_what_it_cannot_carry() -> None:
    result = convert("litellm", LITELLM_SAMPLE)
    skipped = {s.key: s.reason for s in result.skipped}
    assert set(skipped) == {"azure_ai/jais", "dall-e-x", "half-priced"}
    assert skipped["azure_ai/jais"].startswith(
        "implausible: input: 3200 USD per million tokens is beyond any real price"
    )
    assert skipped["dall-e-x"] == "not a text-generation model: mode 'image_generation'"
    assert skipped["half-priced"] == "no per-token price: no output price"
    assert result.not_carried == {"input_cost_per_audio_token": 1, "off_peak_pricing": 1}
    assert len(result.models) == 7


def test_litellm_filters() -> None:
    only = convert("litellm", LITELLM_SAMPLE, providers=("anthropic", "XAI"))
    assert sorted(only.models) == ["claude-x", "xai/grok-x"]
    globbed = convert("litellm", LITELLM_SAMPLE, models=("claude-*", "GPT-?"))  # globs ignore case
    assert sorted(globbed.models) == ["claude-x", "gpt-x"]
    assert globbed.filtered_out == 8  # the other 8 of the 10 entries


def test_litellm_refuses_other_formats() -> None:
    with pytest.raises(PricingError, match="not LiteLLM's price JSON"):
        convert("litellm", OPENROUTER_SAMPLE)


def test_imported_table_loads_and_prices_like_the_source(tmp_path: Path) -> None:
    path = tmp_path / "litellm.yaml"
    path.write_text(render_yaml(convert("litellm", LITELLM_SAMPLE), command="test"), encoding="utf-8")
    table = load_pricing([path], include_shipped=False)
    assert len(table) == 7 and table.tables[0].as_of == AS_OF and table.tables[0].source == "sample"
    # gpt-x, priority, P = 300,000 (> 272,000) with 100,000 cached, 1,000 output:
    # tier priority input 5.00 (LiteLLM's _above_272k_tokens_priority); no tier priority output or
    # cache price, so the tier's standard ones: output 15.00, cache reads at the base priority 0.25
    # 200,000 x 5.00 + 100,000 x 0.25 + 1,000 x 15.00 = 1,000,000 + 25,000 + 15,000 = 1,040,000
    row = {"model": "gpt-x", "pricing_mode": "priority", "input_tokens": 300_000, "cache_read_tokens": 100_000}
    got = price_requests(requests_frame([{**row, "output_tokens": 1000}]), table)["cost_usd"].iloc[0]
    assert got == pytest.approx(1.04, rel=1e-12)


# --------------------------------------------------------------------------- OpenRouter


def test_openrouter_string_prices() -> None:
    result = convert("openrouter", OPENROUTER_SAMPLE)
    assert result.models["openai/gpt-4o"] == {
        "provider": "openrouter",
        "context_window": 128000,
        "max_output_tokens": 16384,
        "input": 2.5,  # "0.0000025" x 1e6
        "output": 10.0,
        "cache_read": 1.25,  # "0" cache write, reasoning and request: not priced separately
    }
    claude = result.models["anthropic/claude-sonnet-4.5"]
    assert (claude["cache_write"], claude["cache_write_1h"]) == (3.75, 6.0)
    assert result.models["perplexity/sonar"]["per_request"] == 0.005
    assert result.models["x/reasoner"]["reasoning"] == 8.0
    free = result.models["meta-llama/llama-3-8b:free"]
    assert (free["input"], free["output"]) == (0.0, 0.0)
    # discount 0.25: 2.00 x 0.75 = 1.50, 4.00 x 0.75 = 3.00
    assert (result.models["x/discounted"]["input"], result.models["x/discounted"]["output"]) == (1.5, 3.0)


def test_openrouter_skips_and_not_carried() -> None:
    result = convert("openrouter", OPENROUTER_SAMPLE)
    assert {s.key: s.reason.split(":")[0] for s in result.skipped} == {
        "openrouter/auto": "no per-token price",
        "x/no-price": "no per-token price",
    }
    assert result.not_carried == {"image": 1}
    assert sorted(convert("openrouter", OPENROUTER_SAMPLE, providers=("anthropic",)).models) == [
        "anthropic/claude-sonnet-4.5"
    ]


def test_openrouter_refuses_other_formats() -> None:
    with pytest.raises(PricingError, match="not OpenRouter's models listing"):
        convert("openrouter", LITELLM_SAMPLE)


# --------------------------------------------------------------------------- fetching

URL = "https://raw.githubusercontent.com/BerriAI/litellm/v1.106.0/model_prices_and_context_window.json"
FAST = FetchOptions(backoff_s=0.5)


def serving(*responses: httpx.Response | Exception) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering each request with the next response (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler), seen


def test_fetch_success_and_version_from_the_url() -> None:
    transport, seen = serving(httpx.Response(200, json=LITELLM_SAMPLE))
    fetched = read_price_list(URL, FAST, transport=transport)
    assert fetched.data == LITELLM_SAMPLE and fetched.is_url and fetched.version == "1.106.0"
    assert seen[0].headers["user-agent"].startswith("llmaudit/")


def test_fetch_retries_5xx_with_backoff() -> None:
    sleeps: list[float] = []
    transport, seen = serving(httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"data": []}))
    fetched = read_price_list(URL, FAST, transport=transport, sleep=sleeps.append)
    assert fetched.data == {"data": []} and len(seen) == 3 and sleeps == [0.5, 1.0]


def test_fetch_gives_up_after_the_retries() -> None:
    transport, seen = serving(httpx.Response(503))
    with pytest.raises(PricingError, match=r"cannot fetch .*: HTTP 503 Service Unavailable \(after 3 attempts\)"):
        read_price_list(URL, FAST, transport=transport, sleep=lambda s: None)
    assert len(seen) == 3


def test_fetch_timeout_and_unreachable_host() -> None:
    transport, _ = serving(httpx.ConnectTimeout("timed out"))
    with pytest.raises(PricingError, match="connection timed out"):
        read_price_list(URL, FAST, transport=transport, sleep=lambda s: None)
    transport, _ = serving(httpx.ReadTimeout("slow"))
    with pytest.raises(PricingError, match="timed out reading the response"):
        read_price_list(URL, FAST, transport=transport, sleep=lambda s: None)
    transport, seen = serving(httpx.ConnectError("[Errno -2] Name or service not known"))
    with pytest.raises(PricingError, match=r"cannot connect \(\[Errno -2\] Name or service not known\)"):
        read_price_list(URL, FAST, transport=transport, sleep=lambda s: None)
    assert len(seen) == 3


def test_fetch_client_errors_are_not_retried() -> None:
    transport, seen = serving(httpx.Response(404))
    with pytest.raises(PricingError, match="HTTP 404 Not Found"):
        read_price_list(URL, FAST, transport=transport)
    assert len(seen) == 1


def test_fetch_size_cap_by_header_and_while_streaming() -> None:
    small = FetchOptions(max_bytes=1000)
    transport, _ = serving(httpx.Response(200, content=b"{}", headers={"content-length": "5000"}))
    with pytest.raises(PricingError, match=r"larger than the 0\.000953674 MB limit"):
        read_price_list(URL, small, transport=transport)

    def stream() -> Any:
        for _ in range(10):
            yield b" " * 200

    transport, _ = serving(httpx.Response(200, content=stream()))
    with pytest.raises(PricingError, match="larger than"):
        read_price_list(URL, small, transport=transport)


def test_fetch_invalid_json() -> None:
    transport, _ = serving(httpx.Response(200, text="<html>rate limited</html>"))
    with pytest.raises(PricingError, match="not valid JSON"):
        read_price_list(URL, FAST, transport=transport)


def test_local_file_errors(tmp_path: Path) -> None:
    with pytest.raises(PricingError, match="no such file"):
        read_price_list(str(tmp_path / "missing.json"))


# --------------------------------------------------------------------------- the whole import


def test_import_writes_a_table_with_source_and_date(tmp_path: Path) -> None:
    out = tmp_path / "litellm.yaml"
    transport, _ = serving(httpx.Response(200, json=LITELLM_SAMPLE))
    outcome = import_price_list("litellm", URL, out, as_of=AS_OF, transport=transport)
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert doc["source"] == f"LiteLLM model_prices_and_context_window.json (LiteLLM 1.106.0), {URL}"
    assert doc["as_of"] == AS_OF and doc["name"] == "litellm" and len(doc["models"]) == 7
    assert out.read_text(encoding="utf-8").startswith("# Imported with `llmaudit pricing import` on 2026-11-01.")
    assert len(outcome.result.models) == 7
    assert load_pricing([out], include_shipped=False).get("gpt-x").rate("input") == 1.25


def test_a_failed_import_leaves_the_existing_table_untouched(tmp_path: Path) -> None:
    out = tmp_path / "prices.yaml"
    out.write_text("the table from last week\n", encoding="utf-8")
    transport, _ = serving(httpx.ConnectError("connection refused"))
    with pytest.raises(PricingError, match="cannot fetch"):
        import_price_list("litellm", URL, out, as_of=AS_OF, transport=transport, fetch_options=FetchOptions(retries=0))
    assert out.read_text(encoding="utf-8") == "the table from last week\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prices.yaml"]  # no temporary file left


def test_an_empty_selection_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "prices.json"
    source.write_text(json.dumps(LITELLM_SAMPLE), encoding="utf-8")
    out = tmp_path / "out.yaml"
    with pytest.raises(PricingError, match="no model to import"):
        import_price_list("litellm", str(source), out, as_of=AS_OF, filters=ImportFilters(providers=("nobody",)))
    assert not out.exists()


def test_a_write_error_is_a_pricing_error(tmp_path: Path) -> None:
    source = tmp_path / "prices.json"
    source.write_text(json.dumps(OPENROUTER_SAMPLE), encoding="utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(PricingError, match="cannot write the price table"):
        import_price_list("openrouter", str(source), blocker / "out.yaml", as_of=AS_OF)
