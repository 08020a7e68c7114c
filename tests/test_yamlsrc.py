"""Untrusted YAML (policy files and tag rules come from pull requests in CI): alias bombs,
self-referencing aliases, deep nesting, huge integers and huge files are exit 2 with the
file and line, through every command that reads YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmaudit.cli import main
from llmaudit.errors import ConfigError
from llmaudit.yamlsrc import MAX_BYTES, MAX_DEPTH, MAX_VALUES, load_yaml

ROOT = Path(__file__).resolve().parents[1]

# Nine levels of nine aliases each: 9**9 (387 million) strings from 10 lines.
LAUGHS = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)
)
CASES = {
    "alias bomb": (LAUGHS, 1, f"more than {MAX_VALUES:,} values"),
    "alias cycle": ("name: x\nloop: &a [*a]\n", 2, "refers to a value that contains it"),
    "nested flow": ("name: x\ndeep: " + "[" * 100_000 + "]" * 100_000 + "\n", 2, f"more than {MAX_DEPTH} levels"),
    "huge integer": ("name: x\nn: " + "9" * 4301 + "\n", 2, "4300 digits"),
    "python tag on a scalar": (
        "name: x\nrun: !!python/object/apply:os.system echo hi\n",
        2,
        "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
    "python tag on a mapping": ("name: x\nrun: !!python/object:os.system {a: 1}\n", 2, "is not allowed"),
    "local tag on a scalar": ("name: x\nrun: !env HOME\n", 2, "tag '!env' is not allowed"),
}


@pytest.mark.parametrize("name", CASES)
def test_hostile_yaml_is_a_config_error_with_its_line(name: str) -> None:
    text, line, message = CASES[name]
    with pytest.raises(ConfigError) as raised:
        load_yaml("p.yaml", text=text)
    assert raised.value.message.startswith(f"p.yaml:{line}: ")
    assert message in raised.value.message
    assert "\n" not in raised.value.message and "<unicode string>" not in raised.value.message


def test_an_alias_used_many_times_but_small_still_loads() -> None:
    doc = load_yaml("p.yaml", text="base: &b {x: 1}\nmore: [*b, *b, *b]\n")
    assert doc.data == {"base": {"x": 1}, "more": [{"x": 1}] * 3}


def test_a_file_over_the_size_bound_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: no disk used
    with pytest.raises(ConfigError, match=r"big\.yaml: larger than 64 MiB"):
        load_yaml(big)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(
    "command",
    [
        ["simulate", "sample_logs", "-q", "-P"],
        ["analyze", "sample_logs", "-q", "--tag-rules"],
        ["analyze", "sample_logs", "-q", "--pricing"],
        ["pricing", "validate"],
    ],
)
def test_every_yaml_input_exits_2_naming_file_and_line(
    name: str, command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    text, line, message = CASES[name]
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    code = main([*command, str(path)])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in out + err
    shown = (out + err).replace("\n", "")
    assert f"hostile.yaml:{line}" in shown and message in shown
