"""Price table loading: schema errors with file:line, unit slips, merging, name resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmaudit.errors import ConfigError, PricingError
from llmaudit.pricing import ModelResolver, load_pricing

HEADER = "schema_version: 1\nname: t\nsource: tests\nas_of: 2026-11-01\nmodels:\n"


def write(tmp_path: Path, body: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


def load(*paths: Path):  # type: ignore[no-untyped-def]
    return load_pricing(list(paths), include_shipped=False)


def test_per_token_value_in_per_million_field_is_rejected_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "  m:\n    input: 3.0e-6\n    output: 15.0\n")
    with pytest.raises(PricingError) as err:
        load(path)
    message = str(err.value)
    assert f"{path}:7" in message  # line 7: "    input: 3.0e-6"
    assert "per-token" in message and "did you mean 3" in message


def test_absurdly_high_price_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "  m:\n    input: 2500\n    output: 10\n")
    with pytest.raises(PricingError, match=r"t\.yaml:7: .*beyond any real price"):
        load(path)


def test_unknown_field_names_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "  m:\n    input: 1\n    output: 2\n    cache_reads: 0.1\n")
    with pytest.raises(PricingError) as err:
        load(path)
    assert f"{path}:9: models.m.cache_reads: unknown field" in str(err.value)


def test_negative_price_and_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, "  m:\n    input: -1\n    output: lots\n")
    with pytest.raises(PricingError) as err:
        load(path)
    text = str(err.value)
    assert "t.yaml:7: models.m.input" in text and "greater than or equal to 0" in text
    assert "t.yaml:8: models.m.output" in text


def test_missing_output_price(tmp_path: Path) -> None:
    with pytest.raises(PricingError, match=r"model 'm' has no 'output' price"):
        load(write(tmp_path, "  m:\n    input: 1\n"))


def test_tiers_must_ascend(tmp_path: Path) -> None:
    body = (
        "  m:\n    input: 1\n    output: 2\n    tiers:\n"
        "      - {above: 200000, input: 2}\n      - {above: 128000, input: 3}\n"
    )
    with pytest.raises(PricingError, match="strictly ascending"):
        load(write(tmp_path, body))


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"t\.yaml:9: duplicate key 'm'"):
        load(write(tmp_path, "  m:\n    input: 1\n    output: 2\n  m:\n    input: 1\n    output: 2\n"))


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"t\.yaml:\d+: invalid YAML"):
        load(write(tmp_path, "  m: {input: 1, output: [\n"))


def test_yaml_tags_that_run_code_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load(path)


def test_alias_claimed_by_two_models(tmp_path: Path) -> None:
    body = "  a:\n    input: 1\n    output: 2\n    aliases: [x]\n  b:\n    input: 1\n    output: 2\n    aliases: [x]\n"
    with pytest.raises(PricingError, match="claimed by both 'a' and 'b'"):
        load(write(tmp_path, body))


def test_overlay_overrides_one_field_and_keeps_the_rest(tmp_path: Path) -> None:
    base = write(
        tmp_path,
        "  m:\n    provider: acme\n    input: 1\n    output: 2\n    cache_read: 0.1\n    aliases: [m-2025]\n",
    )
    over = write(tmp_path, "  M-2025:\n    output: 3\n    aliases: [m-latest]\n", name="over.yaml")
    table = load(base, over)
    model = table.get("m")
    assert (model.rate("input"), model.rate("output"), model.rate("cache_read")) == (1, 3, 0.1)
    assert set(model.aliases) == {"m-2025", "m-latest"}
    assert len(table) == 1


def test_overlay_with_a_new_name_adds_a_model(tmp_path: Path) -> None:
    base = write(tmp_path, "  m:\n    input: 1\n    output: 2\n")
    over = write(tmp_path, "  private-model:\n    input: 5\n    output: 6\n", name="over.yaml")
    table = load(base, over)
    assert sorted(m.name for m in table.models) == ["m", "private-model"]


def test_directory_of_tables_loads_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "prices"
    folder.mkdir()
    write(folder, "  m:\n    input: 1\n    output: 2\n", name="a.yaml")
    write(folder, "  m:\n    input: 9\n", name="b.yaml")
    (folder / "notes.txt").write_text("ignored")
    assert load(folder).get("m").rate("input") == 9


def test_missing_table_file(tmp_path: Path) -> None:
    with pytest.raises(PricingError, match="no such price table"):
        load(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("raw", "expected", "rule"),
    [
        ("gpt-4o", "gpt-4o", "exact"),
        ("GPT-4o", "gpt-4o", "exact"),
        ("gpt-4o-2024-08-06", "gpt-4o", "snapshot"),
        ("openai/gpt-4o", "gpt-4o", "prefix"),
        ("openrouter/openai/gpt-4o", "gpt-4o", "prefix"),
        ("deepseek-ai/DeepSeek-V4-Flash", "deepseek-v4-flash", "prefix"),
        ("Pro/deepseek-ai/DeepSeek-V3.2", "deepseek-v3.2", "prefix"),
        ("THUDM/glm-4-plus", "glm-4-plus", "prefix"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "snapshot"),
        ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5", "snapshot"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5", "snapshot"),
        ("anthropic/claude-sonnet-4.5", "claude-sonnet-4-5", "normalized"),
        ("GLM-4 Plus", "glm-4-plus", "normalized"),
        ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13", "exact"),
        ("deepseek-v4-flash-0731", None, None),
        ("", None, None),
        ("totally-unknown", None, None),
    ],
)
def test_name_resolution(raw: str, expected: str | None, rule: str | None) -> None:
    resolver = ModelResolver(
        {
            "gpt-4o": ["chatgpt-4o-latest"],
            "gpt-4o-2024-05-13": [],
            "deepseek-v4-flash": [],
            "deepseek-v3.2": [],
            "glm-4-plus": [],
            "claude-sonnet-4-5": [],
        }
    )
    hit = resolver.resolve(raw)
    assert (hit.model if hit else None, hit.rule if hit else None) == (expected, rule)


# --------------------------------------------------------------------------- the fallback order

README_EXAMPLE = """\
  example-model:
    input: 3.00
    output: 15.00
    cache_read: 0.30
    batch: {input: 1.50, output: 7.50}
    priority: {input: 5.40, output: 27.00}
    tiers:
      - above: 200000
        input: 6.00
        output: 22.50
