"""The result models are a leaf: computation imports them without rich or any renderer."""

from __future__ import annotations

import subprocess
import sys


def test_result_models_import_no_renderer_and_no_rich() -> None:
    code = (
        "import sys; import llmaudit.report.model, llmaudit.report.simulate_model, llmaudit.check.model, "
        "llmaudit.check.gate; loaded = [m for m in sys.modules if m == 'rich' or m.startswith('rich.') "
        "or m.startswith('llmaudit.report.formats')]; print(loaded)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
