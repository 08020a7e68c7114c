"""No import cycle hidden in a function body: an import inside a function is there for start-up
speed (a heavy library, or the CLI after its signal handlers) and is listed here with why.

An import of an llmaudit module inside a function that is not listed fails this test: if it
dodges a cycle, move the shared piece to a leaf module instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (file, imported module) -> why it is imported late.
LAZY = {
    ("llmaudit/__main__.py", "llmaudit.cli"): "signal handlers go in before the CLI (pandas, pyarrow) loads",
    ("llmaudit/cli/__init__.py", "llmaudit.report.safety"): "only an error message needs it",
    ("llmaudit/cli/__init__.py", "llmaudit.__main__"): "the legacy entry point loads the entry module on call",
    ("llmaudit/cli/pricing.py", "llmaudit.pricing.fetch"): "loads httpx: only `pricing import` needs it",
    ("llmaudit/pricing/importers/__init__.py", "llmaudit.pricing.fetch"): "loads httpx: only when a list is read",
    ("llmaudit/ingest/registry.py", "llmaudit.ingest.formats"): "the built-in formats register on first use",
    ("llmaudit/cli/analyze.py", "llmaudit.cluster.analyze"): "loads Dask: only --scheduler needs it",
    ("llmaudit/cli/analyze.py", "llmaudit.cluster.connect"): "loads Dask: only --scheduler needs it",
    ("llmaudit/cli/common.py", "llmaudit.cluster.analyze"): "loads Dask: only --scheduler needs it",
    ("llmaudit/cli/common.py", "llmaudit.cluster.connect"): "loads Dask: only --scheduler needs it",
    ("llmaudit/cli/common.py", "llmaudit.cluster.simulate"): "loads Dask: only --scheduler needs it",
    ("llmaudit/cli/common.py", "llmaudit.cluster.sums"): "loads Dask: only --scheduler needs it",
    ("llmaudit/cli/check.py", "llmaudit.cluster.check"): "loads Dask: only --scheduler needs it",
    ("llmaudit/ingest/parquet.py", "llmaudit.ingest.remote"): "loads fsspec: only a Parquet file at a URL needs it",
}


def _late_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.module:
                    found.append(inner.module)
                elif isinstance(inner, ast.Import):
                    found += [alias.name for alias in inner.names]
    return [name for name in found if name.split(".")[0] == "llmaudit"]


def test_every_late_import_of_llmaudit_is_listed_with_its_reason() -> None:
    late = {
        (str(path.relative_to(ROOT)), module)
        for path in sorted((ROOT / "llmaudit").rglob("*.py"))
        for module in _late_imports(path)
    }
    assert late <= set(LAZY), f"imports inside functions, not listed: {sorted(late - set(LAZY))}"
    assert set(LAZY) <= late, f"listed but gone (drop them from LAZY): {sorted(set(LAZY) - late)}"
