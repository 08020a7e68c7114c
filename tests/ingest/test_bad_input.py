"""The bad-input corpus (tests/fixtures/bad_input/): each case's expected outcome, from its README table.

Every file is run through the real CLI (`analyze FILE -f json`); a case is a file plus one
table row, so other parts of the code add cases without touching this test.
"""

from __future__ import annotations

import json
import re

import pytest

from llmaudit.cli import main
from tests.conftest import FIXTURES

# Numpy's RuntimeWarnings (an invalid cast, an overflow) mean a bad value reached arithmetic.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

CORPUS = FIXTURES / "bad_input"
_ROW = re.compile(r"^\|\s*([^|\s]+)\s*\|[^|]*\|\s*([^|]+?)\s*\|$")


def cases() -> list[tuple[str, str]]:
    rows = [_ROW.match(line) for line in (CORPUS / "README.md").read_text().splitlines()]
    return [(m[1], m[2]) for m in rows if m and m[1] not in ("file",) and not m[1].startswith("-")]


def test_every_file_has_a_row() -> None:
    listed = {name for name, _ in cases()}
    files = {p.name for p in CORPUS.iterdir() if p.name != "README.md"}
    assert files == listed


@pytest.mark.parametrize(("name", "expected"), cases(), ids=[name for name, _ in cases()])
def test_bad_input(name: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    want: dict[str, str] = {}
    errors: list[str] = []
    for item in expected.split():
        if item.startswith("error~"):
            errors.append(item[len("error~") :])
        else:
            key, value = item.split("=")
            want[key] = value
    code = main(["analyze", str(CORPUS / name), "-f", "json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert code == int(want.pop("exit")), err
    for text in errors:
        assert text in err
    if code != 0:
        return
    report = json.loads(out)
    summary = report["summary"]
    assert summary["requests"] == int(want.pop("parsed"))
    warnings = {k.split(":", 1)[1]: int(v) for k, v in want.items() if k.startswith("warning:")}
    skipped = {k: int(v) for k, v in want.items() if not k.startswith("warning:")}
    assert {row["reason"]: row["count"] for row in report["skipped"]} == skipped
    assert summary["requests"] + sum(skipped.values()) == summary["lines_read"]
    for code_name, count in warnings.items():
        said = f"{count} {code_name.replace('_', ' ')}"
        assert any(w == said or w.startswith(f"{said}:") for w in report["warnings"]), report["warnings"]
