"""The wheel is what users install: it builds, carries the shipped price tables, and runs.

The same check as .github/workflows/release.yml, offline: the wheel is built without build
isolation (hatchling is a test dependency), installed without dependencies into a fresh venv
that sees this environment's packages, and run from a directory outside the source tree.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

import llmaudit

ROOT = Path(__file__).resolve().parents[1]


def test_distribution_name_is_ours_and_the_ci_examples_install_it() -> None:
    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    # "llmaudit" on PyPI is an unrelated project: installing it would install the wrong tool.
    assert name == "llm-cost-audit"
    for example in (ROOT / "examples" / "ci").glob("*.yml"):
        text = example.read_text()
        assert "pip install llmaudit" not in text and "--quiet llmaudit" not in text, example.name
        if "pip install" in text:
            assert name in text, example.name


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("llm_cost_audit-*.whl")
    return found


def test_wheel_carries_the_price_tables(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tables = {Path(n).name for n in names if n.startswith("llmaudit/_data/pricing/") and n.endswith(".yaml")}
    shipped = {p.name for p in (ROOT / "pricing").glob("*.yaml")}
    assert tables == shipped
    for folder in ("sample_logs", "examples"):  # for --demo, and for users to copy
        inside = {
            n.removeprefix(f"llmaudit/_data/{folder}/") for n in names if n.startswith(f"llmaudit/_data/{folder}/")
        }
        ours = {str(p.relative_to(ROOT / folder)) for p in (ROOT / folder).rglob("*") if p.is_file()}
        assert inside == ours, folder
    assert f"llm_cost_audit-{llmaudit.__version__}.dist-info/entry_points.txt" in names


def test_wheel_installs_and_runs_outside_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    script = env_dir / "bin" / "llmaudit"
    version = subprocess.run([str(script), "--version"], cwd=work, capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"llmaudit {llmaudit.__version__}"
    where = subprocess.run(
        [str(python), "-c", "import llmaudit; print(llmaudit.__file__)"], cwd=work, capture_output=True, text=True
    )
    assert str(env_dir) in where.stdout  # the installed copy, not this checkout
    shown = subprocess.run([str(script), "pricing", "show", "gpt-4o"], cwd=work, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert "gpt-4o" in shown.stdout
    demo = subprocess.run(
        [str(script), "analyze", "--demo", "-q", "-f", "json"], cwd=work, capture_output=True, text=True
    )
    assert demo.returncode == 0, demo.stderr
    assert '"requests": 2573' in demo.stdout
