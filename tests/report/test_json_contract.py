"""The JSON contract across every command: one ``schema_version`` form, honest ``_pct`` keys.

Each JSON output is produced by a real run (the project of tests/check/project.py, whose
costs are worked out by hand there) and walked key by key: ``schema_version`` is the
string "MAJOR.MINOR" of llmaudit/versions.py; a key ending in ``_pct`` (or a fee's ``pct``)
holds percents (5 means 5%), shown by values whose percent is known from the inputs; a
share is a ``_share`` key (0.23 means 23%), shown the same way.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmaudit.cli import main
from llmaudit.versions import SCHEMA_VERSION
from tests.check.project import write_project

ROOT = Path(__file__).resolve().parents[2]

SELLER = """\
schema_version: 1
name: gateway-prices
source: test fixture
as_of: 2026-01-01
sellers:
  my-gateway:
    kind: gateway
    source: test fixture
    as_of: 2026-01-01
    unlisted_models: list_price
    markup_pct: 7.5
    credit_fee: {pct: 5.5, min_usd: 0.80}
    fx_fee_pct: 2
"""

# Every percent-valued key any output may hold, and the values it has in these runs (the
# inputs' percents: the config's max_increase_pct: 10, the seller above, and pricing diff's
# change of frontier-x's output price from $30 to $33: +10%).
PERCENT_KEYS = {"max_increase_pct": {10}, "markup_pct": {7.5}, "fx_fee_pct": {2}, "pct": {5.5, 10}}


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every key in a JSON document, nested ones included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}.{k}", k, v
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The JSON of every command that writes JSON, by command."""
    root = write_project(tmp_path_factory.mktemp("project"))
    (root / "seller.yaml").write_text(SELLER, encoding="utf-8")
    write_project(root / "dearer", frontier_output=33)
    cfg = ["--config", str(root / "llmaudit.yaml")]
    prices = ["--no-default-pricing", "--pricing", str(root / "prices.yaml"), "--pricing", str(root / "seller.yaml")]
    runs = {
        "analyze": ["analyze", *cfg, "-f", "json"],
        "simulate": ["simulate", *cfg, "-f", "json"],
        "check": ["check", *cfg, "--baseline-policy", str(root / "policy.yaml"), "-f", "json"],
        "baseline": ["baseline", *cfg, "-o", "-"],
        "pricing list": ["pricing", "list", *prices, "-f", "json"],
        "pricing sellers": ["pricing", "list", "--sellers", *prices, "-f", "json"],
        "pricing seller": ["pricing", "show", "--seller", "my-gateway", *prices, "-f", "json"],
        "pricing show": ["pricing", "show", "frontier-x", *prices, "-f", "json"],
        "pricing validate": ["pricing", "validate", str(root / "prices.yaml"), "-f", "json"],
        "pricing diff": [
            "pricing",
            "diff",
            str(root / "prices.yaml"),
            str(root / "dearer" / "prices.yaml"),
            "-f",
            "json",
        ],
        "sweep": [
            "simulate",
            str(ROOT / "sample_logs" / "app"),
            "-P",
            str(ROOT / "examples" / "policies" / "difficulty.yaml"),
            "--sweep",
            "-f",
            "json",
        ],
    }
    found: dict[str, Any] = {}
    for name, args in runs.items():
        out = root / f"{name.replace(' ', '-')}.json"
        args = [*(a if a != "-" else str(out) for a in args), *(() if "-o" in args else ("-o", str(out)))]
        code = main(args if name.startswith("pricing") else [*args, "-q"])
        assert code == 0, name
        found[name] = json.loads(out.read_text(encoding="utf-8"))
    shutil.rmtree(root)
    return found


def test_every_json_output_has_one_schema_version_form(outputs: dict[str, Any]) -> None:
    assert re.fullmatch(r"\d+\.\d+", SCHEMA_VERSION)
    for name, data in outputs.items():
        assert data["schema_version"] == SCHEMA_VERSION, name


def test_every_pct_key_holds_percents(outputs: dict[str, Any]) -> None:
    seen: set[str] = set()
    for name, data in outputs.items():
        for path, key, value in _walk(data):
            if key.endswith("_pct") or key == "pct":
                # A new percent key must be added here with a value known to be a percent.
                assert key in PERCENT_KEYS, f"{name}: {path} ends in _pct: is it a percent (0-100)?"
                assert value in PERCENT_KEYS[key], f"{name}: {path} = {value}"
                seen.add(key)
    assert seen == set(PERCENT_KEYS)  # every percent key was exercised


def test_shares_are_fractions(outputs: dict[str, Any]) -> None:
    # Logged: 10 chat at $2.50 + 10 classification at $2.30 = $48.00; policy prod sends chat to
    # budget-y at $0.20: $2.00 + $23.00 = $25.00, saving $23.00 = 23/48 of the baseline.
    policy = outputs["simulate"]["policies"][0]
    assert policy["savings_share"] == pytest.approx(23 / 48)
    chat = next(row for row in policy["by_task"] if row["key"] == "chat")
    assert chat["savings_share"] == pytest.approx(23 / 25)  # $25.00 -> $2.00
    # check: the same policy on both sides, nothing changes.
    assert outputs["check"]["change_share"] == 0
    assert [c["pct"] for c in outputs["pricing diff"]["changed"]] == [pytest.approx(10.0)]
    for name, data in outputs.items():
        for path, key, _ in _walk(data):
            assert not key.startswith("pct_"), f"{name}: {path}: a share is named *_share"