"""


@pytest.mark.parametrize(
    ("mode", "tier", "kind", "rate"),
    # The table of pricing/README.md, "Fallback rules", row by row (tier 1 = P above 200,000).
    [
        ("standard", 0, "cache_read", 0.30),
        ("standard", 0, "cache_write", 3.00),
        ("standard", 0, "cache_write_1h", 3.00),
        ("standard", 0, "reasoning", 15.00),
        ("batch", 0, "input", 1.50),
        ("batch", 0, "cache_read", 0.30),
        ("flex", 0, "input", 3.00),
        ("priority", 0, "input", 5.40),
        ("standard", 1, "input", 6.00),
        ("standard", 1, "cache_read", 0.30),
        ("batch", 1, "input", 1.50),
        ("priority", 1, "input", 6.00),
    ],
)
def test_readme_fallback_table(tmp_path: Path, mode: str, tier: int, kind: str, rate: float) -> None:
    model = load(write(tmp_path, README_EXAMPLE)).get("example-model")
    assert model.rate(kind, tier, mode) == rate


def test_priority_and_flex_above_a_threshold_use_the_tier_before_the_base_mode(tmp_path: Path) -> None:
    # OpenAI's priority processing excludes long-context requests (they bill as standard): with no
    # tier priority rates, a long priority request bills at the tier's standard rates, not at the
    # base priority rates. Batch keeps its discount above the threshold.
    body = (
        "  m:\n    input: 2.50\n    output: 15.00\n"
        "    batch: {input: 1.25, output: 7.50}\n    priority: {input: 5.00, output: 30.00}\n"
        "    flex: {input: 1.25, output: 7.50}\n"
        "    tiers:\n      - above: 272000\n        input: 5.00\n        output: 22.50\n"
        "        flex: {input: 2.50}\n"
    )
    m = load(write(tmp_path, body)).get("m")
    assert (m.rate("input", 1, "priority"), m.rate("output", 1, "priority")) == (5.00, 22.50)
    assert (m.rate("input", 1, "flex"), m.rate("output", 1, "flex")) == (2.50, 22.50)  # tier flex, then tier
    assert (m.rate("input", 1, "batch"), m.rate("output", 1, "batch")) == (1.25, 7.50)  # base batch first
    assert (m.rate("input", 0, "priority"), m.rate("input", 0, "flex")) == (5.00, 1.25)


def test_kind_fallback_reruns_the_whole_chain(tmp_path: Path) -> None:
    body = (
        "  m:\n    input: 3\n    output: 15\n    cache_write: 3.75\n"
        "    batch: {input: 1.5, output: 7.5, cache_write: 1.875}\n"
        "    tiers:\n      - above: 200000\n        input: 6\n        output: 22.5\n        cache_write: 7.5\n"
    )
    m = load(write(tmp_path, body)).get("m")
    # no 1h price anywhere: batch 1h -> cache_write through the batch chain (tier batch, base batch)
    assert m.rate("cache_write_1h", 0, "batch") == 1.875
    assert m.rate("cache_write_1h", 1, "batch") == 1.875
    assert m.rate("cache_write_1h", 1, "standard") == 7.5
    assert m.declared("cache_write_1h", 1, "batch") is None and m.declared("cache_write", 0, "batch") == 1.875


def test_origins_name_the_line_of_each_field(tmp_path: Path) -> None:
    base = write(tmp_path, "  m:\n    input: 1\n    output: 2\n    batch: {input: 0.5}\n")
    over = write(tmp_path, "  m:\n    output: 3\n", name="over.yaml")
    m = load(base, over).get("m")
    assert m.origins["input"] == f"{base}:7"
    assert m.origins["output"] == f"{over}:7"
    assert m.origins["batch.input"] == f"{base}:9"
    assert m.tables == ("t", "t")
