"""No dead public names: a module-level name of llmaudit that nothing else mentions is removed.

A cheap vulture: every identifier-like word of the package, the tests, the benchmarks and
the scripts is counted (strings too, so a name reached through a registry or an import
string counts as used); a public module-level name seen only once, at its definition, is
dead. Functions with a decorator are registered by it (typer commands) and are skipped.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEARCHED = ("llmaudit", "tests", "benchmarks", "scripts")
# ``__all__`` lists re-export a name; they do not use it.
_ALL = re.compile(r"^__all__\s*=\s*[\[(].*?[\])]", re.DOTALL | re.MULTILINE)


def _defined(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if not node.decorator_list or isinstance(node, ast.ClassDef):
                names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [n for n in names if not n.startswith("_")]


def test_every_public_module_level_name_is_used_somewhere() -> None:
    words: Counter[str] = Counter()
    for folder in SEARCHED:
        for path in (ROOT / folder).rglob("*.py"):
            words.update(re.findall(r"[A-Za-z_]\w*", _ALL.sub("", path.read_text(encoding="utf-8"))))
    dead = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / "llmaudit").rglob("*.py"))
        for name in _defined(ast.parse(path.read_text(encoding="utf-8")))
        if words[name] <= 1
    ]
    assert not dead, "defined but never used (remove them, or use them):\n" + "\n".join(dead)


def test_the_check_finds_a_dead_name() -> None:
    tree = ast.parse("X_NEVER_USED = 1\n@app.command()\ndef registered(): ...\nclass Kept: ...\n")
    assert _defined(tree) == ["X_NEVER_USED", "Kept"]
