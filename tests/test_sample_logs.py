"""The bundled sample logs (sample_logs/): reproducible, fully accounted for, priced as documented.

The expectations come from the generator's manifest (what it wrote: records, injected
defect lines, token sums), never from numbers copied out of a report. The one cost check
uses gpt-4o-mini's Batch API rates typed from OpenAI's published price list.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from llmaudit.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
BATCH_INPUT = "batch/extraction_input.jsonl"
BATCH_OUTPUT = "batch/extraction_output.jsonl"

# gpt-4o-mini on the Batch API, USD per million tokens (OpenAI's price list: 50% of 0.15 / 0.60).
GPT_4O_MINI_BATCH_INPUT = 0.075
GPT_4O_MINI_BATCH_OUTPUT = 0.30


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_logs_generate", SAMPLES / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in sample_logs/
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def built(generator: ModuleType) -> tuple[dict[str, bytes], dict[str, Any]]:
    return generator.build()


@pytest.fixture(scope="module")
def manifest(built: tuple[dict[str, bytes], dict[str, Any]]) -> dict[str, Any]:
    return built[1]


def _logs(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Manifest entries of the files read as request logs (not the batch input, which is joined)."""
    return {rel: info for rel, info in manifest["files"].items() if rel != BATCH_INPUT}


def _analyze(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    monkeypatch.chdir(ROOT)
    code = main(["analyze", *args, "--format", "json", "-q"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


_REPORT: dict[str, Any] = {}


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """`llmaudit analyze sample_logs --format json -q`, run once per test session."""
    if not _REPORT:
        _REPORT.update(_analyze(capsys, monkeypatch, "sample_logs"))
    return _REPORT


def _data_files(folder: Path) -> list[Path]:
    return sorted(
        p.relative_to(folder)
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("generate.py", "README.md") and "__pycache__" not in p.parts
    )


# --- the generator ------------------------------------------------------------------------------


def test_generator_reproduces_the_committed_files(tmp_path: Path, built: tuple[dict[str, bytes], Any]) -> None:
    copy = tmp_path / "sample_logs"
    copy.mkdir()
    shutil.copy(SAMPLES / "generate.py", copy / "generate.py")
    run = subprocess.run([sys.executable, str(copy / "generate.py")], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr

    produced = _data_files(copy)
    assert produced == _data_files(SAMPLES)
    assert produced == sorted(Path(rel) for rel in built[0])
    for rel in produced:
        data = (copy / rel).read_bytes()
        assert data == (SAMPLES / rel).read_bytes(), f"{rel} differs from what generate.py writes: regenerate it"
        assert data == built[0][str(rel)], f"{rel}: a second run gave different bytes"


def test_sample_folder_stays_small(built: tuple[dict[str, bytes], Any]) -> None:
    total = sum(len(data) for data in built[0].values()) + (SAMPLES / "generate.py").stat().st_size
    assert total < 4_200_000


# --- what llmaudit makes of them -----------------------------------------------------------------


def test_analyze_exits_0_with_the_json_contract(report: dict[str, Any]) -> None:
    assert report["schema_version"]
    summary = report["summary"]
    for key in ("requests", "skipped_lines", "total_cost_usd", "projected_monthly_cost_usd", "unpriced_requests"):
        assert key in summary, key
    assert summary["total_cost_usd"] > 0 and summary["projected_monthly_cost_usd"] > 0
    assert isinstance(report["by_model"], list) and report["by_model"]
    assert isinstance(report["skipped"], list)
    assert isinstance(report["unpriced"], list)


def test_every_line_is_a_generated_record_or_an_injected_defect(
    report: dict[str, Any], manifest: dict[str, Any]
) -> None:
    logs = _logs(manifest)
    inputs = {entry["path"]: entry for entry in report["inputs"]}
    for rel, info in logs.items():
        entry = inputs[f"sample_logs/{rel}"]
        assert entry["role"] == "log", rel
        assert entry["lines_read"] == info["records"] + len(info["defects"]) == info["lines"], rel
        assert entry["parsed"] == info["records"], rel
        assert entry["skipped"] == len(info["defects"]), rel
    join = inputs[f"sample_logs/{BATCH_INPUT}"]
    assert join["role"] == "join" and join["format"] == "openai-batch-input"
    assert set(inputs) == {f"sample_logs/{rel}" for rel in manifest["files"]}

    summary = report["summary"]
    assert summary["requests"] == sum(info["records"] for info in logs.values())
    assert summary["lines_read"] == sum(info["lines"] for info in logs.values())
    assert summary["failed_requests"] == sum(info["failed"] for info in logs.values())
    assert summary["estimated_requests"] == sum(info["estimated"] for info in logs.values())


def test_skipped_lines_are_exactly_the_injected_defects(report: dict[str, Any], manifest: dict[str, Any]) -> None:
    injected: dict[str, list[str]] = {}
    for rel, info in _logs(manifest).items():
        for defect in info["defects"]:
            injected.setdefault(defect["reason"], []).append(f"sample_logs/{rel}:{defect['line']}")
    assert {"blank_line", "malformed_json", "duplicate_request_id", "negative_tokens"} <= set(injected)
    skipped = {entry["reason"]: entry for entry in report["skipped"]}
    assert set(skipped) == set(injected)
    for reason, where in injected.items():
        assert skipped[reason]["count"] == len(where), reason
        assert sorted(skipped[reason]["examples"]) == sorted(where), reason
    assert report["summary"]["skipped_lines"] == sum(len(where) for where in injected.values())


def test_the_fine_tuned_model_is_unpriced_not_free(report: dict[str, Any], manifest: dict[str, Any]) -> None:
    model = manifest["fine_tuned_model"]
    count = manifest["files"]["app/requests.jsonl"]["models"][model]
    assert count > 0
    [unpriced] = report["unpriced"]  # the only model no shipped table prices
    assert (unpriced["model"], unpriced["requests"]) == (model, count)
    assert unpriced["input_tokens"] > 0 and unpriced["output_tokens"] > 0
    assert report["summary"]["unpriced_requests"] == count
    row = next(r for r in report["by_model"] if r["model"] == model)
    assert row["priced"] is False and row["cost_usd"] is None


def test_batch_requests_are_priced_in_batch_mode(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, manifest: dict[str, Any]
) -> None:
    per_request = tmp_path / "requests.jsonl"
    _analyze(capsys, monkeypatch, "sample_logs", "--per-request", str(per_request))
    rows = [json.loads(line) for line in per_request.read_text().splitlines()]
    modes = Counter((row["source_file"] == f"sample_logs/{BATCH_OUTPUT}", row["pricing_mode"]) for row in rows)
    assert modes == {
        (True, "batch"): manifest["files"][BATCH_OUTPUT]["records"],
        (False, "standard"): sum(info["records"] for rel, info in _logs(manifest).items() if rel != BATCH_OUTPUT),
    }
    unpriced = [row for row in rows if row["cost_usd"] is None]
    assert {row["model"] for row in unpriced} == {manifest["fine_tuned_model"]}
    # prompts of batch lines come from the input file, joined on custom_id
    batch_rows = [row for row in rows if row["source_file"] == f"sample_logs/{BATCH_OUTPUT}"]
    assert all(row["turns"] == 2 for row in batch_rows)


def test_batch_slice_costs_what_openai_batch_rates_say(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, manifest: dict[str, Any]
) -> None:
    tokens = manifest["files"][BATCH_OUTPUT]["tokens"]
    assert set(tokens) == {"input", "output"}  # no cached or reasoning tokens in this slice
    expected = (tokens["input"] * GPT_4O_MINI_BATCH_INPUT + tokens["output"] * GPT_4O_MINI_BATCH_OUTPUT) / 1e6
    # the folder, so the input file is joined: the two failed lines name their model only there
    result = _analyze(capsys, monkeypatch, "sample_logs/batch")
    assert result["summary"]["total_cost_usd"] == pytest.approx(expected, rel=1e-9)
    assert result["summary"]["requests"] == manifest["files"][BATCH_OUTPUT]["records"]


# --- the README describes these files ------------------------------------------------------------


def test_readme_matches_the_manifest(manifest: dict[str, Any]) -> None:
    readme = (SAMPLES / "README.md").read_text()
    for rel, info in manifest["files"].items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{rel}`")), None)
        assert row is not None, f"README.md has no table row for {rel}"
        assert re.search(rf"\b{info['records']:,}\b", row), f"README.md: {rel} should say {info['records']:,} records"
        for defect in info["defects"]:
            assert f"{rel}:{defect['line']}" in readme, f"README.md does not locate the {defect['reason']} defect"
    for line in manifest["files"][BATCH_OUTPUT]["failed_lines"]:
        assert f"extraction_output.jsonl:{line}" in readme, "README.md does not locate a failed Batch line"
