"""llmaudit and LiteLLM price the same requests the same way.

LiteLLM's bundled price table (litellm 1.106, read offline: LITELLM_LOCAL_MODEL_COST_MAP
is set before litellm is imported) goes through ``llmaudit pricing import litellm``'s
converter and the YAML loader; a few thousand generated requests over every chat model
are then priced by ``llmaudit.pricing.price_requests`` and by ``litellm.cost_per_token``
(LiteLLM's own cost function, batch requests through its batch calculator). They must
agree to 1e-9 relative on every record. Covered: cache reads, 5-minute and 1-hour cache
writes, reasoning tokens, long-context tiers at, just above and well above each
threshold (xAI's inclusive thresholds too), DashScope ``tiered_pricing``, batch,
priority and flex, per-request fees.

Where LiteLLM is wrong by the providers' own documentation the test does not copy it.
Each case is listed below with the reason, and either corrected explicitly (the record
is compared with LiteLLM's number plus the documented difference) or kept out of the
generated records:

1. ``ZERO_CACHE_WRITE``: LiteLLM lists a cache-write price of 0 for some providers and
   bills written tokens free. DeepSeek publishes only cache-hit and cache-miss input
   prices (https://api-docs.deepseek.com/quick_start/pricing): a token that was not a
   hit is a miss, billed at the input price. llmaudit reads 0 as "no write price";
   corrected: + written tokens x input rate.
2. ``PER_REQUEST``: LiteLLM's table gives Perplexity's online models a per-request price
   (``input_cost_per_request``: Perplexity charged $5 per 1,000 requests) that its cost
   function never reads; corrected: + the fee.
3. ``SERVICE_TIER_DROPPED``: LiteLLM's Fireworks calculator drops ``service_tier`` and
   bills priority requests at standard rates although its table lists Fireworks'
   priority prices; compared with LiteLLM's generic calculator given the service tier.
4. Batch (kept out of the records, see ``_batch_record``): LiteLLM's batch calculator
   (a) assumes a 50% batch price for every model, including providers without a batch
   API: only models whose entry lists batch prices get batch records; (b) has no 1-hour
   cache-write split and bills 1-hour writes at the 5-minute batch rate, while Anthropic
   applies the batch discount on top of each cache price ("discounts stack",
   https://platform.claude.com/docs/en/build-with-claude/batch-processing#pricing):
   batch records have no 1-hour writes; (c) bills cached tokens at the batch *input*
   rate when its table has no batch cache price (no cache discount at all), where
   Anthropic stacks the discounts and Google bills cached tokens at the cache price:
   batch records carry cache reads / writes only for models with batch cache prices.
   llmaudit keeps the standard cache price there (pricing/README.md, "Pricing modes").

Not a disagreement: LiteLLM prices DeepSeek and a few others lower off-peak; llmaudit has
no time-of-day pricing and carries the peak rates, so LiteLLM's clock is pinned to a
weekday peak hour. Models whose name LiteLLM resolves to a *different* entry
(``cost_per_token`` prefers ``{provider}/{key}``) are left out, since the two sides
would price different entries.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # must precede the import: never fetch the live map
litellm = pytest.importorskip("litellm")

from litellm._internal_context import pinned_billing_time  # noqa: E402
from litellm.litellm_core_utils.llm_cost_calc.utils import generic_cost_per_token  # noqa: E402
from litellm.types.utils import (  # noqa: E402
    CacheCreationTokenDetails,
    CompletionTokensDetailsWrapper,
    PromptTokensDetailsWrapper,
    Usage,
)

from llmaudit.pricing import PriceTable, load_pricing, price_requests  # noqa: E402
from llmaudit.pricing.importers import ImportFilters, render_yaml  # noqa: E402
from llmaudit.pricing.importers.litellm import LITELLM  # noqa: E402

LITELLM_JSON = Path(litellm.__file__).parent / "model_prices_and_context_window_backup.json"
# A Wednesday, 02:00 UTC: inside every peak window of LiteLLM's off_peak_pricing entries
# (DeepSeek's off-peak hours are 00:00-01:00, 04:00-06:00 and 10:00-24:00 UTC on weekdays).
PEAK = datetime(2026, 11, 4, 2, 0, tzinfo=UTC)
REL = 1e-9

# Importing litellm makes pydantic warn about its own TypedDicts; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:.*ReadOnly.*:UserWarning")

ZERO_CACHE_WRITE_PROVIDERS = frozenset({"deepseek", "zai", "tencent", "openrouter", "vercel_ai_gateway", "sarvam"})
# Entries the importer must skip as implausible: LiteLLM's Jais prices are per-thousand
# figures in per-token fields ($3,200 and $2,000 per million tokens).
EXPECTED_IMPLAUSIBLE = {"azure_ai/jais-30b-chat", "watsonx/core42/jais-13b-chat"}


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(LITELLM_JSON.read_text(encoding="utf-8"))
    # The offline map is what litellm itself prices with (less a non-model section it drops).
    assert set(loaded) - set(litellm.model_cost) <= {"fallback_generalizations"}
    return loaded


@pytest.fixture(scope="module")
def table(data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> PriceTable:
    result = LITELLM.convert(data, source=str(LITELLM_JSON), as_of=date(2026, 11, 1), filters=ImportFilters())
    implausible = {s.key for s in result.skipped if s.reason.startswith("implausible")}
    assert implausible - {"fireworks_ai/accounts/fireworks/models/flux-1-dev-controlnet-union"} == EXPECTED_IMPLAUSIBLE
    path = tmp_path_factory.mktemp("litellm") / "litellm.yaml"
    path.write_text(render_yaml(result, command="test"), encoding="utf-8")
    return load_pricing([path], include_shipped=False)


def _eligible(data: dict[str, Any], table: PriceTable) -> list[str]:
    keys = []
    for key, entry in data.items():
        if key == "sample_spec" or not isinstance(entry, dict) or entry.get("mode") != "chat":
            continue
        if key not in table.index:
            continue
        provider = entry["litellm_provider"]
        if not key.startswith(provider + "/") and f"{provider}/{key}" in data:
            continue  # LiteLLM would price the {provider}/{key} entry instead
        keys.append(key)
    return keys


def _sells_batch(entry: dict[str, Any]) -> bool:
    return any(entry.get(f"{k}_batches") is not None for k in ("input_cost_per_token", "output_cost_per_token"))


def _tokens(rng: np.random.Generator, prompt: int) -> dict[str, int]:
    read = int(prompt * rng.uniform(0.05, 0.7)) if rng.random() < 0.7 else 0
    write = int((prompt - read) * rng.uniform(0.05, 0.4)) if rng.random() < 0.6 else 0
    write_1h = int(write * rng.uniform(0.1, 1.0)) if write and rng.random() < 0.5 else 0
    output = int(rng.integers(1, 20_000))
    reasoning = int(output * rng.uniform(0.1, 0.9)) if rng.random() < 0.5 else 0
    return {
        "input_tokens": prompt,
        "cache_read_tokens": read,
        "cache_write_tokens": write,
        "cache_write_1h_tokens": write_1h,
        "output_tokens": output,
        "reasoning_tokens": reasoning,
    }


def _batch_record(entry: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """Case 4 (module docstring): what a batch record may carry for LiteLLM to price it right."""
    record = {**record, "cache_write_1h_tokens": 0}
    if entry.get("cache_read_input_token_cost_batches") is None:
        record["cache_read_tokens"] = 0
    if entry.get("cache_creation_input_token_cost_batches") is None:
        record["cache_write_tokens"] = 0
    return record


def _records(data: dict[str, Any], table: PriceTable) -> Iterator[dict[str, Any]]:
    rng = np.random.default_rng(20261101)
    for key in _eligible(data, table):
        entry, model = data[key], table.get(key)
        modes = [m for m in ("priority", "flex") if m in model.modes]
        if _sells_batch(entry):
            modes.append("batch")
        thresholds = [t.above for t in model.tiers]
        below = min([*thresholds, 150_000])
        prompts = [int(rng.integers(1, below + 1))]
        for i, above in enumerate(thresholds):
            ceiling = thresholds[i + 1] if i + 1 < len(thresholds) else above * 2
            prompts += [above, above + 1, int(rng.integers(above + 2, ceiling + 1))]
        for mode in ["standard", *modes]:
            for prompt in prompts if mode == "standard" else [prompts[0], *[t + 1 for t in thresholds]]:
                record = {"model": key, "pricing_mode": mode, **_tokens(rng, prompt)}
                yield _batch_record(entry, record) if mode == "batch" else record
        if not modes and rng.random() < 0.2:
            # A service tier the model has no prices for bills at the standard rates, on both sides.
            yield {"model": key, "pricing_mode": str(rng.choice(["priority", "flex"])), **_tokens(rng, prompts[0])}


def _usage(r: dict[str, Any]) -> Usage:
    write, write_1h = r["cache_write_tokens"], r["cache_write_1h_tokens"]
    return Usage(
        prompt_tokens=r["input_tokens"],
        completion_tokens=r["output_tokens"],
        total_tokens=r["input_tokens"] + r["output_tokens"],
        prompt_tokens_details=PromptTokensDetailsWrapper(
            cached_tokens=r["cache_read_tokens"],
            cache_creation_tokens=write,
            cache_creation_token_details=CacheCreationTokenDetails(
                ephemeral_5m_input_tokens=write - write_1h, ephemeral_1h_input_tokens=write_1h
            ),
        ),
        completion_tokens_details=CompletionTokensDetailsWrapper(reasoning_tokens=r["reasoning_tokens"]),
    )


def _litellm_cost(r: dict[str, Any], provider: str) -> float:
    usage = _usage(r)
    mode = r["pricing_mode"]
    if mode == "batch":
        prompt, completion = litellm.cost_per_token(
            model=r["model"], custom_llm_provider=provider, usage_object=usage, call_type="retrieve_batch"
        )
    elif provider == "fireworks_ai" and mode != "standard":
        # Case 3: the Fireworks calculator drops service_tier; LiteLLM's generic one honours it.
        prompt, completion = generic_cost_per_token(
            model=r["model"], usage=usage, custom_llm_provider=provider, service_tier=mode
        )
    else:
        prompt, completion = litellm.cost_per_token(
            model=r["model"],
            custom_llm_provider=provider,
            usage_object=usage,
            service_tier=None if mode == "standard" else mode,
        )
    return float(prompt + completion)


def _documented_difference(r: dict[str, Any], entry: dict[str, Any], table: PriceTable) -> float:
    """What llmaudit charges on top of LiteLLM, by the documented cases 1 and 2, in USD."""
    model = table.get(r["model"])
    extra = 0.0
    if entry["litellm_provider"] in ZERO_CACHE_WRITE_PROVIDERS and entry.get("cache_creation_input_token_cost") == 0:
        tier = sum(r["input_tokens"] > t.above for t in model.tiers)
        extra += r["cache_write_tokens"] * model.rate("input", tier, r["pricing_mode"]) / 1e6
    if entry.get("input_cost_per_request"):
        extra += float(entry["input_cost_per_request"])
    return extra


@pytest.fixture(scope="module")
def compared(data: dict[str, Any], table: PriceTable) -> pd.DataFrame:
    frame = pd.DataFrame(list(_records(data, table)))
    ours = price_requests(frame, table)["cost_usd"].to_numpy()
    theirs = []
    with pinned_billing_time(PEAK):
        for r in frame.to_dict("records"):
            entry = data[r["model"]]
            theirs.append(_litellm_cost(r, entry["litellm_provider"]) + _documented_difference(r, entry, table))
    return frame.assign(
        provider=[data[m]["litellm_provider"] for m in frame["model"]], ours=ours, theirs=np.array(theirs)
    )


def test_every_record_agrees_with_litellm(compared: pd.DataFrame) -> None:
    diff = (compared["ours"] - compared["theirs"]).abs()
    ok = (diff <= REL * compared["theirs"].abs()) | (diff <= 1e-15)
    bad = compared[~ok]
    assert bad.empty, f"{len(bad)} of {len(compared)} records disagree:\n{bad.head(20).to_string()}"


def test_the_sample_is_large_and_covers_every_case(compared: pd.DataFrame, table: PriceTable) -> None:
    assert len(compared) >= 2000
    assert compared["model"].nunique() >= 200
    assert compared["ours"].notna().all() and math.isfinite(compared["ours"].sum())
    standard = compared[compared["pricing_mode"] == "standard"]
    coverage = {
        "cache reads": (compared["cache_read_tokens"] > 0).sum(),
        "5-minute writes": (compared["cache_write_tokens"] > compared["cache_write_1h_tokens"]).sum(),
        "1-hour writes": (compared["cache_write_1h_tokens"] > 0).sum(),
        "reasoning": (compared["reasoning_tokens"] > 0).sum(),
        "batch": (compared["pricing_mode"] == "batch").sum(),
        "batch with cache reads": ((compared["pricing_mode"] == "batch") & (compared["cache_read_tokens"] > 0)).sum(),
        "priority": (compared["pricing_mode"] == "priority").sum(),
        "flex": (compared["pricing_mode"] == "flex").sum(),
    }
    assert all(n >= 50 for n in coverage.values()), coverage
    # Long-context tiers on both sides: at the threshold (base) and one token above (tier).
    at, above = 0, 0
    for r in standard.itertuples():
        thresholds = [t.above for t in table.get(r.model).tiers]
        at += r.input_tokens in thresholds
        above += (r.input_tokens - 1) in thresholds
    assert at >= 100 and above >= 100
    # Models with the rule under test: priority / flex above a long-context threshold.
    tiered_service = compared[
        compared["pricing_mode"].isin(["priority", "flex"])
        & compared.apply(lambda r: any(r.input_tokens > t.above for t in table.get(r.model).tiers), axis=1)
    ]
    assert len(tiered_service) >= 30
    assert {"xai", "dashscope", "anthropic", "openai", "gemini"} <= set(compared["provider"])


def test_documented_cases_are_still_real(data: dict[str, Any], table: PriceTable) -> None:
    """If LiteLLM fixes a case above, the correction must go: check each still differs."""
    with pinned_billing_time(PEAK):
        write = {"model": "deepseek/deepseek-v4-flash", "pricing_mode": "standard", "input_tokens": 1000,
                 "cache_read_tokens": 0, "cache_write_tokens": 1000, "cache_write_1h_tokens": 0,
                 "output_tokens": 0, "reasoning_tokens": 0}  # fmt: skip
        assert _litellm_cost(write, "deepseek") == 0.0  # writes free in LiteLLM
        # llmaudit: 1000 written tokens at the 0.30 input rate = 300 per million -> $0.0003
        assert price_requests(pd.DataFrame([write]), table)["cost_usd"].iloc[0] == pytest.approx(0.0003, rel=1e-12)
        online = {**write, "model": "perplexity/pplx-7b-online", "cache_write_tokens": 0, "output_tokens": 1000}
        # 1000 output tokens at 0.28 per million = $0.00028; llmaudit adds the $0.005 request fee.
        assert _litellm_cost(online, "perplexity") == pytest.approx(0.00028, rel=1e-12)
        assert price_requests(pd.DataFrame([online]), table)["cost_usd"].iloc[0] == pytest.approx(0.00528, rel=1e-12)
        key = "fireworks_ai/deepseek-v4-pro-0813"
        priority = {**online, "model": key, "pricing_mode": "priority"}
        prompt, completion = litellm.cost_per_token(
            model=key, custom_llm_provider="fireworks_ai", usage_object=_usage(priority), service_tier="priority"
        )
        # Fireworks' calculator bills the standard 1.32 / 3.96: 1000 * 1.32 + 1000 * 3.96 = 5280 per million;
        # llmaudit the priority 1.65 / 4.95 LiteLLM's table lists: 1650 + 4950 = 6600 per million.
        assert prompt + completion == pytest.approx(0.00528, rel=1e-12)
        assert price_requests(pd.DataFrame([priority]), table)["cost_usd"].iloc[0] == pytest.approx(0.0066, rel=1e-12)
