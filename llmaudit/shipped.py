"""Data files shipped with llmaudit: price tables, the sample logs, the example policies.

Installed from a wheel they sit in ``llmaudit/_data/<name>`` (pyproject.toml copies them
there); in a source checkout (editable install, tests) they are the repository's own
top-level folders, so there is one copy of each to review and edit.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from llmaudit.errors import InputError

# name under llmaudit/_data -> the folder in a source checkout, relative to its root
_CHECKOUT = {
    "pricing": "pricing",
    "sample_logs": "sample_logs",
    "examples": "examples",
}


def shipped_dir(name: str) -> Path | None:
    """The folder of shipped data ``name`` (a key of ``_CHECKOUT``), or None when missing."""
    packaged = Path(str(resources.files("llmaudit"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[1] / _CHECKOUT[name]
    return checkout if checkout.is_dir() else None


# The policies `simulate --demo` compares (the README's showcase), in examples/policies/.
DEMO_POLICIES = ("task-map.yaml", "four-tiers.yaml")


def demo_logs() -> Path:
    """The shipped sample logs (a month of a help-desk product's traffic), for ``--demo``."""
    return _required("sample_logs")


def demo_policies() -> list[Path]:
    """The example policies ``simulate --demo`` replays."""
    return [_required("examples") / "policies" / name for name in DEMO_POLICIES]


def _required(name: str) -> Path:
    found = shipped_dir(name)
    if found is None:
        raise InputError(
            f"the shipped {name.replace('_', ' ')} are missing from this installation",
            hint="reinstall llmaudit (pip install --force-reinstall llm-cost-audit)",
        )
    return found
