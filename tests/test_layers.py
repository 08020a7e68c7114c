"""Nothing below the CLI imports rich or a renderer.

Each computation package is imported whole (every module, as ``pkgutil`` finds them) in a
fresh interpreter. httpx, a dependency, imports its own command line (click and rich) when
they are installed; that is not llmaudit's layering, so the interpreter hides ``rich`` from
the import system and records who asked for it: a module of ours that asks fails the test,
and so would one that cannot be imported without rich.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PACKAGES = (
    "llmaudit.analyze",
    "llmaudit.simulate",
    "llmaudit.check",
    "llmaudit.pricing",
    "llmaudit.ingest",
    "llmaudit.tagging",
    "llmaudit.shadow",
)
# Imported alone, before the package, these exercise the lazy report package (PEP 562).
FORBIDDEN = ("rich", "llmaudit.report.formats", "llmaudit.cli")

PROBE = r"""
import importlib, importlib.abc, json, pkgutil, sys

asked = []


class HideRich(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "rich" and not name.startswith("rich."):
            return None
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith("<frozen"):
            frame = frame.f_back
        asked.append(frame.f_globals.get("__name__", "?") if frame is not None else "?")
        raise ModuleNotFoundError(f"No module named {name!r} (hidden by the test)", name=name)


sys.meta_path.insert(0, HideRich())
package = importlib.import_module(sys.argv[1])
failed = {}
modules = [sys.argv[1]]
for info in pkgutil.walk_packages(package.__path__, sys.argv[1] + "."):
    modules.append(info.name)
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failed[info.name] = repr(exc)
forbidden = tuple(sys.argv[2:])
loaded = sorted(m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in forbidden))
print(json.dumps({"modules": modules, "asked": asked, "failed": failed, "loaded": loaded}))
"""


@pytest.mark.parametrize("package", PACKAGES)
def test_computation_imports_no_renderer_and_no_rich(package: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, package, *FORBIDDEN], capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stdout)
    assert len(seen["modules"]) > 1  # the walk found the package's modules
    assert seen["failed"] == {}
    assert [m for m in seen["asked"] if m.startswith("llmaudit")] == []
    assert seen["loaded"] == []
