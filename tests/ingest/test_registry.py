"""The format registry: every built-in format registers by explicit import, and the
generic reader holds no format's knowledge (each format says it through a hook)."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

from llmaudit.ingest import mixed, reader, registry
from llmaudit.ingest.formats import MODULES
from llmaudit.ingest.registry import formats, is_wrapper

ROOT = Path(__file__).resolve().parents[2]


def test_every_built_in_format_is_registered() -> None:
    assert set(formats()) == {
        "openai",
        "openai-batch",
        "openai-batch-input",
        "anthropic",
        "anthropic-batch",
        "gemini",
        "litellm",
        "langfuse",
        "langfuse-trace",
        "helicone",
        "otel",
        "claude-code",
        "generic",
    }
    on_disk = {p.stem for p in (ROOT / "llmaudit" / "ingest" / "formats").glob("*.py") if not p.stem.startswith("_")}
    # every format module is imported (generic_csv and generic_mapping are generic's parts)
    assert on_disk - set(MODULES) == {"generic_csv", "generic_mapping"}


def test_a_missing_format_module_fails_the_import_loudly() -> None:
    # A finder that hides one format module, as if its file were lost: the import must fail.
    code = (
        "import sys, importlib.abc\n"
        "class Hide(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'llmaudit.ingest.formats.gemini':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "from llmaudit.ingest.registry import formats\n"
        "print(sorted(formats()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode != 0
    assert "ModuleNotFoundError" in done.stderr and "gemini" in done.stderr


def _code_strings(module: object) -> list[str]:
    """The string constants of a module's code (docstrings, which may give examples, left out)."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node) is not None
    }
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]


def test_the_generic_reader_names_no_format() -> None:
    # Format knowledge lives in the formats' hooks (settings_flags, owns_envelope, orphan, claims...).
    for module in (reader, registry, mixed):
        for text in _code_strings(module):
            # a format's name or field used in the logic (a user hint may still mention an option)
            assert text not in ("generic", "custom_id", "openai-batch", "claude-code"), f"{module.__name__}: {text!r}"
            assert "OpenAI Batch" not in text, f"{module.__name__} words a format's message: {text!r}"


def test_a_batch_output_line_is_not_a_wrapper_but_a_logging_wrapper_is() -> None:
    response = {"status_code": 200, "body": {"id": "x"}}
    assert not is_wrapper({"custom_id": "request-1", "response": response})  # openai-batch's owns_envelope
    assert is_wrapper({"request": {"model": "gpt-4o"}, "response": {"id": "x"}})
