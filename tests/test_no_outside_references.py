"""Nothing in the repository points at files that are not in it (the shared reference docs
and seed articles the project was started from): what the code relies on is in docs/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llmaudit.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEARCHED = ("llmaudit", "pricing", "tests", "docs", "benchmarks", "scripts", "README.md")
# The reference docs and seed articles, and machine paths. ``shared/data`` is allowed: it is
# where the benchmark scripts read public data that is never committed (docs/tagging.md).
OUTSIDE = re.compile(r"FORMATS\.md|shared/(?:seeds|docs)|\.\./seeds|/work/")
TEXT = {".py", ".md", ".yaml", ".yml", ".json", ".jsonl", ".csv", ".txt", ".toml"}


def files() -> list[Path]:
    out: list[Path] = []
    for name in SEARCHED:
        path = ROOT / name
        out += [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and p.suffix in TEXT]
    return [p for p in out if p.resolve() != Path(__file__).resolve() and "__pycache__" not in p.parts]


def test_no_file_refers_outside_the_repository() -> None:
    found = []
    for path in files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in OUTSIDE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert found == []


def test_the_docs_the_code_points_to_exist() -> None:
    for name in ("docs/formats.md", "pricing/README.md"):
        assert (ROOT / name).is_file()
    anchors = {"token-conventions", "the-pricing-formula", "price-sources"}
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line[3:].strip().lower()).replace(" ", "-")
        for line in (ROOT / "docs" / "formats.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    }
    assert anchors <= headings


def test_pricing_show_prints_no_dangling_reference(capsys: pytest.CaptureFixture[str]) -> None:
    for model in ("qwen3-8b", "qwen3-32b", "glm-4-plus", "gpt-4o", "gpt-4"):
        assert main(["pricing", "show", model]) == 0
        out = capsys.readouterr().out
        assert not OUTSIDE.search(out), out
