"""``llmaudit pricing``: every subcommand, its exit codes, messages without tracebacks, JSON.

Prices asserted here are the shipped list prices (pricing/*.yaml) or the small tables
written by the tests; no test touches the network (URLs go to an httpx.MockTransport).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import httpx
import pytest

from llmaudit.cli import main
from llmaudit.pricing import fetch

ROOT = Path(__file__).resolve().parents[2]
HEADER = "schema_version: 1\nname: {name}\nsource: tests\nas_of: 2026-11-01\nmodels:\n"
LITELLM_JSON = {
    "gpt-x": {
        "litellm_provider": "openai",
        "mode": "chat",
        "max_input_tokens": 128000,
        "input_cost_per_token": 2.5e-06,
        "output_cost_per_token": 1e-05,
    },
    "claude-x": {
        "litellm_provider": "anthropic",
        "mode": "chat",
        "max_input_tokens": 200000,
        "input_cost_per_token": 3e-06,
        "output_cost_per_token": 1.5e-05,
    },
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def table(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(HEADER.format(name=name) + body, encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    monkeypatch.setattr(fetch, "DEFAULT_TRANSPORT", httpx.MockTransport(refuse))
    monkeypatch.setattr(fetch.time, "sleep", lambda seconds: None)


# --------------------------------------------------------------------------- help


def test_help_lists_every_subcommand_and_each_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pricing", "--help")
    assert code == 0 and "USD per million tokens" in out
    for command in ("list", "show", "validate", "diff", "import"):
        assert re.search(rf"^\s+{command}\s+\S", out, re.M), command
        code, sub, _ = run(capsys, "pricing", command, "--help")
        assert code == 0 and "Examples:" in sub and f"llmaudit pricing {command}" in sub, command
    assert "litellm" in run(capsys, "pricing", "import", "--help")[1]
    assert "pricing" in run(capsys, "--help")[1]


# --------------------------------------------------------------------------- list


def test_list_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "pricing", "list", "gpt-4o", "--provider", "openai")
    assert code == 0, err
    assert out.startswith("3 models (USD per million tokens)")  # gpt-4o, gpt-4o-2024-05-13, gpt-4o-mini
    row = next(line for line in out.splitlines() if line.split()[:1] == ["gpt-4o"])
    assert row.split()[:6] == ["gpt-4o", "openai", "2.5", "10", "1.25", "2.5"]


def test_list_json_is_stable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pricing", "list", "claude-*-4-5", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["schema_version"] == "2.0" and data["sold_by"] is None
    assert [m["name"] for m in data["models"]] == ["claude-haiku-4-5", "claude-opus-4-5", "claude-sonnet-4-5"]
    sonnet = data["models"][2]
    assert (sonnet["input"], sonnet["output"], sonnet["cache_write"], sonnet["tiers"]) == (3.0, 15.0, 3.75, [200000])
    assert out == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert {t["name"] for t in data["tables"]} >= {"openai", "anthropic", "sellers"}


def test_list_with_a_private_table_and_to_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mine = table(tmp_path, "mine", "  acme-chat-2:\n    provider: acme\n    input: 0.4\n    output: 1.6\n")
    target = tmp_path / "out" / "models.json"
    code, out, _ = run(
        capsys, "pricing", "list", "--pricing", mine, "--provider", "acme", "-f", "json", "-o", str(target)
    )
    assert code == 0 and out == ""
    assert [m["name"] for m in json.loads(target.read_text())["models"]] == ["acme-chat-2"]


def test_list_sellers_and_prices_as_sold(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pricing", "list", "--sellers")
    assert code == 0 and out.startswith("3 sellers")
    assert re.search(r"openrouter\s+gateway\s+list price\s+0%\s+-\s+5\.5% \(min", out)
    data = json.loads(run(capsys, "pricing", "list", "--sellers", "-f", "json")[1])
    assert [s["name"] for s in data["sellers"]] == ["direct", "global-api", "openrouter"]
    sold = json.loads(run(capsys, "pricing", "list", "deepseek", "--seller", "global-api", "-f", "json")[1])
    assert sold["sold_by"] == "global-api"
    assert [(m["name"], m["input"], m["output"]) for m in sold["models"]] == [
        ("deepseek-v4-flash", 0.27, 1.1),
        ("deepseek-v4-pro", 0.55, 2.2),
    ]


def test_list_with_no_match(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pricing", "list", "no-such-model-anywhere")
    assert code == 0 and "No model matches" in out


# --------------------------------------------------------------------------- show


def test_show_resolves_and_prints_every_rate_source_and_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pricing", "show", "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert code == 0
    assert (
        out.splitlines()[0] == "claude-sonnet-4-5 (matched 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' by snapshot)"
    )
    # (reasoning has no price of its own: it falls back to output, so no "*")
    assert re.search(r"^ <= 200,000\s+standard\s+3\*\s+15\*\s+0\.3\*\s+3\.75\*\s+6\*\s+15\s*$", out, re.M)
    assert re.search(r"^ > 200,000\s+batch\s+3\*\s+11\.25\*\s+0\.3\*\s+3\.75\*\s+6\*\s+11\.25\s*$", out, re.M)
    assert re.search(r"anthropic\s+2026-11-01\s+LiteLLM 1\.106\.0 bundled price table", out)


def test_show_json_priority_above_the_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pricing", "show", "gpt-5.4", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["model"], data["rule"], data["schema_version"]) == ("gpt-5.4", "exact", "2.0")
    rows = {(r["tier"], r["mode"]): r for r in data["rates"]}
    # No long-context priority price: a priority request above 272K bills at the tier's standard rates.
    assert (rows[1, "priority"]["input"], rows[1, "priority"]["output"]) == (5.0, 22.5)
    assert rows[1, "priority"]["declared"] == []
    assert rows[0, "priority"]["input"] == 5.0 and "input" in rows[0, "priority"]["declared"]
    assert data["tables"][0]["name"] == "openai" and data["tables"][0]["as_of"] == "2026-11-01"


def test_show_unknown_model_suggests_names(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "pricing", "show", "gpt-4x")
    assert code == 2 and out == ""
    assert err.startswith("llmaudit: error: no price table prices 'gpt-4x'\n  hint: did you mean")


def test_show_a_seller_and_a_model_as_sold(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pricing", "show", "--seller", "openrouter")
    assert code == 0 and out.startswith("OpenRouter (gateway, from table sellers)")
    assert "5.5% of each credit purchase, at least $0.80" in out
    data = json.loads(run(capsys, "pricing", "show", "--seller", "openrouter", "-f", "json")[1])
    assert data["seller"]["credit_fee"] == {"pct": 5.5, "min_usd": 0.8}
    code, out, _ = run(capsys, "pricing", "show", "deepseek-v4-flash", "--seller", "openrouter", "-f", "json")
    sold = json.loads(out)
    assert sold["sold_by"] == "openrouter" and sold["rates"][0]["input"] == 0.8


def test_show_needs_a_model_or_a_seller(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "pricing", "show")
    assert code == 2 and err.startswith("llmaudit: error: give a MODEL, or --seller NAME")
    code, _, err = run(capsys, "pricing", "show", "--seller", "nobody")
    assert code == 2 and "no seller named 'nobody'" in err


# --------------------------------------------------------------------------- validate


def test_validate_rejects_a_per_token_value_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = table(tmp_path, "bad", "  gpt-4o:\n    input: 0.0000025\n    output: 10\n")
    code, out, err = run(capsys, "pricing", "validate", bad)
    assert code == 2 and err == ""
    assert out.splitlines() == [
        f"error: {bad}:7: models.gpt-4o.input: 2.5e-06 looks like a per-token price; prices here are USD per "
        "million tokens (did you mean 2.5?)",
        "1 file, 95 models, 3 sellers: 1 error, 0 warnings (failed)",
    ]


def test_validate_the_shipped_tables(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert run(capsys, "pricing", "validate", "pricing/") == (
        0,
        "8 files, 95 models, 3 sellers: 0 errors, 0 warnings\n",
        "",
    )


def test_validate_warnings_exit_0_unless_strict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    slip = table(tmp_path, "slip", "  gpt-4o:\n    input: 0.25\n")
    code, out, _ = run(capsys, "pricing", "validate", slip)
    assert code == 0 and out.startswith(f"warning: {slip}:7: models.gpt-4o.input: 0.25 is 10x below the 2.5")
    assert run(capsys, "pricing", "validate", slip, "--strict")[0] == 2
    data = json.loads(run(capsys, "pricing", "validate", slip, "--strict", "--format", "json")[1])
    assert (data["ok"], data["strict"], data["errors"]) == (False, True, [])
    assert data["warnings"][0]["code"] == "power-of-ten-off" and data["warnings"][0]["line"] == 7


def test_validate_a_missing_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "pricing", "validate", str(tmp_path / "nope.yaml"))
    assert code == 2 and "no such price table file or directory" in err


def test_a_broken_table_stops_other_commands_with_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = table(tmp_path, "bad", "  m:\n    input: 3000\n    output: 1\n")
    code, out, err = run(capsys, "pricing", "list", "--pricing", bad)
    assert code == 2 and out == ""
    assert err.startswith(f"llmaudit: error: invalid price table (1 error):\n  {bad}:7: models.m.input: 3000 USD")


# --------------------------------------------------------------------------- diff


def test_diff_table_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    old = table(
        tmp_path, "old", "  gpt-4o:\n    input: 2.50\n    output: 10.00\n  gone:\n    input: 1\n    output: 2\n"
    )
    new = table(
        tmp_path, "new", "  gpt-4o:\n    input: 2.00\n    output: 10.00\n  fresh:\n    input: 1\n    output: 2\n"
    )
    code, out, _ = run(capsys, "pricing", "diff", old, new)
    assert code == 0
    assert out.splitlines()[0] == f"{old} -> {new}: 1 added, 1 removed, 1 model changed (1 price), 0 unchanged"
    assert "Added: fresh" in out and "Removed: gone" in out
    # 2.50 -> 2.00: -0.50 per million, -20%
    assert re.search(r"gpt-4o\s+input\s+2\.5\s+2\s+-0\.5\s+-20\.0%", out)
    data = json.loads(run(capsys, "pricing", "diff", old, new, "-f", "json")[1])
    assert data["changed"] == [
        {"model": "gpt-4o", "field": "input", "old": 2.5, "new": 2.0, "delta": -0.5, "pct": -20.0}
    ]


# --------------------------------------------------------------------------- import


def test_import_from_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "model_prices.json"
    source.write_text(json.dumps(LITELLM_JSON), encoding="utf-8")
    target = tmp_path / "prices" / "litellm.yaml"
    code, out, err = run(
        capsys,
        "pricing",
        "import",
        "litellm",
        str(source),
        "-o",
        str(target),
        "--only",
        "anthropic",
        "--as-of",
        "2026-11-01",
    )
    assert code == 0, err
    assert out == f"wrote 1 model to {target} (as of 2026-11-01)\n  left out 1 by --only / --models\n"
    shown = json.loads(run(capsys, "pricing", "show", "claude-x", "--pricing", str(target), "-f", "json")[1])
    assert shown["tables"][-1]["source"] == f"LiteLLM model_prices_and_context_window.json, {source}"
    assert shown["rates"][0]["input"] == 3.0


def test_import_from_an_unreachable_url_exits_2_and_keeps_the_old_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "prices-litellm.yaml"
    target.write_text("last week's table\n", encoding="utf-8")
    url = "https://prices.example.invalid/model_prices_and_context_window.json"
    code, out, err = run(capsys, "pricing", "import", "litellm", url, "-o", str(target))
    assert code == 2 and out == ""
    assert err.splitlines()[0] == (
        f"llmaudit: error: cannot fetch {url}: cannot connect ([Errno 111] Connection refused) (after 3 attempts)"
    )
    assert "the existing price table was left untouched" in err
    assert target.read_text(encoding="utf-8") == "last week's table\n"


def test_import_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "p.json"
    source.write_text(json.dumps(LITELLM_JSON), encoding="utf-8")
    code, _, err = run(capsys, "pricing", "import", "litellm", str(source), "--as-of", "yesterday")
    assert code == 2 and "--as-of yesterday: not a date" in err
    code, _, err = run(capsys, "pricing", "import", "csv", str(source))
    assert code == 2 and "csv" in err
    code, _, err = run(capsys, "pricing", "import", "openrouter", str(source), "-o", str(tmp_path / "o.yaml"))
    assert code == 2 and "not OpenRouter's models listing" in err


# --------------------------------------------------------------------------- the README's examples


def _readme_commands() -> list[str]:
    text = (ROOT / "pricing" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("llmaudit pricing ")]


def test_the_readme_documents_every_subcommand() -> None:
    documented = {shlex.split(c)[2] for c in _readme_commands()}
    assert documented == {"list", "show", "validate", "diff", "import"}


@pytest.mark.parametrize("command", _readme_commands())
def test_readme_pricing_command_runs(
    command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every `llmaudit pricing` line of pricing/README.md runs as written (placeholder files made here)."""
    monkeypatch.chdir(ROOT)
    placeholders = {
        "my-prices.yaml": table(tmp_path, "mine", "  gpt-4o:\n    input: 2.00\n"),
        "old-prices.yaml": table(tmp_path, "old", "  m:\n    input: 1\n    output: 2\n"),
        "new-prices.yaml": table(tmp_path, "new", "  m:\n    input: 1.5\n    output: 2\n"),
        "model_prices_and_context_window.json": str(tmp_path / "lite.json"),
    }
    (tmp_path / "lite.json").write_text(json.dumps(LITELLM_JSON), encoding="utf-8")
    args = [placeholders.get(a, a) for a in shlex.split(command)[1:]]
    for flag in ("-o", "--output"):
        if flag in args:
            args[args.index(flag) + 1] = str(tmp_path / Path(args[args.index(flag) + 1]).name)
    code, _, err = run(capsys, *args)
    assert code == 0, f"{command}: {err}"
