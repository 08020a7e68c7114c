"""The price tables shipped in pricing/*.yaml.

- every file loads through ``load_pricing()`` and every model is complete;
- no name or alias is claimed twice across files;
- spot checks against prices typed from the providers' own pricing pages (not from LiteLLM);
- every rate of a LiteLLM-sourced model equals LiteLLM 1.106.0's per-token value x 1e6 (skipped
  when the LiteLLM JSON is not on disk, as in CI), and every LiteLLM rate the schema can carry is
  carried unless listed below with the reason;
- real log spellings resolve to the intended entries;
- the docs/formats.md hand checks, priced end to end with the shipped tables.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from llmaudit.pricing import load_pricing, price_requests, shipped_pricing_dir
from tests.conftest import requests_frame

PRICING_DIR = shipped_pricing_dir()
FILES = ("openai", "anthropic", "google", "deepseek", "qwen", "zhipu", "other")
SELLER_FILES = ("sellers",)  # sellers only, no models (tests/pricing/test_sellers.py)
LITELLM_VERSION = "1.106.0"


def _litellm_json() -> Path:
    """LLMAUDIT_LITELLM_JSON, else the JSON of the installed litellm test dependency when it is
    the release the tables were copied from, else an unpacked wheel in /tmp/ll."""
    if "LLMAUDIT_LITELLM_JSON" in os.environ:
        return Path(os.environ["LLMAUDIT_LITELLM_JSON"])
    spec = importlib.util.find_spec("litellm")
    if spec is not None and spec.submodule_search_locations:
        try:
            installed = importlib.metadata.version("litellm")
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed == LITELLM_VERSION:
            return Path(next(iter(spec.submodule_search_locations))) / "model_prices_and_context_window_backup.json"
    return Path("/tmp/ll/litellm/model_prices_and_context_window_backup.json")


LITELLM_JSON = _litellm_json()
KINDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h", "reasoning")
MODES = ("batch", "priority", "flex")


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return load_pricing()


@pytest.fixture(scope="module")
def raw() -> dict[str, dict[str, Any]]:
    """file stem -> the parsed YAML document."""
    return {stem: yaml.safe_load((PRICING_DIR / f"{stem}.yaml").read_text(encoding="utf-8")) for stem in FILES}


def raw_models(raw: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for stem, doc in raw.items():
        for name, model in doc["models"].items():
            yield stem, name, model


# --------------------------------------------------------------------------- loading


def test_shipped_directory_holds_exactly_the_provider_files() -> None:
    assert sorted(p.stem for p in PRICING_DIR.glob("*.yaml")) == sorted(FILES + SELLER_FILES)


def test_every_shipped_file_loads(table, raw) -> None:  # type: ignore[no-untyped-def]
    assert sorted(info.name for info in table.tables) == sorted((*FILES, *SELLER_FILES, "litellm-snapshot"))
    assert all(info.shipped for info in table.tables)
    assert 60 <= len(table) <= 120
    for stem, doc in raw.items():
        assert doc["schema_version"] == 1, stem
        assert doc["name"] == stem
        assert str(doc["as_of"]) == "2026-11-01", stem
        assert "LiteLLM 1.106.0" in doc["source"] and "https://" in doc["source"], stem


def test_every_model_is_complete(table) -> None:  # type: ignore[no-untyped-def]
    for model in table.models:
        assert model.provider, model.name
        assert model.context_window and model.context_window >= 1000, model.name
        assert model.rates.input is not None and model.rates.output is not None, model.name
        if model.max_output_tokens is not None:
            assert model.max_output_tokens > 0, model.name


def test_no_name_or_alias_twice_across_files(raw) -> None:  # type: ignore[no-untyped-def]
    owner: dict[str, str] = {}
    normalized: dict[str, str] = {}
    for stem, name, model in raw_models(raw):
        for spelling in (name, *(model.get("aliases") or [])):
            key = spelling.strip().lower()
            assert key not in owner, f"{spelling!r} in {stem}.yaml is already {owner[key]}"
            owner[key] = f"{stem}.yaml:{name}"
            # The resolver's last rule compares names with '.', '_' and spaces read as '-';
            # a spelling shared by two models there would silently resolve to neither.
            norm = re.sub(r"[._\s]+", "-", key)
            assert normalized.setdefault(norm, name) == name, f"{spelling!r} normalizes like {normalized[norm]!r}"


def test_every_model_says_where_its_prices_come_from(raw) -> None:  # type: ignore[no-untyped-def]
    for stem, name, model in raw_models(raw):
        notes = model.get("notes") or ""
        assert notes.startswith("litellm: ") or "not in LiteLLM" in notes, f"{stem}.yaml:{name}"
        if "not in LiteLLM" in notes:
            assert model.get("source"), f"{stem}.yaml:{name} needs a source"


# --------------------------------------------------------------------------- provider spot checks

# Typed from the providers' published pricing pages (USD per million tokens), not from LiteLLM.
PUBLISHED = [
    # model, kind, tier, mode, rate
    ("gpt-4o", "input", 0, "standard", 2.50),
    ("gpt-4o", "output", 0, "standard", 10.00),
    ("gpt-4o", "cache_read", 0, "standard", 1.25),
    ("gpt-4o", "input", 0, "batch", 1.25),
    ("gpt-4o-2024-05-13", "input", 0, "standard", 5.00),
    ("gpt-4o-2024-05-13", "output", 0, "standard", 15.00),
    ("gpt-4o-mini", "input", 0, "standard", 0.15),
    ("gpt-4o-mini", "output", 0, "standard", 0.60),
    ("gpt-4.1", "input", 0, "standard", 2.00),
    ("gpt-4.1", "output", 0, "standard", 8.00),
    ("o3", "input", 0, "standard", 2.00),
    ("o3", "output", 0, "standard", 8.00),
    ("o3", "cache_read", 0, "standard", 0.50),
    ("claude-sonnet-4", "input", 0, "standard", 3.00),
    ("claude-sonnet-4", "output", 0, "standard", 15.00),
    ("claude-sonnet-4", "cache_read", 0, "standard", 0.30),
    ("claude-sonnet-4", "cache_write", 0, "standard", 3.75),
    ("claude-sonnet-4", "cache_write_1h", 0, "standard", 6.00),
    ("claude-sonnet-4-5", "input", 1, "standard", 6.00),
    ("claude-sonnet-4-5", "output", 1, "standard", 22.50),
    ("claude-sonnet-4-5", "cache_read", 1, "standard", 0.60),
    ("claude-sonnet-4-5", "cache_write", 1, "standard", 7.50),
    ("claude-sonnet-4-5", "cache_write_1h", 1, "standard", 12.00),
    ("claude-opus-4", "input", 0, "standard", 15.00),
    ("claude-opus-4", "output", 0, "standard", 75.00),
    ("claude-opus-4-1", "output", 0, "standard", 75.00),
    ("claude-opus-4-5", "input", 0, "standard", 5.00),
    ("claude-opus-4-5", "output", 0, "standard", 25.00),
    ("claude-haiku-4-5", "input", 0, "standard", 1.00),
    ("claude-haiku-4-5", "output", 0, "standard", 5.00),
    ("gemini-2.5-pro", "input", 0, "standard", 1.25),
    ("gemini-2.5-pro", "output", 0, "standard", 10.00),
    ("gemini-2.5-pro", "input", 1, "standard", 2.50),
    ("gemini-2.5-pro", "output", 1, "standard", 15.00),
    ("gemini-2.5-pro", "input", 1, "batch", 1.25),
    ("gemini-2.5-flash", "input", 0, "standard", 0.30),
    ("gemini-2.5-flash", "output", 0, "standard", 2.50),
]


@pytest.mark.parametrize(("model", "kind", "tier", "mode", "rate"), PUBLISHED)
def test_published_provider_prices(table, model: str, kind: str, tier: int, mode: str, rate: float) -> None:  # type: ignore[no-untyped-def]
    assert table.get(model).rate(kind, tier, mode) == pytest.approx(rate, rel=1e-12)


def test_long_context_thresholds(table) -> None:  # type: ignore[no-untyped-def]
    assert [t.above for t in table.get("gemini-2.5-pro").tiers] == [200_000]
    assert [t.above for t in table.get("claude-sonnet-4-5").tiers] == [200_000]
    assert [t.above for t in table.get("gpt-5.4").tiers] == [272_000]
    assert [t.above for t in table.get("qwen3-max").tiers] == [32_000, 128_000]
    # xAI bills the higher rate from 200,000 tokens on: P > 199,999.
    assert [t.above for t in table.get("grok-4.3").tiers] == [199_999]
    assert table.get("claude-sonnet-4-6").tiers == ()


def test_rate_fallbacks_on_shipped_models(table) -> None:  # type: ignore[no-untyped-def]
    gpt4o = table.get("gpt-4o")
    # No cache_write price: writes bill at input; the 1h write falls back to the 5m write.
    assert gpt4o.rates.cache_write is None
    assert gpt4o.rate("cache_write") == gpt4o.rate("input") == 2.50
    assert gpt4o.rate("cache_write_1h") == 2.50
    # No reasoning price: reasoning bills at output.
    assert table.get("o3").rate("reasoning") == 8.00
    # A mode without its own cache_read keeps the base cache_read (never 0).
    assert gpt4o.rate("cache_read", mode="batch") == 1.25
    # A mode the model does not offer falls back to the standard rates.
    assert gpt4o.rate("input", mode="flex") == 2.50
    # A tier without a cache_write price bills writes at the tier's input rate.
    assert table.get("gemini-2.5-pro").rate("cache_write", tier=1) == 2.50
    # DeepSeek: cache misses and writes at input, hits at the cache-hit price.
    v4 = table.get("deepseek-v4-flash")
    assert v4.rate("cache_write") == v4.rate("input") and v4.rate("cache_read") < v4.rate("input")


# --------------------------------------------------------------------------- LiteLLM consistency

# Rates that are NOT in LiteLLM 1.106.0 and come from the provider's own pricing page (docs/formats.md:
# provider documentation wins). Paths: kind, mode.kind, tiers.<above>.kind, tiers.<above>.mode.kind.
PROVIDER_DOC_RATES: dict[str, set[str]] = {
    # Anthropic: 1h writes are 2x input; batch is 50% and stacks with the cache multipliers.
    "claude-opus-4": {
        "cache_write_1h",
        "batch.input",
        "batch.output",
        "batch.cache_read",
        "batch.cache_write",
    },
    "claude-opus-4-1": {
        "cache_write_1h",
        "batch.input",
        "batch.output",
        "batch.cache_read",
        "batch.cache_write",
    },
    "claude-sonnet-4": {
        "cache_write_1h",
        "tiers.200000.cache_write_1h",
        "batch.input",
        "batch.output",
        "batch.cache_read",
        "batch.cache_write",
        "tiers.200000.batch.input",
        "tiers.200000.batch.output",
        "tiers.200000.batch.cache_read",
        "tiers.200000.batch.cache_write",
    },
    # Google: the batch and flex discounts (50%) apply to the >200K rates too
    # (https://ai.google.dev/gemini-api/docs/optimization: "Flex: 50% of standard pricing").
    "gemini-2.5-pro": {
        "tiers.200000.batch.input",
        "tiers.200000.batch.output",
        "tiers.200000.batch.cache_read",
        "tiers.200000.flex.input",
        "tiers.200000.flex.output",
        "tiers.200000.flex.cache_read",
    },
    "gemini-3-pro-preview": {"tiers.200000.batch.input", "tiers.200000.batch.output"},
    "gemini-3.1-pro-preview": {
        "tiers.200000.batch.input",
        "tiers.200000.batch.output",
        "tiers.200000.batch.cache_read",
        "tiers.200000.flex.input",
        "tiers.200000.flex.output",
        "tiers.200000.flex.cache_read",
    },
}
# Anthropic: batch 1-hour writes are 50% of the 1-hour price (the batch discount applies to
# every cache price; LiteLLM has no batch 1-hour key). Every Claude model with batch rates.
for _model, _tiers in {
    **dict.fromkeys(
        [
            "claude-opus-4", "claude-opus-4-1", "claude-opus-4-5", "claude-opus-4-6", "claude-opus-4-7",
            "claude-opus-4-8", "claude-opus-5", "claude-opus-5-5", "claude-sonnet-4-5", "claude-sonnet-4-6",
            "claude-sonnet-5", "claude-sonnet-5-5", "claude-haiku-4-5", "claude-fable-5", "claude-fable-5-1",
            "claude-mythos-5", "claude-mythos-5-1",
        ],
        (),
    ),
    "claude-sonnet-4": (200000,),
    "claude-sonnet-4-5": (200000,),
    "claude-haiku-5-5": (100000,),
}.items():  # fmt: skip
    PROVIDER_DOC_RATES.setdefault(_model, set()).update(
        {"batch.cache_write_1h", *(f"tiers.{above}.batch.cache_write_1h" for above in _tiers)}
    )

# Rates where the source entry disagrees with LiteLLM's other entries for the same model and the
# other entry is taken (the source's value looks rounded): model -> (other key, paths).
CORRECTED_FROM: dict[str, tuple[str, set[str]]] = {
    "gemini-3.5-flash": ("vertex_ai/gemini-3.5-flash", {"flex.cache_read"}),  # 0.08 for 0.075
    "gemini-3.5-flash-lite": (  # 0.02 / 0.02 / 0.05 for 0.015 / 0.015 / 0.054
        "vertex_ai/gemini-3.5-flash-lite",
        {"batch.cache_read", "flex.cache_read", "priority.cache_read"},
    ),
}

# LiteLLM rates deliberately left out of the YAML (each model's notes say why).
OMITTED_LITELLM_RATES: dict[str, set[str]] = {
    "gpt-5-nano": {"priority.input"},  # 2.50, 50x the base input and no output priority: a copy slip
    "gemini-3-pro-preview": {"tiers.200000.cache_write"},  # 0.25, below the input rate, no base value
}

# Other LiteLLM entries named like one of our models or aliases whose rates differ on purpose.
KNOWN_DISAGREEMENTS = {
    # output 0.40 without a source; DeepSeek published 0.42 (= deepseek/deepseek-chat), which we ship.
    ("deepseek-v3.2", "deepseek/deepseek-v3.2"),
    # the Gemini API copy of the rounded cache rates corrected above (CORRECTED_FROM)
    ("gemini-3.5-flash-lite", "gemini/gemini-flash-lite-latest"),
    ("gemini-3.5-flash-lite", "gemini-flash-lite-latest"),
}

_SUFFIX = {"batch": "_batches", "priority": "_priority", "flex": "_flex"}
_BASE_KEY = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write",
    "output_cost_per_reasoning_token": "reasoning",
}
_RATE_KEY = re.compile(
    r"^(?P<base>input_cost_per_token|output_cost_per_token|cache_read_input_token_cost"
    r"|cache_creation_input_token_cost|output_cost_per_reasoning_token)"
    r"(?P<hour>_above_1hr)?(?:_above_(?P<tier>\d+k?)_tokens)?(?P<mode>_batches|_priority|_flex)?$"
)


def _threshold(text: str) -> int:
    return int(text[:-1]) * 1000 if text.endswith("k") else int(text)


def litellm_rates(entry: dict[str, Any]) -> dict[str, float]:
    """Our YAML path -> LiteLLM per-token value, for every rate of ``entry`` the schema can carry.

    Dropped by rule (stated in the tables' headers): a reasoning rate equal to the output rate and
    a cache-creation rate of 0 (DeepSeek, Z.ai: no write price; writes bill at input).
    """
    out: dict[str, float] = {}
    if "tiered_pricing" in entry:
        # DashScope: all-or-nothing tiers, range_start < prompt <= range_end.
        for tier in entry["tiered_pricing"]:
            start = int(tier["range"][0])
            prefix = "" if start == 0 else f"tiers.{start}."
            for key, value in tier.items():
                if key in _BASE_KEY:
                    out[prefix + _BASE_KEY[key]] = float(value)
        return out
    # LiteLLM treats xAI thresholds as inclusive (P >= T); the tables write that as above: T - 1.
    offset = 1 if entry.get("litellm_provider") == "xai" else 0
    for key, value in entry.items():
        match = _RATE_KEY.match(key)
        if not match or not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        kind = "cache_write_1h" if match["hour"] else _BASE_KEY[match["base"]]
        path = kind
        if match["mode"]:
            path = f"{next(m for m, s in _SUFFIX.items() if s == match['mode'])}.{path}"
        if match["tier"]:
            path = f"tiers.{_threshold(match['tier']) - offset}.{path}"
        out[path] = float(value)
    if out.get("reasoning") == out.get("output"):
        out.pop("reasoning", None)
    return {path: v for path, v in out.items() if not (v == 0 and path.endswith("cache_write"))}


def yaml_rates(model: dict[str, Any]) -> dict[str, float]:
    """Our YAML path -> USD per million tokens, for every rate written in a model's entry."""
    out: dict[str, float] = {}

    def take(prefix: str, rates: dict[str, Any]) -> None:
        for kind in KINDS:
            if rates.get(kind) is not None:
                out[prefix + kind] = float(rates[kind])
        for mode in MODES:
            if rates.get(mode):
                for kind in KINDS:
                    if rates[mode].get(kind) is not None:
                        out[f"{prefix}{mode}.{kind}"] = float(rates[mode][kind])

    take("", model)
    for tier in model.get("tiers") or []:
        take(f"tiers.{tier['above']}.", tier)
    return out


@pytest.fixture(scope="module")
def litellm() -> dict[str, Any]:
    if not LITELLM_JSON.is_file():
        pytest.skip(f"LiteLLM price JSON not found at {LITELLM_JSON} (set LLMAUDIT_LITELLM_JSON)")
    data: dict[str, Any] = json.loads(LITELLM_JSON.read_text(encoding="utf-8"))
    return data


def litellm_sourced(raw: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(model name, LiteLLM key named in its notes, model) for every LiteLLM-sourced model."""
    for _, name, model in raw_models(raw):
        match = re.match(r"litellm: ([^\s;]+)", model.get("notes") or "")
        if match:
            yield name, match.group(1), model


def test_most_models_come_from_litellm(raw) -> None:  # type: ignore[no-untyped-def]
    sourced = {name for name, _, _ in litellm_sourced(raw)}
    seeds_only = {name for _, name, _ in raw_models(raw)} - sourced
    # o1-mini and gemini-1.5-pro: retired, priced from the providers' lists (LiteLLM kept stale prices)
    assert seeds_only == {"qwen3-32b", "qwen3-8b", "qwen-mt-turbo", "glm-4-plus", "o1-mini", "gemini-1.5-pro"}


def test_rates_equal_litellm_per_token_values(raw, litellm) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for name, key, model in litellm_sourced(raw):
        assert key in litellm, f"{name}: LiteLLM has no key {key!r}"
        theirs = litellm_rates(litellm[key])
        documented = PROVIDER_DOC_RATES.get(name, set())
        other_key, corrected = CORRECTED_FROM.get(name, ("", set()))
        for path, per_million in yaml_rates(model).items():
            if path in corrected:
                other = litellm_rates(litellm[other_key])
                if per_million * 1e-6 != pytest.approx(other[path], rel=1e-9):
                    problems.append(f"{name}.{path}: {per_million} x 1e-6 != LiteLLM {other_key} {other[path]}")
                if theirs.get(path) == pytest.approx(other[path], rel=1e-9):
                    problems.append(f"{name}.{path}: listed in CORRECTED_FROM but {key} agrees now")
                continue
            if path in documented:
                if path in theirs:
                    problems.append(f"{name}.{path}: listed as provider-doc only but LiteLLM has it now")
                continue
            if path not in theirs:
                problems.append(f"{name}.{path}: {per_million} is not in LiteLLM {key}")
            elif per_million * 1e-6 != pytest.approx(theirs[path], rel=1e-9):
                problems.append(f"{name}.{path}: {per_million} x 1e-6 != LiteLLM {key} {theirs[path]}")
        for path in documented:
            if path not in yaml_rates(model):
                problems.append(f"{name}.{path}: listed in PROVIDER_DOC_RATES but not in the YAML")
    assert not problems, "\n".join(problems)


def test_every_litellm_rate_is_carried(raw, litellm) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for name, key, model in litellm_sourced(raw):
        ours = yaml_rates(model)
        omitted = OMITTED_LITELLM_RATES.get(name, set())
        for path in litellm_rates(litellm[key]):
            if path not in ours and path not in omitted:
                problems.append(f"{name}: LiteLLM {key} has {path} but the YAML does not")
        for path in omitted:
            if path not in litellm_rates(litellm[key]):
                problems.append(f"{name}: OMITTED_LITELLM_RATES lists {path}, which LiteLLM no longer has")
    assert not problems, "\n".join(problems)


def test_context_windows_equal_litellm(raw, litellm) -> None:  # type: ignore[no-untyped-def]
    for name, key, model in litellm_sourced(raw):
        entry = litellm[key]
        if entry.get("max_input_tokens"):
            assert model["context_window"] == entry["max_input_tokens"], name
        if entry.get("max_output_tokens"):
            assert model.get("max_output_tokens") == entry["max_output_tokens"], name


def test_aliases_agree_with_litellm_where_it_lists_them(raw, litellm) -> None:  # type: ignore[no-untyped-def]
    """A LiteLLM entry spelled like one of our names or aliases must carry the same rates.

    Only rates both sides have are compared (LiteLLM's copies of a model often omit its batch
    or priority rates).
    """
    problems = []
    for name, key, model in litellm_sourced(raw):
        prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
        ours = yaml_rates(model)
        for spelling in (name, *(model.get("aliases") or [])):
            for candidate in dict.fromkeys((prefix + spelling, spelling)):
                if candidate == key or candidate not in litellm or (name, candidate) in KNOWN_DISAGREEMENTS:
                    continue
                theirs = litellm_rates(litellm[candidate])
                assert "input" in theirs and "output" in theirs, candidate
                for path in ours.keys() & theirs.keys():
                    if ours[path] * 1e-6 != pytest.approx(theirs[path], rel=1e-9):
                        problems.append(f"{name}.{path} = {ours[path]} but LiteLLM {candidate} = {theirs[path]}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- name resolution


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("openai/gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("o3-2025-04-16", "o3"),
        ("deepseek-ai/DeepSeek-V4-Flash", "deepseek-v4-flash"),
        ("deepseek-v4-flash", "deepseek-v4-flash"),
        ("deepseek-ai/DeepSeek-V4-Pro", "deepseek-v4-pro"),
        ("deepseek-chat", "deepseek-v3.2"),
        ("deepseek-reasoner", "deepseek-v3.2"),
        ("Pro/deepseek-ai/DeepSeek-V3.2", "deepseek-v3.2"),
        ("THUDM/glm-4-plus", "glm-4-plus"),
        ("glm-4-plus", "glm-4-plus"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("claude-opus-4-6", "claude-opus-4-6"),
        ("claude-fable-5-20260609", "claude-fable-5"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("gemini-2.5-pro", "gemini-2.5-pro"),
        ("Qwen/Qwen3-32B", "qwen3-32b"),
        ("Qwen/Qwen3-8B", "qwen3-8b"),
        ("Qwen/Qwen3-VL-32B-Instruct", "qwen3-vl-32b-instruct"),
        ("Qwen/Qwen-MT-Turbo", "qwen-mt-turbo"),
        ("qwen-3.7-max", "qwen3.7-max"),
        ("zai-org/GLM-4.5V", "glm-4.5v"),
        ("moonshotai/Kimi-K2.5", "kimi-k2.5"),
        ("xai/grok-4.3", "grok-4.3"),
    ],
)
def test_real_spellings_resolve(table, spelling: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    hit = table.resolve(spelling)
    assert hit is not None and hit.model == expected


def test_ambiguous_spellings_stay_unpriced(table) -> None:  # type: ignore[no-untyped-def]
    # "DeepSeek V4" names two models at very different prices: better unpriced than guessed.
    assert table.resolve("deepseek-v4") is None


# --------------------------------------------------------------------------- end-to-end cost


def priced(table, **row: Any) -> pd.Series:  # type: ignore[no-untyped-def]
    result: pd.Series = price_requests(requests_frame([row]), table).iloc[0]
    return result


def test_formats_hand_check_gpt4o_with_cache(table) -> None:  # type: ignore[no-untyped-def]
    # 1200 prompt of which 1024 cached, 300 output:
    # (1200 - 1024) * 2.50 + 1024 * 1.25 + 300 * 10.00 = 440 + 1280 + 3000 = 4720 per million
    got = priced(table, model="gpt-4o-2024-08-06", input_tokens=1200, cache_read_tokens=1024, output_tokens=300)
    assert got["priced_model"] == "gpt-4o"
    assert got["cost_usd"] == pytest.approx(0.00472, rel=1e-12)


def test_formats_hand_check_o3_reasoning(table) -> None:  # type: ignore[no-untyped-def]
    # 1200 prompt, 3000 output of which 2500 reasoning (billed at output):
    # 1200 * 2.00 + 500 * 8.00 + 2500 * 8.00 = 2400 + 4000 + 20000 = 26400 per million
    got = priced(table, model="o3-2025-04-16", input_tokens=1200, output_tokens=3000, reasoning_tokens=2500)
    assert got["cost_reasoning_usd"] == pytest.approx(0.02, rel=1e-12)
    assert got["cost_usd"] == pytest.approx(0.0264, rel=1e-12)


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        # P = 200,000 is not above the threshold: every token at base.
        # 200,000 * 1.25 + 1,000 * 10.00 = 250,000 + 10,000 = 260,000 per million
        (200_000, 0.26),
        # P = 200,001: the WHOLE request at the tier rates, not just the excess.
        # 200,001 * 2.50 + 1,000 * 15.00 = 500,002.5 + 15,000 = 515,002.5 per million
        (200_001, 0.5150025),
        # 250,000 * 2.50 + 1,000 * 15.00 = 625,000 + 15,000 = 640,000 per million
        (250_000, 0.64),
    ],
)
def test_formats_hand_check_long_context_tier(table, prompt: int, expected: float) -> None:  # type: ignore[no-untyped-def]
    got = priced(table, model="gemini-2.5-pro", input_tokens=prompt, output_tokens=1_000)
    assert got["cost_usd"] == pytest.approx(expected, rel=1e-12)


def test_long_context_tier_reprices_cache_tokens_too(table) -> None:  # type: ignore[no-untyped-def]
    # Sonnet 4.5 at P = 250,000 incl. 200,000 cache reads and 10,000 5m writes, 2,000 output:
    # (250,000 - 200,000 - 10,000) * 6.00 = 240,000
    # 200,000 * 0.60 = 120,000;  10,000 * 7.50 = 75,000;  2,000 * 22.50 = 45,000
    # total 480,000 per million -> $0.48
    got = priced(
        table,
        model="claude-sonnet-4-5",
        input_tokens=250_000,
        cache_read_tokens=200_000,
        cache_write_tokens=10_000,
        output_tokens=2_000,
    )
    assert got["cost_usd"] == pytest.approx(0.48, rel=1e-12)


def test_batch_long_context_uses_the_tier_batch_rates(table) -> None:  # type: ignore[no-untyped-def]
    # Sonnet 4.5, batch, P = 250,000 (no cache), 2,000 output: 250,000 * 3.00 + 2,000 * 11.25
    # = 750,000 + 22,500 = 772,500 per million
    got = priced(table, model="claude-sonnet-4-5", pricing_mode="batch", input_tokens=250_000, output_tokens=2_000)
    assert got["cost_usd"] == pytest.approx(0.7725, rel=1e-12)
    # Gemini 2.5 Pro, batch, P = 250,000, 1,000 output: 250,000 * 1.25 + 1,000 * 7.50 = 320,000
    got = priced(table, model="gemini-2.5-pro", pricing_mode="batch", input_tokens=250_000, output_tokens=1_000)
    assert got["cost_usd"] == pytest.approx(0.32, rel=1e-12)


def test_xai_tier_starts_at_the_threshold(table) -> None:  # type: ignore[no-untyped-def]
    # grok-4.3 at exactly 200,000 prompt tokens already bills the long-context 2.50:
    # 200,000 * 2.50 = 500,000 per million; at 199,999: 199,999 * 1.25 = 249,998.75
    assert priced(table, model="grok-4.3", input_tokens=200_000)["cost_usd"] == pytest.approx(0.5, rel=1e-12)
    assert priced(table, model="grok-4.3", input_tokens=199_999)["cost_usd"] == pytest.approx(0.24999875, rel=1e-12)


def test_anthropic_one_hour_cache_writes(table) -> None:  # type: ignore[no-untyped-def]
    # claude-sonnet-4: P = 8,000 incl. 5,000 reads and 2,000 writes (all 1h), 500 output:
    # 1,000 * 3.00 + 5,000 * 0.30 + 2,000 * 6.00 + 500 * 15.00 = 3,000 + 1,500 + 12,000 + 7,500 = 24,000
    got = priced(
        table,
        model="claude-sonnet-4-20250514",
        input_tokens=8_000,
        cache_read_tokens=5_000,
        cache_write_tokens=2_000,
        cache_write_1h_tokens=2_000,
        output_tokens=500,
    )
    assert got["cost_usd"] == pytest.approx(0.024, rel=1e-12)
