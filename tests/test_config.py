"""Where the project config is found: the nearest llmaudit.yaml or [tool.llmaudit], up to the repo root."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmaudit.cli import main
from llmaudit.config import load_config


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "services" / "api").mkdir(parents=True)
    return root


def test_found_in_a_parent_with_paths_relative_to_it(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "llmaudit.yaml").write_text("logs: [logs/]\ncheck: {max_increase_pct: 5}\n")
    config = load_config(cwd=root / "services" / "api")
    assert config.path == str(root.resolve() / "llmaudit.yaml")
    assert config.logs == (str(root.resolve() / "logs"),)
    assert config.check.max_increase_pct == 5


def test_the_nearest_wins(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "llmaudit.yaml").write_text("logs: [outer/]\n")
    (root / "services" / "llmaudit.yml").write_text("logs: [inner/]\n")
    config = load_config(cwd=root / "services" / "api")
    assert config.logs == (str(root.resolve() / "services" / "inner"),)


def test_pyproject_without_the_table_is_passed_over(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "services" / "pyproject.toml").write_text("[project]\nname = 'api'\n")
    (root / "pyproject.toml").write_text("[tool.llmaudit]\nlogs = ['logs/']\n")
    config = load_config(cwd=root / "services" / "api")
    assert config.path == str(root.resolve() / "pyproject.toml")
    assert config.logs == (str(root.resolve() / "logs"),)


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "llmaudit.yaml").write_text("logs: [outside/]\n")  # above the repository: not ours
    root = _repo(tmp_path)
    assert load_config(cwd=root / "services" / "api").path is None
    assert load_config(cwd=root).path is None


def test_explicit_config_wins_over_the_search(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "llmaudit.yaml").write_text("logs: [found/]\n")
    chosen = tmp_path / "elsewhere.yaml"
    chosen.write_text("logs: [chosen/]\n")
    config = load_config(chosen, cwd=root)
    assert config.logs == (str(tmp_path / "chosen"),)


def test_an_unknown_time_zone_is_blamed_on_the_config_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # It used to say "--timezone 'Mars/Olympus': not a known time zone", an option nobody passed.
    root = _repo(tmp_path)
    (root / "llmaudit.yaml").write_text("logs: [logs/]\ntimezone: Mars/Olympus\n")
    monkeypatch.chdir(root)
    assert main(["analyze"]) == 2
    err = capsys.readouterr().err
    assert f"{root.resolve() / 'llmaudit.yaml'}:2: timezone:" in err
    assert "timezone: 'Mars/Olympus' is not a known time zone" in err and "--timezone" not in err
    assert "Value error" not in err
    (root / "pyproject.toml").write_text("[tool.llmaudit]\ntimezone = 'Nowhere'\n")
    (root / "llmaudit.yaml").unlink()
    assert main(["analyze"]) == 2
    assert "'Nowhere' is not a known time zone" in capsys.readouterr().err


def test_known_time_zones_load(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    for zone in ("Europe/Berlin", "utc", "America/New_York"):
        (root / "llmaudit.yaml").write_text(f"timezone: {zone}\n")
        assert load_config(cwd=root).timezone == zone
